/**
 * The fulfillment plan drawn as a map: the destination, each chosen location with its lines
 * and cost and a line to the destination, the locations of the alternatives the planner
 * weighed (with the best objective each was part of), and every excluded location with the
 * reason the planner gave. No tiles (nothing outside the machine is reachable): an equirectangular
 * projection of the coordinates, longitudes scaled by the cosine of the middle latitude so
 * that distances look right at the plan's own latitude. Every mark has a <title> (a tooltip,
 * and what a screen reader says); the tables beside it say the same in words.
 */
import { h, money, s, table } from '../dom';
import type { Place } from '../locations';
import type { OrderView } from './order';

const W = 720;
const H = 420;
const PAD = 36;
/** Room for the labels, which sit right of their marks, and for the legend at the bottom. */
const PAD_RIGHT = 130;
const PAD_BOTTOM = 50;

export const REASONS: Record<string, string> = {
  NO_STOCK: 'no stock of these SKUs',
  CAPACITY: 'no capacity left today',
  DISTANCE: 'too far for the rule',
  METHOD: 'does not offer this method',
  EXCLUDED: 'left out by the rule or by a re-source',
  INACTIVE: 'inactive',
};

interface Point { lat: number; lng: number }

const units = (n: number) => `${n} unit${n === 1 ? '' : 's'}`;

/** A projection that fits `points` into the drawing, keeping the aspect of the ground. */
function projection(points: Point[]): (p: Point) => [number, number] {
  const lats = points.map((p) => p.lat);
  const lngs = points.map((p) => p.lng);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const k = Math.cos((midLat * Math.PI) / 180);
  const xs = lngs.map((l) => l * k);
  // at least half a degree each way: a plan from one city still shows a neighbourhood
  const spanX = Math.max(0.5, Math.max(...xs) - Math.min(...xs));
  const spanY = Math.max(0.5, Math.max(...lats) - Math.min(...lats));
  const scale = Math.min((W - PAD - PAD_RIGHT) / spanX, (H - PAD - PAD_BOTTOM) / spanY);
  const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
  const cy = (Math.max(...lats) + Math.min(...lats)) / 2;
  const midX = (PAD + W - PAD_RIGHT) / 2;
  const midY = (PAD + H - PAD_BOTTOM) / 2;
  return (p) => [midX + (p.lng * k - cx) * scale, midY - (p.lat - cy) * scale];
}

