/**
 * The process's one LISTEN connection on the outbox channel, outside the pool, and the
 * fan-out of its notifications to this process's subscribers.
 *
 * A notification only says "order X has events up to sequence N": subscribers read the
 * events themselves from the table, after the last sequence they delivered. So nothing
 * depends on a notification arriving: when the connection drops, the hub reconnects with
 * backoff and then wakes every subscriber, which reads what it missed. Per order, sequences
 * commit in order (the order's row is locked while its events are appended), so reading
 * "after the last delivered" never skips one.
 */
import { Client } from 'pg';
import type { Logger } from '../log';
import { INVENTORY_EVENTS_CHANNEL, ORDER_EVENTS_CHANNEL } from './outbox';

export interface OrderNotice {
  orderId: string;
  sequence: number;
  /** The locations whose streams got the events. */
  locations?: string[];
}

type Waker = () => void;

/** Positions that changed, as [locationId, sku]; 'all' after a reconnect (anything may have). */
export type PositionsChanged = [string, string][] | 'all';

export interface EventHubOptions {
  connectionString: string;
  log: Logger;
  /** First reconnect delay in ms (doubles up to maxBackoffMs). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How often the listening connection is checked with a query (default 15 s). */
  heartbeatMs?: number;
}

export class EventHub {
  private client: Client | null = null;
  private readonly byOrder = new Map<string, Set<Waker>>();
  private readonly byLocation = new Map<string, Set<Waker>>();
  private readonly everyone = new Set<Waker>();
  private readonly inventoryWatchers = new Set<(changed: PositionsChanged) => void>();
  private closed = false;
  private connecting: Promise<void> | null = null;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The backend pid of the LISTEN connection (tests terminate it). */
  listenerPid: number | null = null;
  /** Times the connection was (re-)established. */
  connections = 0;
  /**
   * Counts the order notifications handled and the reconnects. A read started at a tick sees
   * every event whose notification came before it, so only reads started at the same tick may
   * be shared (order-updates.ts).
   */
  tick = 0;

  constructor(private readonly opts: EventHubOptions) {}

  /** Connects and listens; resolves once listening (rejects if the first attempt fails). */
  async start(): Promise<void> {
    await this.connect();
  }

  get listening(): boolean {
    return this.client !== null;
  }

  /** Wakes `wake` on every notification for the order and after every reconnect; returns the unsubscribe. */
  watchOrder(orderId: string, wake: Waker): () => void {
    return this.watch(this.byOrder, orderId, wake);
  }

  /** Wakes `wake` when a location's stream gets events, and after every reconnect; returns the unsubscribe. */
  watchLocation(locationId: string, wake: Waker): () => void {
    return this.watch(this.byLocation, locationId, wake);
  }

  /** Calls `onChange` with every batch of changed positions (and 'all' after a reconnect); returns the unsubscribe. */
  watchInventory(onChange: (changed: PositionsChanged) => void): () => void {
    this.inventoryWatchers.add(onChange);
    return () => this.inventoryWatchers.delete(onChange);
  }

  private watch(index: Map<string, Set<Waker>>, key: string, wake: Waker): () => void {
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(wake);
    this.everyone.add(wake);
    return () => {
      set!.delete(wake);
      if (set!.size === 0) index.delete(key);
      this.everyone.delete(wake);
    };
  }

  /** Subscribers watching now (all kinds). */
  get watchers(): number {
    return this.everyone.size + this.inventoryWatchers.size;
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }

  private connect(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.open().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async open(): Promise<void> {
    // TCP keep-alive and timeouts: a connection that dies without a word must not leave the
    // process listening to nothing (the heartbeat below catches what keep-alive does not).
    const client = new Client({
      connectionString: this.opts.connectionString,
      application_name: 'orders-subgraph-listen',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 10_000,
      query_timeout: 10_000,
    });
    client.on('notification', (msg) => {
      if (!msg.payload) return;
      if (msg.channel === INVENTORY_EVENTS_CHANNEL) {
        let changed: [string, string][];
        try {
          changed = JSON.parse(msg.payload) as [string, string][];
        } catch {
          return;
        }
        for (const watcher of this.inventoryWatchers) watcher(changed);
        return;
      }
      if (msg.channel !== ORDER_EVENTS_CHANNEL) return;
      this.tick++;
      let notice: OrderNotice;
      try {
        notice = JSON.parse(msg.payload) as OrderNotice;
      } catch {
        return;
      }
      for (const wake of this.byOrder.get(notice.orderId) ?? []) wake();
      for (const location of notice.locations ?? []) for (const wake of this.byLocation.get(location) ?? []) wake();
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    let row: { pid: number };
    try {
      await client.connect();
      await client.query(`LISTEN ${ORDER_EVENTS_CHANNEL}; LISTEN ${INVENTORY_EVENTS_CHANNEL}`);
      [row] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.listenerPid = row.pid;
    this.heartbeat(client);
    this.connections++;
    this.attempt = 0;
    // Whatever was committed while no one listened: every subscriber reads its table again.
    if (this.connections > 1) {
      this.tick++;
      this.opts.log.info('event listener reconnected; subscribers catch up from the outbox', { pid: row.pid });
      for (const wake of [...this.everyone]) wake();
      for (const watcher of [...this.inventoryWatchers]) watcher('all');
    }
  }

  /** Every HEARTBEAT_MS a trivial query, which must answer within its timeout, or the connection is given up. */
  private heartbeat(client: Client): void {
    const timer = setInterval(() => {
      if (this.client !== client) {
        clearInterval(timer);
        return;
      }
      client.query('SELECT 1').catch((err: Error) => {
        clearInterval(timer);
        this.lost(client, err);
      });
    }, this.opts.heartbeatMs ?? 15_000);
    timer.unref();
  }

  private lost(client: Client, err: Error | null): void {
    if (this.client !== client) return; // an old connection, already replaced or closing
    this.client = null;
    this.listenerPid = null;
    if (this.closed) return;
    this.opts.log.warn('event listener connection lost; reconnecting', { error: err?.message ?? 'ended' });
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const base = this.opts.backoffMs ?? 100;
    const delay = Math.min(this.opts.maxBackoffMs ?? 5000, base * 2 ** this.attempt++);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed) return;
      this.connect().catch((err: Error) => {
        this.opts.log.warn('event listener reconnect failed', { error: err.message, retryInMs: Math.min(this.opts.maxBackoffMs ?? 5000, base * 2 ** this.attempt) });
        this.scheduleReconnect();
      });
    }, delay);
    this.timer.unref();
  }
}
