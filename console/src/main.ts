/**
 * The customer-service console: a single page that routes on the URL's fragment and talks to
 * the public GraphQL API only (api.ts), as any team's own UI would.
 *   #/signin            paste a token
 *   #/orders?…          search orders
 *   #/orders/<id>       one order
 */
import { h, show } from './dom';
import { closeLive } from './live';
import { currentSession, signOut, type Session } from './session';
import { signInView } from './views/signin';
import { ordersView, searchFrom } from './views/orders';
import { orderView } from './views/order';

const header = document.getElementById('top') as HTMLElement;
const main = document.getElementById('main') as HTMLElement;

function nav(session: Session | null): void {
  if (!session) {
    show(header, h('span', { class: 'brand' }, 'Orders console'));
    return;
  }
  show(header,
    h('a', { class: 'brand', href: '#/orders' }, 'Orders console'),
    h('nav', { class: 'links' }, h('a', { href: '#/orders' }, 'Orders')),
    h('span', { class: 'who', id: 'who' }, h('span', { class: 'role' }, session.role), ' ', session.sub),
    h('button', { type: 'button', id: 'sign-out', onclick: () => { signOut(); window.location.hash = '#/signin'; void route(); } }, 'Sign out'),
  );
}

/** What the page shown stops when it is left (an order's live stream). */
let leave: (() => void) | null = null;

async function route(): Promise<void> {
  leave?.();
  leave = null;
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
  const order = /^\/orders\/([0-9a-fA-F-]{36})$/.exec(path);
  if (order) {
    const hash = window.location.hash;
    const stop = await orderView(main, session, order[1]);
    // left while loading: stop at once
    if (window.location.hash === hash) leave = stop;
    else stop();
    return;
  }
  if (path === '/orders') return ordersView(main, session, searchFrom(new URLSearchParams(query)));
  window.location.replace('#/orders');
}

window.addEventListener('hashchange', () => void route());
window.addEventListener('console:signed-out', () => void route());
void route();
