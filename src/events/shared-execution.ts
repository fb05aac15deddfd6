/**
 * Subscription execution shared by the subscribers who would get the same result.
 *
 * graphql-js executes a subscription's selection once per event and subscriber. When twenty
 * sockets of one customer follow one order with the same document, that is twenty identical
 * executions per event; at 10,000 subscribers it was a large part of the server's work.
 * Here an event's result is computed once per key and reused: the key names the document,
 * the operation, the variables and the principal (role, subject and locations: everything
 * authorization reads), so a result is only ever reused for the same principal asking the
 * same thing. The event is the object the stream yields; the streams share one read among
 * the subscribers woken by one notification (stream.ts), so they yield the same objects.
 *
 * The key also carries the hub's tick when the execution starts: a result is reused only
 * within the same notification, so a subscriber never receives fields read earlier than
 * those of an event it already received (each event's fields stay as fresh as before).
 */
import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Principal } from '../auth/principal';

type Result = ExecutionResult | Promise<ExecutionResult>;

export interface SharedExecution {
  /** graphql-ws's `subscribe`: the source stream, each event executed once per key. */
  subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult>;
  /** Executions run (not reused) so far: for tests and diagnostics. */
  readonly executions: number;
}

/**
 * `principalOf(args)`: the principal of the operation, or null to share nothing.
 * `tick()`: the hub's notification counter.
 */
export function sharedExecution(principalOf: (args: ExecutionArgs) => Principal | null, tick: () => number): SharedExecution {
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  // per event object: per key, the result; dropped with the event
  const results = new WeakMap<object, Map<string, Result>>();
  let executions = 0;

  const keyOf = (args: ExecutionArgs): string | null => {
    const p = principalOf(args);
    if (!p) return null;
    let doc = documentIds.get(args.document);
    if (doc === undefined) documentIds.set(args.document, (doc = nextDocumentId++));
    const locations = p.locationIds.length ? [...p.locationIds].sort().join(',') : '';
    return JSON.stringify([doc, args.operationName ?? null, args.variableValues ?? null, p.role, p.sub, locations]);
  };

  const run = (args: ExecutionArgs, payload: unknown): Result => {
    executions++;
    return execute({ ...args, rootValue: payload });
  };

  return {
    get executions() {
      return executions;
    },
    async subscribe(args) {
      const stream = await createSourceEventStream(args);
      if (!isAsyncIterable(stream)) return stream as ExecutionResult;
      const key = keyOf(args);
      return mapStream(stream, (payload) => {
        if (key === null || typeof payload !== 'object' || payload === null) return run(args, payload);
        let byKey = results.get(payload);
        if (!byKey) results.set(payload, (byKey = new Map()));
        const k = `${tick()}:${key}`;
        let r = byKey.get(k);
        if (!r) byKey.set(k, (r = run(args, payload)));
        return r;
      });
    },
  };
}

export function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x;
}

/**
 * `source` mapped by `fn`; return() and throw() reach the source at once, as graphql-js's own
 * mapping does (an async generator function would hold return() until a pending next() settled).
 * `onEnd` runs once when the stream ends, however it ends.
 */
export function mapStream<T, U>(source: AsyncIterable<T>, fn: (t: T) => U | Promise<U>, onEnd?: () => void): AsyncGenerator<U> {
  const it = source[Symbol.asyncIterator]();
  let ended = false;
  const end = () => {
    if (!ended) onEnd?.();
    ended = true;
  };
  const close = async () => {
    end();
    if (typeof it.return === 'function') await it.return();
  };
  const gen: AsyncGenerator<U> = {
    async next() {
      let r: IteratorResult<T>;
      try {
        r = await it.next();
      } catch (err) {
        end();
        throw err;
      }
      if (r.done) {
        end();
        return { done: true, value: undefined };
      }
      try {
        return { done: false, value: await fn(r.value) };
      } catch (err) {
        await close().catch(() => undefined);
        throw err;
      }
    },
    async return() {
      await close();
      return { done: true, value: undefined };
    },
    async throw(err: unknown) {
      await close();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return gen;
    },
  } as unknown as AsyncGenerator<U>; // (no asyncDispose: graphql-ws never calls it)
  return gen;
}
