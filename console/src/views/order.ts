/**
 * An order: what it is (status, customer, method, address, total), its lines with what was
 * cancelled and returned, its holds, its fulfillment groups, and the timeline of its events.
 */
import { gql } from '../api';
import { badge, h, money, show, table, when } from '../dom';
import { liveStatePill, reloader, subscribe } from '../live';
import type { Session } from '../session';
import { locations, type Place } from '../locations';
import { isDirty, orderActions } from './actions';
import { planMap } from './plan-map';

export const ORDER_FIELDS = `
  id number status method channel customerId version createdAt updatedAt canCancel
  total { amount currencyCode }
  shippingAddress { name line1 line2 city region postalCode countryCode geo { lat lng } }
  pickupLocation { id code name }
  lines { id sku quantity cancelledQuantity returnedQuantity cancellableQuantity returnableQuantity unitPrice { amount currencyCode } }
  holds { id type reason createdAt releaseAt releasedAt releasedBy }
  fulfillmentPlan {
    id version shipmentCount totalDistanceKm estimatedCost { amount currencyCode }
    groups { id status method distanceKm promisedBy version nextStates location { id code name } lines { sku quantity } estimatedCost { amount currencyCode } }
    unallocated { sku quantity }
    explanation {
      objective provenOptimal ruleVersion
      breakdown { locationId cost distanceKm }
      alternatives { locationIds objective shipmentCount }
      excluded { location { id } reason }
    }
  }
  events(first: 100) { sequence type status previousStatus actor fulfillmentGroupId at }`;

