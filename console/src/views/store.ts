/**
 * A location's work queue, live: the fulfillment groups at the location that still need
 * work (pending, accepted, picking, packed, ready for pick-up), oldest promise first, and the
 * location's events as they arrive over `fulfillmentUpdates`. The queue itself is read from
 * the API (`orders` filtered by the location) and read again after each event and after each
 * reconnect, so it is right whatever the socket missed; the feed shows the events since the
 * page opened (live, resuming after the last one seen across a reconnect).
 * A STORE sees its own locations; AGENT, SERVICE and ADMIN choose any.
 */
import { gql } from '../api';
import { badge, h, show, table, when } from '../dom';
import { liveStatePill, reloader, subscribe } from '../live';
import { locations } from '../locations';
import type { Session } from '../session';

const OPEN = ['PENDING', 'ACCEPTED', 'PICKING', 'PACKED', 'READY_FOR_PICKUP'];
const QUEUE = `query ConsoleQueue($locationId: ID!, $first: Int!, $after: String) {
  orders(first: $first, after: $after, filter: { locationId: $locationId, status: [ALLOCATED, BACKORDERED, IN_FULFILLMENT, PARTIALLY_FULFILLED, FULFILLED, ON_HOLD] }) {
    edges { node { id number status fulfillmentPlan { groups { id status method promisedBy location { id } lines { sku quantity } } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const UPDATES = `subscription ConsoleFulfillmentUpdates($locationId: ID!, $afterSequence: Int) {
  fulfillmentUpdates(locationId: $locationId, afterSequence: $afterSequence) { sequence type orderStatus at order { id number } group { id status } }
}`;
/** Orders a page of the queue's query reads (the API's cost limit allows about 30 with their groups), and pages at most. */
const PAGE = 25;
const MAX_PAGES = 20;
const FEED = 30;

interface Item {
  orderId: string; number: string; orderStatus: string;
  group: { id: string; status: string; method: string; promisedBy: string | null; lines: { sku: string; quantity: number }[] };
}
interface Update { sequence: number; type: string; orderStatus: string; at: string; order: { id: string; number: string }; group: { id: string; status: string } | null }

/** FULFILLED is asked for too: an order whose pick-up group waits at the counter is FULFILLED. `alive` stops the paging. */
async function loadQueue(locationId: string, alive: () => boolean): Promise<{ items: Item[]; more: boolean }> {
  const items: Item[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES && alive(); page++) {
    type Page = { orders: { edges: { node: { id: string; number: string; status: string; fulfillmentPlan: { groups: (Item['group'] & { location: { id: string } })[] } | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const data: Page = await gql<Page>(QUEUE, { locationId, first: PAGE, after });
    for (const { node } of data.orders.edges) {
      for (const g of node.fulfillmentPlan?.groups ?? []) {
        if (g.location.id === locationId && OPEN.includes(g.status)) items.push({ orderId: node.id, number: node.number, orderStatus: node.status, group: g });
      }
    }
    if (!data.orders.pageInfo.hasNextPage) return { items: sortByPromise(items), more: false };
    after = data.orders.pageInfo.endCursor;
  }
  return { items: sortByPromise(items), more: true };
}

const sortByPromise = (items: Item[]) => items.sort((a, b) => (a.group.promisedBy ?? '9999').localeCompare(b.group.promisedBy ?? '9999'));

export async function storeView(main: HTMLElement, session: Session, requested: string | null, current: () => boolean): Promise<() => void> {
  const places = await locations();
  if (!current()) return () => undefined;
  const allowed = session.role === 'STORE' ? session.locationIds.filter((id) => places.has(id)) : [...places.keys()];
  if (!allowed.length) {
    show(main, h('p', { class: 'empty' }, 'This token names no location.'));
    return () => undefined;
  }
  const locationId = requested && allowed.includes(requested) ? requested : allowed[0];
  const place = places.get(locationId)!;
  const picker = h('select', { id: 'store-location', onchange: () => { window.location.hash = `#/store/${picker.value}`; } },
    allowed.map((id) => places.get(id)!).sort((a, b) => a.code.localeCompare(b.code)).map((l) => h('option', { value: l.id, selected: l.id === locationId }, `${l.code} · ${l.name}`)));
  let onConnected: (() => void) | null = null;
  const pill = liveStatePill((state) => {
    if (state === 'live') onConnected?.();
  });
  const live = pill.el;
  const queue = h('section', { class: 'card', id: 'queue-card' }, h('p', { class: 'muted' }, 'Loading the queue…'));
  const feed = h('ol', { class: 'timeline', id: 'feed' });
  show(main,
    h('header', { class: 'order-head' }, h('h1', {}, `Work queue: ${place.code} · ${place.name}`), h('p', { class: 'muted' }, picker, ' · ', live)),
    queue,
    h('section', { class: 'card' }, h('h2', {}, 'Events since this page opened'), feed, h('p', { class: 'muted', id: 'feed-empty' }, 'None yet.')),
  );

  let stopped = false;
  const alive = () => !stopped && current();
  const draw = async () => {
    try {
      const { items, more } = await loadQueue(locationId, alive);
      if (!alive()) return;
      show(queue, h('h2', {}, `To do (${items.length}${more ? '+' : ''})`),
        items.length
          ? table(['Order', 'Order status', 'Group', 'Method', 'Lines', 'Promised by'], items.map((i) => [
            h('a', { href: `#/orders/${i.orderId}`, class: 'order-link' }, i.number), badge(i.orderStatus),
            h('span', { 'data-group-id': i.group.id }, badge(i.group.status)), i.group.method.replace(/_/g, ' '),
            i.group.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', '), when(i.group.promisedBy),
          ]), { id: 'queue' })
          : h('p', { class: 'empty' }, 'Nothing to do here.'),
        more ? h('p', { class: 'warning' }, `More than ${MAX_PAGES * PAGE} open orders: the oldest are not shown.`) : null);
    } catch (err) {
      if (alive()) show(queue, h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    }
  };
  // one read at a time: an event during a read asks for one more after it
  const { request: refresh, cancel } = reloader(draw, alive);
  // (re)connected: read the queue again, whatever happened while the socket was down
  const stopState = pill.stop;
  onConnected = () => refresh();
  const unsubscribe = subscribe<{ fulfillmentUpdates: Update }>(UPDATES, { locationId, afterSequence: null }, (e) => e.fulfillmentUpdates.sequence, {
    next: ({ fulfillmentUpdates: e }) => {
      main.querySelector('#feed-empty')?.remove();
      feed.prepend(h('li', { 'data-sequence': e.sequence },
        h('time', { datetime: e.at }, when(e.at)), ' ', h('strong', {}, e.type.replace(/_/g, ' ')), ' ',
        h('a', { href: `#/orders/${e.order.id}` }, e.order.number), ' ', badge(e.orderStatus),
        e.group ? [' group ', badge(e.group.status)] : null));
      while (feed.children.length > FEED) feed.lastElementChild?.remove();
      refresh();
    },
    error: () => undefined,
  });
  await draw();
  return () => {
    stopped = true;
    cancel();
    unsubscribe();
    stopState();
  };
}
