/**
 * The loop behind every replayable subscription: a stream numbered 1, 2, 3, ... with no gaps,
 * whose numbers commit in order (an order's events, a location's events).
 *
 * Replay and live are the same loop: read what comes after the last number delivered, deliver
 * it, wait until the hub says the stream has news (or its listener reconnected), read again.
 * The watch starts before the first read and a wake-up that comes during a read makes the loop
 * read once more, so there is no gap at the seam between replay and live and, since each read
 * starts after the last number delivered, no duplicate.
 */
import type { Context } from '../context';
import { createLoaders } from '../loaders';

export interface StreamSource<T extends { sequence: number }> {
  /** Registers the wake-up with the hub; returns the unsubscribe. */
  watch(wake: () => void): () => void;
  /** Up to `limit` items after `after`, in order. */
  read(after: number, limit: number): Promise<T[]>;
  /** Checked before each item is delivered (with fresh loaders); throws to end the stream. */
  check(item: T): Promise<void>;
}

/** Items read per query; a longer backlog is read in pages. */
const PAGE = 500;

export async function* follow<T extends { sequence: number }>(ctx: Context, source: StreamSource<T>, after: number): AsyncGenerator<T> {
  let last = after;
  let dirty = true;
  let wake: (() => void) | null = null;
  const unwatch = source.watch(() => {
    dirty = true;
    const w = wake;
    wake = null;
    w?.();
  });
  try {
    for (;;) {
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      dirty = false;
      const items = await source.read(last, PAGE);
      if (items.length === PAGE) dirty = true;
      for (const item of items) {
        // fresh loaders for this item's fields and its check: nothing stale from earlier ones
        ctx.loaders = createLoaders(ctx.db);
        await source.check(item);
        last = item.sequence;
        yield item;
      }
    }
  } finally {
    unwatch();
  }
}

/**
 * Runs `read` once for all who ask for the same key while it is in flight: the subscribers
 * of one order, woken by the same notification, read the same events with one query.
 */
export function shared<T>(inFlight: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  let p = inFlight.get(key);
  if (!p) {
    p = read().finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}
