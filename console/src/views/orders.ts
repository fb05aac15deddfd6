/**
 * Order search: by number, or by customer, status, location and creation dates, newest
 * first, in keyset pages of 20. The search lives in the URL (`#/orders?...`), so a search can
 * be bookmarked or sent to a colleague; the cursors of the pages before are kept in memory
 * for "Newer".
 */
import { gql } from '../api';
import { badge, h, money, show, table, when } from '../dom';
import { locations, type Place } from '../locations';
import type { Session } from '../session';

const STATUSES = ['PLACED', 'ON_HOLD', 'ALLOCATED', 'BACKORDERED', 'IN_FULFILLMENT', 'PARTIALLY_FULFILLED', 'FULFILLED', 'COMPLETED', 'CANCELLED', 'RETURNED'];
const PAGE = 20;

const LIST = `query ConsoleOrders($first: Int!, $after: String, $filter: OrderFilter) {
  orders(first: $first, after: $after, filter: $filter) {
    edges { node { id number status method customerId createdAt total { amount currencyCode } lines { id } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const BY_NUMBER = `query ConsoleOrderByNumber($number: String!) { orderByNumber(number: $number) { id } }`;

interface Row {
  id: string; number: string; status: string; method: string; customerId: string; createdAt: string;
  total: { amount: string; currencyCode: string }; lines: { id: string }[];
}

export interface Search {
  number: string; customer: string; status: string[]; location: string; from: string; to: string; after: string;
}

export function searchFrom(params: URLSearchParams): Search {
  return {
    number: params.get('number') ?? '',
    customer: params.get('customer') ?? '',
    status: (params.get('status') ?? '').split(',').filter((x) => STATUSES.includes(x)),
    location: params.get('location') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    after: params.get('after') ?? '',
  };
}

function searchHash(s: Search): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) {
    const value = Array.isArray(v) ? v.join(',') : v;
    if (value) p.set(k, value);
  }
  const q = p.toString();
  return `#/orders${q ? `?${q}` : ''}`;
}

/** Dates are days in UTC: from its first instant, to the end of the `to` day. */
function dayStart(day: string, plusDays = 0): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d.toISOString();
}

/** Cursors of the pages shown before the current one, per search (without its cursor). */
const visited = new Map<string, string[]>();

export async function ordersView(main: HTMLElement, session: Session, search: Search, current: () => boolean = () => true): Promise<void> {
  // the location filter's choices; without them the search still works
  const places = [...(await locations().catch(() => new Map<string, Place>())).values()].sort((a, b) => a.code.localeCompare(b.code));
  if (!current()) return;
  const results = h('section', { class: 'results', 'aria-live': 'polite' });
  const field = (id: string, label: string, control: HTMLElement) => h('div', { class: 'field' }, h('label', { for: id }, label), control);
  const number = h('input', { id: 'q-number', name: 'number', value: search.number, placeholder: 'e.g. 1000123', autocomplete: 'off' });
  const customer = h('input', { id: 'q-customer', name: 'customer', value: search.customer, placeholder: 'customer id', autocomplete: 'off', disabled: session.role === 'CUSTOMER' });
  const status = h('select', { id: 'q-status', name: 'status', multiple: true, size: 4 }, STATUSES.map((x) => h('option', { value: x, selected: search.status.includes(x) }, x.replace(/_/g, ' '))));
  const location = h('select', { id: 'q-location', name: 'location' }, h('option', { value: '' }, 'Any location'), places.map((l) => h('option', { value: l.id, selected: l.id === search.location }, `${l.code} · ${l.name}`)));
  const from = h('input', { id: 'q-from', name: 'from', type: 'date', value: search.from });
  const to = h('input', { id: 'q-to', name: 'to', type: 'date', value: search.to });
  const form = h(
    'form',
    {
      class: 'card search',
      role: 'search',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const next: Search = {
          number: number.value.trim(), customer: customer.value.trim(), status: [...status.selectedOptions].map((o) => o.value),
          location: location.value, from: from.value, to: to.value, after: '',
        };
        const hash = searchHash(next);
        if (window.location.hash === hash) void ordersView(main, session, next, current);
        else window.location.hash = hash;
      },
    },
    h('h1', {}, 'Orders'),
    h('div', { class: 'fields' },
      field('q-number', 'Order number', number),
      field('q-customer', 'Customer', customer),
      field('q-status', 'Status', status),
      field('q-location', 'Location', location),
      field('q-from', 'Created from (UTC)', from),
      field('q-to', 'Created to (UTC, inclusive)', to),
    ),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Search'),
      h('a', { href: '#/orders', class: 'button' }, 'Clear'),
    ),
  );
  show(main, form, results);
  await showResults(results, session, search, current);
}

async function showResults(results: HTMLElement, session: Session, search: Search, current: () => boolean): Promise<void> {
  show(results, h('p', { class: 'muted' }, 'Searching…'));
  try {
    if (search.number) {
      const { orderByNumber } = await gql<{ orderByNumber: { id: string } | null }>(BY_NUMBER, { number: search.number });
      if (!current()) return;
      if (orderByNumber) window.location.hash = `#/orders/${orderByNumber.id}`;
      else show(results, h('p', { class: 'empty' }, `No order numbered ${search.number} that you may see.`));
      return;
    }
    const createdAfter = search.from ? dayStart(search.from) : null;
    const createdBefore = search.to ? dayStart(search.to, 1) : null;
    const filter = {
      ...(session.role === 'CUSTOMER' ? { customerId: session.sub } : search.customer ? { customerId: search.customer } : {}),
      ...(search.status.length ? { status: search.status } : {}),
      ...(search.location ? { locationId: search.location } : {}),
      ...(createdAfter ? { createdAfter } : {}),
      ...(createdBefore ? { createdBefore } : {}),
    };
    const { orders } = await gql<{ orders: { edges: { node: Row }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(LIST, {
      first: PAGE, after: search.after || null, filter,
    });
    if (!current()) return;
    // "Newer": the cursor of the page before this one, when this page was reached from it
    const key = searchHash({ ...search, after: '' });
    const cursors = visited.get(key) ?? [];
    const depth = search.after ? cursors.indexOf(search.after) : -1;
    const newer = !search.after ? null : depth > 0 ? cursors[depth - 1] : '';
    const rows = orders.edges.map(({ node: o }) => [
      h('a', { href: `#/orders/${o.id}`, class: 'order-link' }, o.number), when(o.createdAt), badge(o.status), o.method.replace(/_/g, ' '),
      o.customerId, h('span', { class: 'num' }, money(o.total)), h('span', { class: 'num' }, o.lines.length),
    ]);
    const end = orders.pageInfo.hasNextPage ? orders.pageInfo.endCursor : null;
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
      newer !== null ? h('a', { href: searchHash({ ...search, after: newer }), class: 'button', id: 'page-newer' }, depth < 0 ? '⇤ Newest' : '← Newer') : null,
      // a page reached from a bookmark starts the list of cursors: "Newer" comes back to it
      end ? h('a', { href: searchHash({ ...search, after: end }), class: 'button', id: 'page-older', onclick: () => visited.set(key, [...(depth >= 0 ? cursors.slice(0, depth + 1) : search.after ? [search.after] : []), end]) }, 'Older →') : null,
    );
    show(results,
      rows.length ? table(['Number', 'Created', 'Status', 'Method', 'Customer', 'Total', 'Lines'], rows, { class: 'orders', id: 'order-list' }) : h('p', { class: 'empty' }, 'No orders match.'),
      pager,
    );
  } catch (err) {
    if (current()) show(results, h('p', { class: 'error', role: 'alert' }, (err as Error).message));
  }
}
