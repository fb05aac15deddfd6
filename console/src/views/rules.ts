/**
 * Sourcing rules, for ADMIN: every rule as the planner sees it, and a draft (a rule as JSON,
 * the `SourcingRuleInput` of the API, started from a rule or from scratch) replayed with
 * `simulateSourcingRule` over the last orders, drawn as a small chart beside the rules that
 * served them (cost, shipments per order, distance, fill rate), before it is saved with
 * `upsertSourcingRule`. The API checks the draft; its userErrors are listed under the form.
 */
import { gql, type UserError } from '../api';
import { h, s, show, table, userErrorItem } from '../dom';
import type { Session } from '../session';

const RULE_FIELDS = `id name enabled priority version fallback acceptanceDeadlineMinutes remorseHoldMinutes
  match { channels methods countryCodes }
  candidates { locationTypes maxDistanceKm excludeLocationIds }
  cost { perShipment perUnit perUnitKm perShipmentKm priorityWeight zones { upToKm perShipment perUnit } }
  constraints { maxShipments shipComplete respectCapacity useSafetyStock }`;
const RULES = `query ConsoleRules { sourcingRules { ${RULE_FIELDS} } }`;
const STATS = 'orders totalCost meanCost shipmentsPerOrder meanDistanceKm fillRate';
const SIMULATE = `query ConsoleSimulate($rule: SourcingRuleInput!, $lastOrders: Int) {
  simulateSourcingRule(rule: $rule, lastOrders: $lastOrders) { ordersReplayed ordersMatched served { ${STATS} } draft { ${STATS} } userErrors { code message field } }
}`;
const SAVE = `mutation ConsoleSaveRule($input: SourcingRuleInput!) { upsertSourcingRule(input: $input) { sourcingRule { id version } userErrors { code message field } } }`;

interface Rule {
  id: string; name: string; enabled: boolean; priority: number; version: number; fallback: string;
  acceptanceDeadlineMinutes: number | null; remorseHoldMinutes: number | null;
  match: { channels: string[]; methods: string[]; countryCodes: string[] };
  candidates: { locationTypes: string[]; maxDistanceKm: number | null; excludeLocationIds: string[] };
  cost: { perShipment: number; perUnit: number; perUnitKm: number; perShipmentKm: number; priorityWeight: number; zones: { upToKm: number | null; perShipment: number; perUnit: number }[] };
  constraints: { maxShipments: number | null; shipComplete: boolean; respectCapacity: boolean; useSafetyStock: boolean };
}
export interface Stats { orders: number; totalCost: number; meanCost: number; shipmentsPerOrder: number; meanDistanceKm: number; fillRate: number }
interface Simulation { ordersReplayed: number; ordersMatched: number; served: Stats | null; draft: Stats | null; userErrors: UserError[] }

/** A rule as the input that would save it again (an edit: with its id and version). */
function asInput(r: Rule): Record<string, unknown> {
  return {
    id: r.id, expectedVersion: r.version, name: r.name, enabled: r.enabled, priority: r.priority,
    match: r.match, candidates: r.candidates, cost: r.cost, constraints: r.constraints, fallback: r.fallback,
    acceptanceDeadlineMinutes: r.acceptanceDeadlineMinutes, remorseHoldMinutes: r.remorseHoldMinutes,
  };
}

const NEW_RULE = {
  name: 'New rule', enabled: false, priority: 10,
  match: { channels: [], methods: ['SHIP'], countryCodes: [] },
  candidates: { locationTypes: ['WAREHOUSE', 'STORE'], maxDistanceKm: null, excludeLocationIds: [] },
  cost: { perShipment: 8, perUnit: 0.5, perUnitKm: 0.01, perShipmentKm: 0.02, priorityWeight: 0 },
  constraints: { maxShipments: null, shipComplete: false, respectCapacity: true, useSafetyStock: true },
  fallback: 'BACKORDER',
};

const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'any');

