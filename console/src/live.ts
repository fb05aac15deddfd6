/**
 * Live updates over graphql-ws on this origin's /graphql. One socket per page, opened on the
 * first subscription, retried for ever with a growing wait (at most 10 s) while the page is
 * open, and its state shown to the user (`#live-state`: connecting, live, reconnecting).
 *
 * An order's stream asks for every event after the last one it has (`afterSequence`), and the
 * number moves with each event, also in the request graphql-ws sends again after a reconnect:
 * events missed while the socket was down arrive then, once each (a sequence already seen is
 * dropped in any case).
 */
import { createClient, type Client } from 'graphql-ws';
import { currentSession } from './session';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'failed';

let client: Client | null = null;
/** Subscriptions open: a socket closed with none (graphql-ws closes an idle one) is not "reconnecting". */
let active = 0;
let state: LiveState = 'connecting';
const listeners = new Set<(s: LiveState, detail?: string) => void>();

function setState(s: LiveState, detail?: string): void {
  state = s;
  for (const l of listeners) l(s, detail);
}

export function onLiveState(fn: (s: LiveState, detail?: string) => void): () => void {
  listeners.add(fn);
  fn(state);
  return () => listeners.delete(fn);
}

function socket(): Client {
  if (client) return client;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  let everConnected = false;
  client = createClient({
    url,
    lazy: true,
    keepAlive: 10_000,
    connectionParams: () => {
      const s = currentSession();
      return s ? { authorization: `Bearer ${s.token}` } : {};
    },
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** retries * (0.75 + Math.random() / 2)))),
    // a refused token (4401, 4403) is not retried: the sink gets the error
    shouldRetry: (e) => !(typeof e === 'object' && e !== null && 'code' in e && [4400, 4401, 4403].includes((e as CloseEvent).code)),
    on: {
      connecting: () => setState(everConnected && active > 0 ? 'reconnecting' : 'connecting'),
      connected: () => {
        everConnected = true;
        setState('live');
      },
      closed: () => {
        if (everConnected && active > 0 && state !== 'failed') setState('reconnecting');
      },
    },
  });
  return client;
}

/** Closes the socket (sign-out, another page). */
export function closeLive(): void {
  void client?.dispose();
  client = null;
  state = 'connecting';
}

interface Sink<T> {
  next(value: T): void;
  error(message: string): void;
}

/**
 * Subscribes `query` with `variables`; `sequenceOf` reads an event's sequence, and
 * `afterSequence` in the variables moves with it (null: live only until the first event).
 * Returns the unsubscribe function.
 */
export function subscribe<T>(query: string, variables: Record<string, unknown> & { afterSequence: number | null }, sequenceOf: (value: T) => number, sink: Sink<T>): () => void {
  const payload = { query, variables: { ...variables } };
  active++;
  const unsubscribe = socket().subscribe<T>(payload, {
    next: (msg) => {
      if (msg.errors?.length) {
        sink.error(msg.errors[0].message);
        return;
      }
      if (!msg.data) return;
      const seq = sequenceOf(msg.data);
      const after = payload.variables.afterSequence;
      if (after !== null && seq <= after) return;
      payload.variables.afterSequence = seq;
      sink.next(msg.data);
    },
    error: (err) => {
      const e = err as { code?: number; reason?: string; message?: string } | { message: string }[];
      const message = Array.isArray(e) ? e[0]?.message : e.reason || e.message || 'the live connection failed';
      setState('failed', message);
      sink.error(message ?? 'the live connection failed');
    },
    complete: () => undefined,
  });
  let done = false;
  return () => {
    if (done) return;
    done = true;
    active--;
    unsubscribe();
    // graphql-ws closes a socket nothing listens on: the next page starts from "connecting"
    if (active === 0) state = 'connecting';
  };
}

const LIVE_TEXT: Record<LiveState, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', failed: 'Live updates stopped' };

/**
 * The `#live-state` element of a page, kept in step with the socket; `onChange` hears each
 * state too. `stop` detaches it when the page is left.
 */
export function liveStatePill(onChange?: (s: LiveState) => void): { el: HTMLSpanElement; stop: () => void } {
  const el = document.createElement('span');
  el.id = 'live-state';
  el.className = 'live';
  const stop = onLiveState((state, detail) => {
    el.dataset.state = state;
    el.textContent = state === 'failed' && detail ? `${LIVE_TEXT.failed}: ${detail}` : LIVE_TEXT[state];
    onChange?.(state);
  });
  return { el, stop };
}

/**
 * Runs `load` at most every `delayMs` and one at a time: a call while one waits joins it, a
 * call while one runs asks for one more after it. Nothing runs once `alive` says no.
 */
export function reloader(load: () => Promise<void>, alive: () => boolean, delayMs = 250): { request: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let loading = false;
  let again = false;
  const request = () => {
    if (!alive() || timer) return;
    if (loading) {
      again = true;
      return;
    }
    timer = setTimeout(async () => {
      timer = null;
      loading = true;
      again = false;
      try {
        await load();
      } catch {
        // the next event, reconnect or action asks again; the state pill shows a dead socket
      } finally {
        loading = false;
        if (again) request();
      }
    }, delayMs);
  };
  return { request, cancel: () => timer && clearTimeout(timer) };
}
