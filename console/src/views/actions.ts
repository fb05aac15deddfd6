/**
 * What the signed-in role may do to an order, as forms beside it. Each sends one mutation;
 * the userErrors of its payload are shown next to the form that sent it, and a success
 * reloads the order (its event also arrives on the live stream).
 *   AGENT, ADMIN     hold, release a hold, re-source, cancel the order or some of its lines
 *   CUSTOMER         cancel the order or some of its lines
 *   STORE, ADMIN     advance or reject a fulfillment group
 */
import { gql, type UserError } from '../api';
import { h, userErrorItem } from '../dom';
import type { Session } from '../session';
import type { OrderView } from './order';

const HOLD_TYPES = ['CUSTOMER_SERVICE', 'FRAUD', 'PAYMENT', 'ADDRESS'];
const PAYLOAD = 'userErrors { code message field }';

const M = {
  hold: `mutation ConsoleHold($id: ID!, $type: HoldType!, $reason: String!) { holdOrder(id: $id, type: $type, reason: $reason) { ${PAYLOAD} } }`,
  release: `mutation ConsoleRelease($id: ID!, $holdId: ID!) { releaseOrderHold(id: $id, holdId: $holdId) { ${PAYLOAD} } }`,
  resource: `mutation ConsoleResource($id: ID!, $exclude: [ID!]) { resourceOrder(id: $id, excludeLocationIds: $exclude) { ${PAYLOAD} } }`,
  cancel: `mutation ConsoleCancel($id: ID!, $reason: String!, $version: Int) { cancelOrder(id: $id, reason: $reason, expectedVersion: $version) { ${PAYLOAD} } }`,
  cancelLines: `mutation ConsoleCancelLines($id: ID!, $lines: [LineQuantityInput!]!, $reason: String!, $version: Int) { cancelOrderLines(id: $id, lines: $lines, reason: $reason, expectedVersion: $version) { ${PAYLOAD} } }`,
  advance: `mutation ConsoleAdvance($groupId: ID!, $to: FulfillmentStatus!, $tracking: TrackingInput, $version: Int) { advanceFulfillment(groupId: $groupId, to: $to, tracking: $tracking, expectedVersion: $version) { ${PAYLOAD} } }`,
  reject: `mutation ConsoleReject($groupId: ID!, $reason: String!) { rejectFulfillment(groupId: $groupId, reason: $reason) { ${PAYLOAD} } }`,
};

type Result = Record<string, { userErrors: UserError[] }>;

/**
 * A form that runs `send` on submit, disables itself meanwhile, and shows what went wrong in
 * its `.user-errors` (role=alert): the payload's userErrors, or the request's own error.
 */
function action(id: string, title: string, fields: (HTMLElement | null)[], button: string, send: () => Promise<Result>, done: () => void): HTMLFormElement {
  const errors = h('ul', { class: 'user-errors', role: 'alert' });
  const submit = h('button', { type: 'submit' }, button);
  const form = h('form', {
    class: 'action', id, onsubmit: async (e: Event) => {
      e.preventDefault();
      errors.replaceChildren();
      submit.disabled = true;
      try {
        const result = await send();
        const userErrors = Object.values(result)[0]?.userErrors ?? [];
        if (userErrors.length) {
          for (const u of userErrors) errors.append(userErrorItem(u));
        } else {
          form.reset();
          done();
        }
      } catch (err) {
        errors.append(h('li', { 'data-code': 'REQUEST' }, (err as Error).message));
      } finally {
        submit.disabled = false;
      }
    },
  }, h('h3', {}, title), fields, submit, errors);
  return form;
}

const reasonField = (id: string, placeholder = 'Reason (shown in the timeline)') =>
  h('input', { id, name: 'reason', placeholder, autocomplete: 'off', maxlength: 500 });

/**
 * The forms for `o`. `latest` gives the order as last read: a form sends its versions, so that
 * a form kept across live reloads does not send the version it was drawn with.
 */
