/**
 * Batches shared by the operations in flight. A statement asked for by several operations in
 * the same turn of the event loop runs once for all of them: the batch is sent after the turn's
 * I/O (`setImmediate`), so every request read and every statement answered in that turn joins
 * it. Under load a turn holds many operations and the statements per operation fall; alone, an
 * operation waits one turn per batch. Nothing is cached: a batch lives until it is sent.
 */

/** The most keys one shared statement takes; more go into the next statement. */
export const TURN_BATCH_KEYS = 1000;

interface Waiter<V> {
  start: number;
  count: number;
  resolve(values: V[]): void;
  reject(err: unknown): void;
}

/**
 * One statement's batch: callers hand it their keys (an operation's DataLoader hands it its
 * whole batch, one promise per caller rather than per key) and get one value per key, in order.
 * `run` gets the keys of every caller of the turn, duplicates included, and returns one value
 * (or Error) per key; if it fails, every caller of that statement gets its error.
 */
export class TurnBatch<K, V> {
  private keys: K[] = [];
  private waiters: Waiter<V>[] = [];
  private scheduled = false;

  constructor(private readonly run: (keys: readonly K[]) => Promise<ArrayLike<V>>) {}

  load(keys: readonly K[]): Promise<V[]> {
    return new Promise<V[]>((resolve, reject) => {
      const start = this.keys.length;
      for (const k of keys) this.keys.push(k);
      this.waiters.push({ start, count: keys.length, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.send());
      }
    });
  }

  /** Sends the turn's batch, in statements of at most TURN_BATCH_KEYS keys (a caller's keys stay in one). */
  private send(): void {
    const { keys, waiters } = this;
    this.keys = [];
    this.waiters = [];
    this.scheduled = false;
    let from = 0;
    while (from < waiters.length) {
      let to = from + 1;
      while (to < waiters.length && waiters[to].start + waiters[to].count - waiters[from].start <= TURN_BATCH_KEYS) to++;
      this.sendPart(keys, waiters.slice(from, to));
      from = to;
    }
  }

  private sendPart(keys: K[], waiters: Waiter<V>[]): void {
    const first = waiters[0].start;
    const last = waiters[waiters.length - 1];
    const part = first === 0 && last.start + last.count === keys.length ? keys : keys.slice(first, last.start + last.count);
    let running: Promise<ArrayLike<V>>;
    try {
      running = this.run(part);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (values) => {
        for (const w of waiters) w.resolve(Array.prototype.slice.call(values, w.start - first, w.start - first + w.count) as V[]);
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}

/**
 * Calls with the same group (the statement and every parameter but the key) made in one turn
 * run as one batch: `run` gets the keys and returns one value per key, in order.
 */
export class TurnBatcher<K, V> {
  private readonly pending = new Map<string, TurnBatch<K, V>>();

  async load(group: string, key: K, run: (keys: readonly K[]) => Promise<V[]>): Promise<V> {
    let batch = this.pending.get(group);
    if (!batch) {
      const made: TurnBatch<K, V> = new TurnBatch<K, V>((keys) => {
        // later calls of the group start a batch of their own
        if (this.pending.get(group) === made) this.pending.delete(group);
        return run(keys);
      });
      this.pending.set(group, (batch = made));
    }
    return (await batch.load([key]))[0];
  }
}
