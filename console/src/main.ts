/**
 * The customer-service console: a single page that routes on the URL's fragment and talks to
 * the public GraphQL API only (api.ts), as any team's own UI would.
 *   #/signin            paste a token
 *   #/orders?…          search orders
 *   #/orders/<id>       one order, live
 *   #/store[/<id>]      a location's work queue, live
 *   #/rules             sourcing rules and a draft's simulation (ADMIN)
 */
import { h, show } from './dom';
import { closeLive } from './live';
import { currentSession, signOut, type Session } from './session';
import { signInView } from './views/signin';
import { ordersView, searchFrom } from './views/orders';
import { orderView } from './views/order';
import { storeView } from './views/store';
import { rulesView } from './views/rules';

const header = document.getElementById('top') as HTMLElement;
const main = document.getElementById('main') as HTMLElement;

function nav(session: Session | null): void {
  if (!session) {
    show(header, h('span', { class: 'brand' }, 'Orders console'));
    return;
  }
  show(header,
    h('a', { class: 'brand', href: '#/orders' }, 'Orders console'),
    h('nav', { class: 'links' },
      h('a', { href: '#/orders' }, 'Orders'),
      session.role !== 'CUSTOMER' ? h('a', { href: '#/store', id: 'nav-store' }, session.role === 'STORE' ? 'My queue' : 'Location queues') : null,
      session.role === 'ADMIN' ? h('a', { href: '#/rules', id: 'nav-rules' }, 'Sourcing rules') : null,
    ),
    h('span', { class: 'who', id: 'who' }, h('span', { class: 'role' }, session.role), ' ', session.sub),
    h('button', { type: 'button', id: 'sign-out', onclick: () => { signOut(); window.location.hash = '#/signin'; void route(); } }, 'Sign out'),
  );
}

/** What the page shown stops when it is left (an order's live stream). */
let leave: (() => void) | null = null;
/** Counts routes: a page whose route is no longer the last one draws nothing and stops. */
let generation = 0;

async function route(): Promise<void> {
  leave?.();
  leave = null;
  const mine = ++generation;
  const current = () => mine === generation;
  const session = currentSession();
  nav(session);
  const [path, query = ''] = window.location.hash.replace(/^#/, '').split('?');
  if (!session) {
    closeLive();
    signInView(main, () => {
      window.location.hash = '#/orders';
      void route();
    });
    return;
  }
  /** Keeps a page's stop function, or calls it at once when the page was left while loading. */
  const keep = (stop: () => void) => {
    if (current()) leave = stop;
    else stop();
  };
  const order = /^\/orders\/([0-9a-fA-F-]{36})$/.exec(path);
  if (order) return keep(await orderView(main, session, order[1], current));
  if (path === '/orders') return ordersView(main, session, searchFrom(new URLSearchParams(query)), current);
  const store = /^\/store(?:\/([0-9a-fA-F-]{36}))?$/.exec(path);
  if (store && session.role !== 'CUSTOMER') return keep(await storeView(main, session, store[1] ?? null, current));
  if (path === '/rules' && session.role === 'ADMIN') return rulesView(main, session, current);
  window.location.replace('#/orders');
}

window.addEventListener('hashchange', () => void route());
window.addEventListener('console:signed-out', () => void route());
void route();
