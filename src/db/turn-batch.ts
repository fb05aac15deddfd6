/**
 * Batches shared by the operations in flight. A statement asked for by several operations in
 * the same turn of the event loop runs once for all of them: the batch is sent after the turn's
 * I/O (`setImmediate`), so every request read and every statement answered in that turn joins
 * it. Under load a turn holds many operations and the statements per operation fall; alone, an
 * operation waits one turn per batch. Nothing is cached: a batch lives until it is sent.
 */
import DataLoader from 'dataloader';

/** The most keys one shared statement takes; more go into the next statement. */
export const TURN_BATCH_KEYS = 1000;

/** DataLoader options of a process-wide loader whose batches span the operations of one turn. */
export const turnBatchOptions: DataLoader.Options<unknown, unknown, unknown> = {
  cache: false,
  maxBatchSize: TURN_BATCH_KEYS,
  batchScheduleFn: (send) => setImmediate(send),
};

/**
 * Calls with the same group (the statement and every parameter but the keys) made in one turn
 * run as one batch: `run` gets the keys and returns one value per key, in order.
 */
export class TurnBatcher<K, V> {
  private readonly pending = new Map<string, DataLoader<K, V>>();

  load(group: string, key: K, run: (keys: readonly K[]) => Promise<V[]>): Promise<V> {
    let loader = this.pending.get(group);
    if (!loader) {
      const made: DataLoader<K, V> = new DataLoader<K, V>((keys) => {
        // later calls of the group start a batch of their own
        if (this.pending.get(group) === made) this.pending.delete(group);
        return run(keys);
      }, turnBatchOptions as DataLoader.Options<K, V>);
      this.pending.set(group, (loader = made));
    }
    return loader.load(key);
  }
}