export async function rulesView(main: HTMLElement, _session: Session, current: () => boolean = () => true): Promise<void> {
  const rulesCard = h('section', { class: 'card' }, h('p', { class: 'muted' }, 'Loading the rules…'));
  const editor = h('textarea', { id: 'draft', rows: 22, spellcheck: false, 'aria-label': 'Draft rule (SourcingRuleInput as JSON)' });
  const lastOrders = h('input', { id: 'last-orders', type: 'number', min: 1, max: 5000, value: 500 });
  const errors = h('ul', { class: 'user-errors', role: 'alert', id: 'draft-errors' });
  const result = h('div', { id: 'simulation' });
  const saved = h('p', { class: 'muted', id: 'draft-saved', 'aria-live': 'polite' });
  let rules: Rule[] = [];

  const draft = (): Record<string, unknown> | null => {
    errors.replaceChildren();
    try {
      const value = JSON.parse(editor.value) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the draft must be one JSON object');
      return value as Record<string, unknown>;
    } catch (err) {
      errors.append(h('li', { 'data-code': 'JSON' }, `The draft is not valid JSON: ${(err as Error).message}`));
      return null;
    }
  };
  const showErrors = (list: UserError[]) => {
    for (const u of list) errors.append(userErrorItem(u));
  };
  const busy = (button: HTMLButtonElement, fn: () => Promise<void>) => async () => {
    button.disabled = true;
    try {
      await fn();
    } catch (err) {
      errors.append(h('li', { 'data-code': 'REQUEST' }, (err as Error).message));
    } finally {
      button.disabled = false;
    }
  };
  const simulate = h('button', { type: 'button', id: 'simulate', class: 'primary' }, 'Simulate');
  const save = h('button', { type: 'button', id: 'save-rule' }, 'Save rule');
  simulate.addEventListener('click', busy(simulate, async () => {
    const rule = draft();
    if (!rule) return;
    show(result, h('p', { class: 'muted' }, 'Replaying…'));
    const { simulateSourcingRule: sim } = await gql<{ simulateSourcingRule: Simulation }>(SIMULATE, { rule: withoutVersion(rule), lastOrders: Number(lastOrders.value) || 500 });
    showErrors(sim.userErrors);
    show(result, sim.userErrors.length ? null : simulationView(sim));
  }));
  save.addEventListener('click', busy(save, async () => {
    saved.textContent = '';
    const rule = draft();
    if (!rule) return;
    const { upsertSourcingRule: r } = await gql<{ upsertSourcingRule: { sourcingRule: { id: string; version: number } | null; userErrors: UserError[] } }>(SAVE, { input: rule });
    showErrors(r.userErrors);
    if (r.sourcingRule) {
      saved.textContent = `Saved: version ${r.sourcingRule.version}. It applies from the next order.`;
      await load();
      const fresh = rules.find((x) => x.id === r.sourcingRule!.id);
      if (fresh) editor.value = JSON.stringify(asInput(fresh), null, 2);
    }
  }));

  const load = async () => {
    rules = (await gql<{ sourcingRules: Rule[] }>(RULES)).sourcingRules;
    show(rulesCard, h('h2', {}, 'Rules, highest priority first'),
      table(['Name', 'Enabled', 'Priority', 'Version', 'Matches', 'Candidates', 'Cost', 'Constraints', 'Fallback', ''],
        rules.map((r) => [
          r.name, r.enabled ? 'yes' : 'no', h('span', { class: 'num' }, r.priority), h('span', { class: 'num', 'data-rule-version': r.id }, r.version),
          `channels ${list(r.match.channels)}; methods ${list(r.match.methods)}; countries ${list(r.match.countryCodes)}`,
          `${list(r.candidates.locationTypes)}${r.candidates.maxDistanceKm != null ? ` within ${r.candidates.maxDistanceKm} km` : ''}${r.candidates.excludeLocationIds.length ? `, ${r.candidates.excludeLocationIds.length} excluded` : ''}`,
          `${r.cost.perShipment}/shipment, ${r.cost.perUnit}/unit, ${r.cost.perUnitKm}/unit·km, ${r.cost.perShipmentKm}/shipment·km${r.cost.zones.length ? `, ${r.cost.zones.length} zones` : ''}`,
          [r.constraints.maxShipments != null ? `≤ ${r.constraints.maxShipments} shipments` : null, r.constraints.shipComplete ? 'ship complete' : null,
            r.constraints.respectCapacity ? 'capacity' : null, r.constraints.useSafetyStock ? 'safety stock' : null].filter(Boolean).join(', '),
          r.fallback,
          h('button', { type: 'button', class: 'edit-rule', 'data-rule-id': r.id, onclick: () => { editor.value = JSON.stringify(asInput(r), null, 2); show(result); errors.replaceChildren(); saved.textContent = ''; } }, 'Draft from this'),
        ]), { id: 'rules' }));
  };

  show(main,
    h('header', { class: 'order-head' }, h('h1', {}, 'Sourcing rules')),
    rulesCard,
    h('section', { class: 'card draft' },
      h('h2', {}, 'Draft'),
      h('p', { class: 'help' }, 'A rule as the API takes it (SourcingRuleInput). With its id and expectedVersion it edits that rule; without an id it creates one. Simulate replays the last orders under the draft and under the rules that served them; nothing is saved until Save.'),
      editor,
      h('div', { class: 'actions' },
        h('label', { for: 'last-orders' }, 'Last orders '), lastOrders, simulate, save,
        h('button', { type: 'button', id: 'new-rule', onclick: () => { editor.value = JSON.stringify(NEW_RULE, null, 2); show(result); errors.replaceChildren(); } }, 'New rule')),
      errors, saved, result,
    ),
  );
  try {
    await load();
    if (rules[0] && current()) editor.value = JSON.stringify(asInput(rules[0]), null, 2);
  } catch (err) {
    show(rulesCard, h('p', { class: 'error', role: 'alert' }, (err as Error).message));
  }
}