export function orderActions(o: OrderView, session: Session, done: () => void, latest: () => OrderView = () => o): HTMLElement | null {
  const agent = session.role === 'AGENT' || session.role === 'ADMIN';
  const canCancel = agent || session.role === 'CUSTOMER';
  const store = session.role === 'STORE' || session.role === 'ADMIN';
  const forms: HTMLElement[] = [];

  if (agent) {
    const type = h('select', { id: 'hold-type', name: 'type' }, HOLD_TYPES.map((t) => h('option', { value: t }, t.replace(/_/g, ' '))));
    const reason = reasonField('hold-reason');
    forms.push(action('action-hold', 'Hold', [type, reason], 'Place hold', () => gql<Result>(M.hold, { id: o.id, type: type.value, reason: reason.value }), done));
    for (const x of o.holds.filter((x) => !x.releasedAt)) {
      forms.push(action(`action-release-${x.id}`, `Release the ${x.type.replace(/_/g, ' ').toLowerCase()} hold`, [h('p', { class: 'muted' }, x.reason)], 'Release', () => gql<Result>(M.release, { id: o.id, holdId: x.id }), done));
    }
    const locations = o.fulfillmentPlan?.groups.map((g) => g.location) ?? [];
    const unique = [...new Map(locations.map((l) => [l.id, l])).values()];
    const exclude = unique.map((l) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'exclude', value: l.id }), ` not from ${l.code}`));
    forms.push(action('action-resource', 'Re-source', [h('p', { class: 'muted' }, 'Plans again what no location has accepted yet.'), ...exclude], 'Re-source',
      () => gql<Result>(M.resource, { id: o.id, exclude: exclude.map((l) => l.querySelector('input')!).filter((i) => i.checked).map((i) => i.value) }), done));
  }

  if (canCancel) {
    const reason = reasonField('cancel-reason');
    if (o.canCancel) forms.push(action('action-cancel', 'Cancel the order', [reason], 'Cancel order', () => gql<Result>(M.cancel, { id: o.id, reason: reason.value, version: latest().version }), done));
    const cancellable = o.lines.filter((l) => l.cancellableQuantity > 0);
    const quantities = cancellable.map((l) => h('input', { type: 'number', min: 0, step: 1, value: 0, name: `qty-${l.id}`, 'data-line': l.id, 'aria-label': `Units of ${l.sku} to cancel`, class: 'qty' }));
    const lineReason = reasonField('cancel-lines-reason');
    if (cancellable.length) forms.push(action('action-cancel-lines', 'Cancel lines',
      [h('div', { class: 'line-qty' }, cancellable.map((l, i) => h('label', {}, h('span', {}, `${l.sku} (cancellable ${l.cancellableQuantity})`), quantities[i]))), lineReason],
      'Cancel lines',
      () => gql<Result>(M.cancelLines, {
        id: o.id, reason: lineReason.value, version: latest().version,
        lines: quantities.filter((q) => Number(q.value) > 0).map((q) => ({ orderLineId: q.dataset.line!, quantity: Number(q.value) })),
      }), done));
  }

  if (store && o.fulfillmentPlan) {
    const mine = session.role === 'ADMIN' ? o.fulfillmentPlan.groups : o.fulfillmentPlan.groups.filter((g) => session.locationIds.includes(g.location.id));
    for (const g of mine) {
      const forward = g.nextStates.filter((s) => s !== 'REJECTED' && s !== 'CANCELLED');
      if (forward.length) {
        const to = h('select', { id: `advance-to-${g.id}`, name: 'to' }, forward.map((s) => h('option', { value: s }, s.replace(/_/g, ' '))));
        const carrier = h('input', { name: 'carrier', placeholder: 'Carrier (when shipping)', autocomplete: 'off' });
        const number = h('input', { name: 'number', placeholder: 'Tracking number', autocomplete: 'off' });
        const fields: HTMLElement[] = [to];
        // a shipped group (SHIP, SAME_DAY) may carry its tracking
        if (g.method !== 'PICKUP') fields.push(carrier, number);
        forms.push(action(`action-advance-${g.id}`, `${g.location.code}: advance`, fields, 'Advance',
          () => gql<Result>(M.advance, {
            groupId: g.id, to: to.value, version: latest().fulfillmentPlan?.groups.find((x) => x.id === g.id)?.version ?? g.version,
            tracking: carrier.value.trim() || number.value.trim() ? { carrier: carrier.value.trim(), number: number.value.trim() } : null,
          }), done));
      }
      if (g.nextStates.includes('REJECTED')) {
        const reason = reasonField(`reject-reason-${g.id}`, 'Why the location cannot fulfil it');
        forms.push(action(`action-reject-${g.id}`, `${g.location.code}: reject`, [reason], 'Reject', () => gql<Result>(M.reject, { groupId: g.id, reason: reason.value }), done));
      }
    }
  }
  return forms.length ? h('aside', { class: 'card actions-panel', id: 'actions' }, h('h2', {}, 'Actions'), forms) : null;
}

/** Whether the user has typed or chosen something in a form, or it shows errors (then a live reload keeps it as it is). */
export function isDirty(form: Element): boolean {
  if (form.querySelector('.user-errors li')) return true;
  const inputs = [...form.querySelectorAll<HTMLInputElement>('input')].some((el) =>
    el.type === 'checkbox' ? el.checked : el.type === 'number' ? Number(el.value) > 0 : el.value.trim() !== '');
  const selects = [...form.querySelectorAll<HTMLSelectElement>('select')].some((el) => {
    const initial = [...el.options].findIndex((x) => x.defaultSelected);
    return el.selectedIndex !== (initial < 0 ? 0 : initial);
  });
  return inputs || selects;
}