const ORDER = `query ConsoleOrder($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const MORE_EVENTS = `query ConsoleOrderEvents($id: ID!, $after: Int!) { order(id: $id) { events(after: $after, first: 100) { sequence type status previousStatus actor fulfillmentGroupId at } } }`;
/** Pages of events the API gives at most (100 each): a timeline longer than that says so. */
const MAX_EVENT_PAGES = 20;

export interface OrderView {
  id: string; number: string; status: string; method: string; channel: string; customerId: string; version: number;
  createdAt: string; updatedAt: string; canCancel: boolean; total: { amount: string; currencyCode: string };
  shippingAddress: { name: string | null; line1: string; line2: string | null; city: string; region: string | null; postalCode: string; countryCode: string; geo: { lat: number; lng: number } | null } | null;
  pickupLocation: { id: string; code: string; name: string } | null;
  lines: { id: string; sku: string; quantity: number; cancelledQuantity: number; returnedQuantity: number; cancellableQuantity: number; returnableQuantity: number; unitPrice: { amount: string; currencyCode: string } }[];
  holds: { id: string; type: string; reason: string; createdAt: string; releaseAt: string | null; releasedAt: string | null; releasedBy: string | null }[];
  fulfillmentPlan: {
    id: string; version: number; shipmentCount: number; totalDistanceKm: number; estimatedCost: { amount: string; currencyCode: string };
    groups: { id: string; status: string; method: string; distanceKm: number; promisedBy: string | null; version: number; nextStates: string[]; location: { id: string; code: string; name: string }; lines: { sku: string; quantity: number }[]; estimatedCost: { amount: string; currencyCode: string } }[];
    unallocated: { sku: string; quantity: number }[];
    explanation: {
      objective: number; provenOptimal: boolean; ruleVersion: number;
      breakdown: { locationId: string; cost: number; distanceKm: number }[];
      alternatives: { locationIds: string[]; objective: number; shipmentCount: number }[];
      excluded: { location: { id: string }; reason: string }[];
    };
  } | null;
  events: { sequence: number; type: string; status: string; previousStatus: string | null; actor: string | null; fulfillmentGroupId: string | null; at: string }[];
}

const ORDER_UPDATED = `subscription ConsoleOrderUpdated($orderId: ID!, $afterSequence: Int) {
  orderUpdated(orderId: $orderId, afterSequence: $afterSequence) { sequence type status at }
}`;

/** The order with its whole timeline (the API pages events by 100); null when gone or not visible. `alive` stops the paging. */
async function loadOrder(id: string, alive: () => boolean = () => true): Promise<OrderView | null> {
  const { order } = await gql<{ order: OrderView | null }>(ORDER, { id });
  if (!order) return null;
  for (let page = 1, last = order.events; last.length === 100 && page < MAX_EVENT_PAGES && alive(); page++) {
    const more = await gql<{ order: { events: OrderView['events'] } | null }>(MORE_EVENTS, { id, after: last[last.length - 1].sequence });
    last = more.order?.events ?? [];
    order.events.push(...last);
  }
  return order;
}

/**
 * The order's page, kept current: every event of the order (from the one after the last the
 * page shows, so none is missed across a reconnect) reloads it, at most every 250 ms. The
 * actions are rebuilt with it, except a form the user is typing in. Returns the function that
 * stops the updates (when the page is left).
 */
export async function orderView(main: HTMLElement, session: Session, id: string, current: () => boolean): Promise<() => void> {
  show(main, h('p', { class: 'muted' }, 'Loading the order…'));
  let order: OrderView | null;
  let places: Map<string, Place>;
  try {
    [order, places] = await Promise.all([loadOrder(id, current), locations()]);
  } catch (err) {
    if (current()) show(main, h('p', { class: 'error', role: 'alert' }, (err as Error).message), h('a', { href: '#/orders' }, '← Orders'));
    return () => undefined;
  }
  // left while loading: another page owns the screen now
  if (!current()) return () => undefined;
  if (!order) {
    show(main, h('p', { class: 'empty' }, 'No such order, or not one you may see.'), h('a', { href: '#/orders' }, '← Orders'));
    return () => undefined;
  }
  const { el: live, stop: stopState } = liveStatePill();
  let stopped = false;
  const alive = () => !stopped && current();
  let latest: OrderView = order;
  const draw = (o: OrderView) => {
    latest = o;
    // a form the user is typing in stays as it is (with the focus and the caret), if the
    // order still offers it; every form sends the versions of the order as last read
    const focused = document.activeElement;
    const typing = [...main.querySelectorAll<HTMLFormElement>('#actions form')].filter(isDirty);
    const actions = orderActions(o, session, refresh, () => latest);
    for (const form of typing) actions?.querySelector(`#${CSS.escape(form.id)}`)?.replaceWith(form);
    show(main, renderOrder(o, live, actions, places));
    if (focused instanceof HTMLElement && focused !== document.activeElement && main.contains(focused)) {
      const caret = focused instanceof HTMLInputElement && focused.type === 'text' ? [focused.selectionStart, focused.selectionEnd] : null;
      focused.focus();
      if (caret && focused instanceof HTMLInputElement) focused.setSelectionRange(caret[0], caret[1]);
    }
  };
  // one reload at a time: an event during a reload asks for one more after it
  const { request: refresh, cancel } = reloader(async () => {
    const fresh = await loadOrder(id, alive);
    if (fresh && alive()) draw(fresh);
  }, alive);
  draw(order);
  const lastSequence = order.events.length ? order.events[order.events.length - 1].sequence : 0;
  const unsubscribe = subscribe<{ orderUpdated: { sequence: number } }>(ORDER_UPDATED, { orderId: id, afterSequence: lastSequence }, (e) => e.orderUpdated.sequence, {
    next: () => refresh(),
    error: () => undefined,
  });
  return () => {
    stopped = true;
    cancel();
    unsubscribe();
    stopState();
  };
}

const km = (n: number) => `${n.toFixed(1)} km`;

