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
import { metrics } from '../metrics';

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

/**
 * A wake-up signal that remembers a wake-up given while no one waited, and can be closed:
 * closing ends the current wait at once.
 */
export class Signal {
  private resolve: (() => void) | null = null;
  private pending = false;
  closed = false;

  poke(): void {
    this.pending = true;
    this.release();
  }

  close(): void {
    this.closed = true;
    this.release();
  }

  /** Resolves at the next poke (at once if one came since the last wait) or at close. */
  async wait(): Promise<void> {
    if (!this.pending && !this.closed) await new Promise<void>((r) => (this.resolve = r));
    this.pending = false;
  }

  private release(): void {
    const r = this.resolve;
    this.resolve = null;
    r?.();
  }
}

/**
 * The generator, with a return() that first closes its signal. A generator paused at an
 * `await` handles return() only when that await settles; without this, a subscription
 * closed on a quiet stream would keep its watch (and its context) until the next event.
 */
export function closable<T>(gen: AsyncGenerator<T>, signal: Signal): AsyncGenerator<T> {
  const it: AsyncGenerator<T> = {
    next: (...args) => gen.next(...args),
    return: (value) => {
      signal.close();
      return gen.return(value);
    },
    throw: (err) => {
      signal.close();
      return gen.throw(err);
    },
    [Symbol.asyncIterator]: () => it,
  } as AsyncGenerator<T>;
  return it;
}

export function follow<T extends { sequence: number }>(ctx: Context, source: StreamSource<T>, after: number): AsyncGenerator<T> {
  const signal = new Signal();
  return closable(loop(ctx, source, after, signal), signal);
}

async function* loop<T extends { sequence: number }>(ctx: Context, source: StreamSource<T>, after: number, signal: Signal): AsyncGenerator<T> {
  let last = after;
  signal.poke(); // read once at the start: the replay
  const unwatch = source.watch(() => signal.poke());
  try {
    for (;;) {
      await signal.wait();
      if (signal.closed) return;
      const items = await source.read(last, PAGE);
      if (items.length === PAGE) signal.poke();
      for (const item of items) {
        // fresh loaders for this item's fields and its check: nothing stale from earlier ones
        ctx.loaders = createLoaders(ctx.db.keyed);
        await source.check(item);
        last = item.sequence;
        const at = (item as { at?: unknown }).at;
        if (at instanceof Date) metrics.outboxLagSeconds.observe(Math.max(0, Date.now() - at.getTime()) / 1000);
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