/** A simulation does not need the version the edit would check. */
function withoutVersion(rule: Record<string, unknown>): Record<string, unknown> {
  const { expectedVersion: _ignored, ...rest } = rule;
  return rest;
}

const METRICS: { key: keyof Stats; label: string; digits: number }[] = [
  { key: 'meanCost', label: 'Cost per order', digits: 2 },
  { key: 'shipmentsPerOrder', label: 'Shipments per order', digits: 2 },
  { key: 'meanDistanceKm', label: 'Distance per order (km)', digits: 1 },
  { key: 'fillRate', label: 'Fill rate', digits: 3 },
];

/** Served against draft, one pair of bars per measure, each scaled to the larger of the two. */
export function simulationView(sim: Simulation): HTMLElement {
  const summary = h('p', { id: 'simulation-summary' }, `${sim.ordersReplayed} orders replayed, ${sim.ordersMatched} matched by the draft.`);
  if (!sim.served || !sim.draft || sim.ordersMatched === 0) return h('div', {}, summary, h('p', { class: 'empty' }, 'No order to compare.'));
  const served = sim.served;
  const draft = sim.draft;
  const W = 640;
  const row = 56;
  const label = 190;
  const bar = W - label - 90;
  const svg = s('svg', { viewBox: `0 0 ${W} ${row * METRICS.length + 30}`, class: 'sim-chart', id: 'sim-chart', role: 'img', 'aria-label': 'Served and draft, per measure' },
    METRICS.map((m, i) => {
      const a = served[m.key];
      const b = draft[m.key];
      const max = Math.max(a, b) || 1;
      const y = i * row + 8;
      return s('g', { 'data-metric': m.key },
        s('text', { x: 0, y: y + 20, class: 'metric' }, m.label),
        s('rect', { x: label, y, width: Math.max(1, (a / max) * bar), height: 18, class: 'served' }, s('title', {}, `served: ${a.toFixed(m.digits)}`)),
        s('text', { x: label + Math.max(1, (a / max) * bar) + 6, y: y + 14, 'data-series': 'served' }, a.toFixed(m.digits)),
        s('rect', { x: label, y: y + 22, width: Math.max(1, (b / max) * bar), height: 18, class: 'draft' }, s('title', {}, `draft: ${b.toFixed(m.digits)}`)),
        s('text', { x: label + Math.max(1, (b / max) * bar) + 6, y: y + 36, 'data-series': 'draft' }, b.toFixed(m.digits)));
    }),
    s('g', { transform: `translate(${label},${row * METRICS.length + 18})` },
      s('rect', { x: 0, y: -9, width: 12, height: 10, class: 'served' }), s('text', { x: 16, y: 0 }, 'rules that served them'),
      s('rect', { x: 190, y: -9, width: 12, height: 10, class: 'draft' }), s('text', { x: 206, y: 0 }, 'draft')));
  return h('div', {}, summary, svg);
}