export function renderOrder(o: OrderView, live: Node, actions: Element | null, places: Map<string, Place>): HTMLElement {
  const a = o.shippingAddress;
  const fact = (label: string, value: Node | string) => [h('dt', {}, label), h('dd', {}, value)];
  const plan = o.fulfillmentPlan;
  return h('article', { class: 'order', id: 'order', 'data-order-id': o.id, 'data-version': o.version },
    h('header', { class: 'order-head' },
      h('a', { href: '#/orders', class: 'back' }, '← Orders'),
      h('h1', {}, `Order ${o.number}`, ' ', h('span', { id: 'order-status' }, badge(o.status))),
      h('p', { class: 'muted' }, `version ${o.version} · updated ${when(o.updatedAt)} · `, live),
    ),
    h('div', { class: 'order-body' }, h('div', { class: 'order-main' },
    h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        fact('Customer', o.customerId),
        fact('Channel', o.channel),
        fact('Method', o.method.replace(/_/g, ' ')),
        fact('Placed', when(o.createdAt)),
        fact('Total', money(o.total)),
        a ? fact('Ship to', [a.name, a.line1, a.line2, `${a.postalCode} ${a.city}`, a.region, a.countryCode].filter(Boolean).join(', ')) : [],
        o.pickupLocation ? fact('Pick up at', `${o.pickupLocation.code} · ${o.pickupLocation.name}`) : [],
      ),
    ),
    h('section', { class: 'card' },
      h('h2', {}, 'Lines'),
      table(['SKU', 'Ordered', 'Cancelled', 'Returned', 'Cancellable', 'Returnable', 'Unit price'],
        o.lines.map((l) => [l.sku, num(l.quantity), num(l.cancelledQuantity), num(l.returnedQuantity), num(l.cancellableQuantity), num(l.returnableQuantity), h('span', { class: 'num' }, money(l.unitPrice))]),
        { id: 'lines' }),
    ),
    h('section', { class: 'card' },
      h('h2', {}, 'Holds'),
      o.holds.length
        ? table(['Type', 'Reason', 'Placed', 'Releases at', 'Released'],
          o.holds.map((x) => [x.type.replace(/_/g, ' '), x.reason, when(x.createdAt), when(x.releaseAt), x.releasedAt ? `${when(x.releasedAt)}${x.releasedBy ? ` by ${x.releasedBy}` : ''}` : 'active']),
          { id: 'holds' })
        : h('p', { class: 'muted' }, 'No holds.'),
    ),
    h('section', { class: 'card' },
      h('h2', {}, 'Fulfillment'),
      plan
        ? [
          h('p', { class: 'muted' }, `Plan version ${plan.version}: ${plan.shipmentCount} shipment${plan.shipmentCount === 1 ? '' : 's'}, ${km(plan.totalDistanceKm)} in all, estimated ${money(plan.estimatedCost)}.`),
          table(['Location', 'Method', 'Status', 'Lines', 'Distance', 'Cost', 'Promised by'],
            plan.groups.map((g) => [`${g.location.code} · ${g.location.name}`, g.method.replace(/_/g, ' '), badge(g.status),
              g.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', '), km(g.distanceKm), money(g.estimatedCost), when(g.promisedBy)]),
            { id: 'groups' }),
          plan.unallocated.length ? h('p', { class: 'warning' }, `Not allocated: ${plan.unallocated.map((l) => `${l.quantity} × ${l.sku}`).join(', ')}`) : null,
          planMap(o, places),
        ]
        : h('p', { class: 'muted' }, 'No fulfillment plan yet.'),
    ),
    h('section', { class: 'card' },
      h('h2', {}, 'Timeline'),
      h('ol', { class: 'timeline', id: 'timeline' },
        o.events.map((e) => h('li', { 'data-sequence': e.sequence },
          h('time', { datetime: e.at }, when(e.at)), ' ',
          h('strong', {}, e.type.replace(/_/g, ' ')), ' ',
          e.previousStatus && e.previousStatus !== e.status ? [badge(e.previousStatus), ' → '] : null, badge(e.status),
          e.actor ? h('span', { class: 'muted' }, ` by ${e.actor}`) : null,
        ))),
    ),
    ), actions),
  );
}

const num = (n: number) => h('span', { class: 'num' }, n);
