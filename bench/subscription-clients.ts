/**
 * The subscribers of `npm run bench:subscriptions`, in a process of their own: N WebSocket
 * connections (graphql-ws), each following one order's `orderUpdated`, recording for every
 * event its commit-to-client latency (now minus the event's `at`, which PostgreSQL stamps in
 * the committing transaction) and whether it was seen before. Driven over IPC by the parent:
 * { connect: { url, subscribers: [{ orderId, token }] } } -> 'ready'; 'report' -> figures.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

interface Subscriber {
  orderId: string;
  token: string;
}

const QUERY = 'subscription Follow($orderId: ID!) { orderUpdated(orderId: $orderId) { sequence type status at } }';

const clients: Client[] = [];
const latencies: number[] = [];
let delivered = 0;
let duplicates = 0;
let errors = 0;
let closed = 0;
const seen: Set<number>[] = [];

function send(msg: unknown): void {
  process.send!(msg);
}

async function connectAll(url: string, subscribers: Subscriber[]): Promise<void> {
  let connected = 0;
  const BATCH = 250;
  for (let i = 0; i < subscribers.length; i += BATCH) {
    await Promise.all(
      subscribers.slice(i, i + BATCH).map(
        (s, k) =>
          new Promise<void>((resolve) => {
            const index = i + k;
            seen[index] = new Set();
            const client = createClient({
              url,
              webSocketImpl: WebSocket,
              connectionParams: { authorization: `Bearer ${s.token}` },
              retryAttempts: 0,
              lazy: false,
              keepAlive: 0,
              on: {
                connected: () => {
                  connected++;
                  resolve();
                },
                closed: () => closed++,
              },
              onNonLazyError: () => {
                errors++;
                resolve();
              },
            });
            clients.push(client);
            client.subscribe<{ orderUpdated: { sequence: number; at: string } }>(
              { query: QUERY, variables: { orderId: s.orderId } },
              {
                next: (msg) => {
                  const e = msg.data?.orderUpdated;
                  if (!e) {
                    errors++;
                    return;
                  }
                  latencies.push(Date.now() - Date.parse(e.at));
                  if (seen[index].has(e.sequence)) duplicates++;
                  else {
                    seen[index].add(e.sequence);
                    delivered++;
                  }
                },
                error: () => errors++,
                complete: () => undefined,
              },
            );
          }),
      ),
    );
    send({ progress: connected });
  }
}

process.on('message', (msg: { connect?: { url: string; subscribers: Subscriber[] }; report?: true; dispose?: true }) => {
  if (msg.connect) {
    connectAll(msg.connect.url, msg.connect.subscribers).then(() => send({ ready: true, connected: clients.length - errors }));
  } else if (msg.report) {
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
    send({ report: { delivered, duplicates, errors, closed, p50: at(50), p99: at(99), p999: at(99.9), max: sorted[sorted.length - 1] ?? null, samples: sorted.length } });
  } else if (msg.dispose) {
    Promise.all(clients.map((c) => c.dispose())).finally(() => process.exit(0));
  }
});