export function planMap(o: OrderView, places: Map<string, Place>): HTMLElement | null {
  const plan = o.fulfillmentPlan;
  if (!plan) return null;
  const destination: Point | null = o.shippingAddress?.geo ?? (o.pickupLocation ? places.get(o.pickupLocation.id)?.geo ?? null : null);
  const chosen = plan.groups.map((g) => ({ g, at: places.get(g.location.id) })).filter((x): x is { g: typeof x.g; at: Place } => !!x.at);
  const excluded = plan.explanation.excluded.map((e) => ({ e, at: places.get(e.location.id) })).filter((x): x is { e: typeof x.e; at: Place } => !!x.at);
  // locations of the alternatives the planner weighed, not chosen: each with its best alternative
  const chosenIds = new Set(chosen.map((c) => c.at.id));
  const best = new Map<string, { objective: number; with: string[] }>();
  for (const a of plan.explanation.alternatives) {
    for (const id of a.locationIds) {
      if (chosenIds.has(id) || !places.has(id)) continue;
      const seen = best.get(id);
      if (!seen || a.objective < seen.objective) best.set(id, { objective: a.objective, with: a.locationIds });
    }
  }
  const considered = [...best].map(([id, b]) => ({ at: places.get(id)!, ...b }));
  const points: Point[] = [...chosen.map((c) => c.at.geo), ...excluded.map((x) => x.at.geo), ...considered.map((c) => c.at.geo), ...(destination ? [destination] : [])];
  if (!points.length) return null;
  const at = projection(points);
  const cost = new Map(plan.explanation.breakdown.map((b) => [b.locationId, b]));

  const marks: SVGElement[] = [];
  for (const { e, at: place } of excluded) {
    const [x, y] = at(place.geo);
    marks.push(s('g', { class: 'excluded', 'data-role': 'excluded', 'data-location-id': place.id, 'data-reason': e.reason },
      s('title', {}, `${place.code} · ${place.name}: excluded, ${REASONS[e.reason] ?? e.reason}`),
      s('circle', { cx: x, cy: y, r: 6 }),
      s('path', { d: `M${x - 3.5},${y - 3.5} L${x + 3.5},${y + 3.5} M${x - 3.5},${y + 3.5} L${x + 3.5},${y - 3.5}` }),
      s('text', { x: x + 9, y: y + 4 }, place.code)));
  }
  for (const c of considered) {
    const [x, y] = at(c.at.geo);
    const codes = c.with.map((id) => places.get(id)?.code ?? id.slice(0, 8)).join(' + ');
    marks.push(s('g', { class: 'considered', 'data-role': 'considered', 'data-location-id': c.at.id },
      s('title', {}, `${c.at.code} · ${c.at.name}: considered (${codes}: objective ${c.objective.toFixed(2)}, +${(c.objective - plan.explanation.objective).toFixed(2)} over the chosen plan)`),
      s('circle', { cx: x, cy: y, r: 6 }),
      s('text', { x: x + 9, y: y + 4 }, c.at.code)));
  }
  if (destination) {
    const [dx, dy] = at(destination);
    for (const { at: place } of chosen) {
      const [x, y] = at(place.geo);
      marks.push(s('line', { class: 'route', x1: x, y1: y, x2: dx, y2: dy }));
    }
    marks.push(s('g', { class: 'destination', 'data-role': 'destination' },
      s('title', {}, o.shippingAddress ? `Destination: ${o.shippingAddress.city}, ${o.shippingAddress.countryCode}` : `Pick-up at ${o.pickupLocation?.code}`),
      s('rect', { x: dx - 7, y: dy - 7, width: 14, height: 14, rx: 2 }),
      s('text', { x: dx + 11, y: dy + 4 }, o.shippingAddress ? o.shippingAddress.city : 'Pick-up')));
  }
  for (const { g, at: place } of chosen) {
    const [x, y] = at(place.geo);
    const b = cost.get(place.id);
    marks.push(s('g', { class: 'chosen', 'data-role': 'chosen', 'data-location-id': place.id },
      s('title', {}, `${place.code} · ${place.name}: ${g.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')}; ${g.distanceKm.toFixed(1)} km; cost ${b ? b.cost.toFixed(2) : money(g.estimatedCost)}`),
      s('circle', { cx: x, cy: y, r: 9 }),
      s('text', { x: x + 12, y: y - 8, class: 'code' }, place.code),
      s('text', { x: x + 12, y: y + 6, class: 'detail' }, `${units(g.lines.reduce((n, l) => n + l.quantity, 0))} · ${money(g.estimatedCost)}`)));
  }

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'plan-map', id: 'plan-map', role: 'img', 'aria-label': `Map of the plan: ${chosen.length} chosen location(s), ${considered.length} considered, ${excluded.length} excluded` },
    s('rect', { class: 'ground', x: 0, y: 0, width: W, height: H }),
    marks,
    s('g', { class: 'legend', transform: `translate(${PAD / 2},${H - 14})` },
      s('rect', { class: 'legend-destination', x: 0, y: -9, width: 10, height: 10, rx: 2 }), s('text', { x: 14, y: 0 }, 'destination'),
      s('circle', { class: 'legend-chosen', cx: 105, cy: -4, r: 6 }), s('text', { x: 115, y: 0 }, 'chosen'),
      s('circle', { class: 'legend-considered', cx: 185, cy: -4, r: 5 }), s('text', { x: 195, y: 0 }, 'considered'),
      s('circle', { class: 'legend-excluded', cx: 285, cy: -4, r: 5 }), s('text', { x: 295, y: 0 }, 'excluded')));

  const code = (id: string) => places.get(id)?.code ?? id.slice(0, 8);
  const alternatives = plan.explanation.alternatives;
  return h('div', { class: 'plan' },
    svg,
    h('p', { class: 'muted' }, `Objective ${plan.explanation.objective.toFixed(2)} under rule version ${plan.explanation.ruleVersion}${plan.explanation.provenOptimal ? ', proven optimal' : ''}.`),
    alternatives.length
      ? [h('h3', {}, 'Alternatives considered'),
        table(['Locations', 'Shipments', 'Objective', 'Against the chosen'],
          alternatives.map((a) => [a.locationIds.map(code).join(' + '), a.shipmentCount, a.objective.toFixed(2), `+${(a.objective - plan.explanation.objective).toFixed(2)}`]),
          { id: 'alternatives' })]
      : null,
    excluded.length
      ? [h('h3', {}, 'Why not these locations'),
        table(['Location', 'Reason'], plan.explanation.excluded.map((e) => [`${code(e.location.id)} · ${places.get(e.location.id)?.name ?? ''}`, REASONS[e.reason] ?? e.reason]), { id: 'excluded' })]
      : null,
  );
}
