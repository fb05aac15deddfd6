/**
 * The storefront's promise and the rule editor's what-if, both read only.
 *
 * previewSourcing runs the planner on live positions for a would-be order and reserves
 * nothing. simulateSourcingRule replays the last N orders under a draft rule and under the
 * rules that served them, on today's positions, each order planned on its own (no order
 * takes stock from another), and compares them with one yardstick: the draft's cost model.
 */
import type { Database } from '../db/database';
import { fail, ok, userError, UserErrorCode, type Result } from '../common/errors';
import type { FulfillmentMethodValue } from '../common/types';
import { validatePlaceOrder, type PlaceOrderData } from '../orders/order.service';
import type { AddressData } from '../orders/records';
import { groupCost, planFromTable, type CandidateLocation, type Plan, type PlanRequest } from './planner';
import { tableOf } from './candidate-table';
import { ruleMatches, selectRule, type RuleRecord } from './rules';
import { draftRule, validateRule, type RuleInputData } from './rule.service';
import { promisedBy, type SourcingService } from './sourcing.service';

export interface PreviewRecord {
  plan: Plan;
  method: FulfillmentMethodValue;
  currencyCode: string;
  promised: Map<string, Date>;
}

export interface SimulationStats {
  orders: number;
  totalCost: number;
  meanCost: number;
  shipmentsPerOrder: number;
  meanDistanceKm: number;
  fillRate: number;
}

export interface SimulationRecord {
  ordersReplayed: number;
  ordersMatched: number;
  served: SimulationStats;
  draft: SimulationStats;
}

export const MAX_SIMULATED_ORDERS = 5000;

export class SimulationService {
  constructor(
    private readonly db: Database,
    private readonly sourcing: SourcingService,
  ) {}

  async preview(input: PlaceOrderData): Promise<Result<PreviewRecord>> {
    const errors = validatePlaceOrder(input);
    if (errors.length) return fail(...errors);
    const pickupLocationId = input.pickupLocationId?.toLowerCase() ?? null;
    let destination = input.shippingAddress?.geo ?? null;
    if (pickupLocationId) {
      const [l] = await this.db.query<{ lat: number; lng: number }>('SELECT lat, lng FROM locations WHERE id = $1', [pickupLocationId]);
      if (!l) return fail(userError(UserErrorCode.NOT_FOUND, `No location ${pickupLocationId}`, ['input', 'pickupLocationId']));
      destination = l;
    }
    const rule = await this.sourcing.ruleFor(this.db, { channel: input.channel, method: input.method, countryCode: input.shippingAddress?.countryCode ?? null });
    const request: PlanRequest = {
      method: input.method, destination, pickupLocationId, shipComplete: input.shipComplete ?? rule.constraints.shipComplete,
      lines: input.lines.map((l, i) => ({ orderLineId: `line-${i}`, sku: l.sku, quantity: l.quantity })),
    };
    const plan = await this.sourcing.preview(this.db, request, rule);
    const now = new Date();
    return ok({ plan, method: input.method, currencyCode: input.currencyCode, promised: new Map(plan.groups.map((g) => [g.locationId, promisedBy(input.method, g.distanceKm, now)])) });
  }

  async simulate(input: RuleInputData, lastOrders = 500): Promise<Result<SimulationRecord>> {
    const errors = validateRule(input, 'rule');
    if (!Number.isInteger(lastOrders) || lastOrders < 1 || lastOrders > MAX_SIMULATED_ORDERS) {
      errors.push(userError(UserErrorCode.VALIDATION, `lastOrders must be from 1 to ${MAX_SIMULATED_ORDERS}`, ['lastOrders']));
    }
    if (errors.length) return fail(...errors);
    const draft = draftRule(input);
    const rules = await this.sourcing.rules(this.db);
    const orders = await this.db.query<{
      id: string; channel: string; method: FulfillmentMethodValue; shipping_address: AddressData | null; ship_complete: boolean;
      pickup: { lat: number; lng: number; id: string } | null; lines: { id: string; sku: string; quantity: number }[];
    }>(
      `SELECT o.id, o.channel, o.method, o.shipping_address, o.ship_complete,
              (SELECT json_build_object('id', l.id, 'lat', l.lat, 'lng', l.lng) FROM locations l WHERE l.id = o.pickup_location_id) AS pickup,
              (SELECT json_agg(json_build_object('id', ol.id, 'sku', ol.sku, 'quantity', ol.quantity - ol.cancelled_quantity) ORDER BY ol.line_no)
                 FROM order_lines ol WHERE ol.order_id = o.id AND ol.quantity > ol.cancelled_quantity) AS lines
         FROM orders o ORDER BY o.created_at DESC, o.id DESC LIMIT $1`,
      [lastOrders],
    );
    const live = orders.filter((o) => o.lines !== null);
    const matched = live.filter((o) => ruleMatches(draft, { channel: o.channel, method: o.method, countryCode: o.shipping_address?.countryCode ?? null }));
    const candidates = await this.sourcing.candidates(this.db, [...new Set(matched.flatMap((o) => o.lines.map((l) => l.sku)))]);
    const byId = new Map(candidates.map((c) => [c.id, c]));
    const served = new Stats(draft, byId);
    const drafted = new Stats(draft, byId);
    for (const o of matched) {
      const request: PlanRequest = {
        method: o.method,
        destination: o.pickup ? { lat: o.pickup.lat, lng: o.pickup.lng } : o.shipping_address?.geo ?? null,
        pickupLocationId: o.pickup?.id ?? null,
        shipComplete: o.ship_complete,
        lines: o.lines.map((l) => ({ orderLineId: l.id, sku: l.sku, quantity: l.quantity })),
      };
      const serving = selectRule(rules, { channel: o.channel, method: o.method, countryCode: o.shipping_address?.countryCode ?? null })!;
      const table = tableOf(request, candidates); // one table, two plans
      served.add(planFromTable(request, table, serving), request);
      drafted.add(planFromTable(request, table, draft), request);
    }
    return ok({ ordersReplayed: live.length, ordersMatched: matched.length, served: served.result(), draft: drafted.result() });
  }
}

/** Totals over replayed plans, every plan priced with one cost model. */
class Stats {
  private n = 0;
  private cost = 0;
  private shipments = 0;
  private km = 0;
  private asked = 0;
  private filled = 0;

  constructor(
    private readonly model: RuleRecord,
    private readonly locations: Map<string, CandidateLocation>,
  ) {}

  add(plan: Plan, request: PlanRequest): void {
    this.n++;
    this.shipments += plan.shipmentCount;
    this.km += plan.totalDistanceKm;
    this.asked += request.lines.reduce((s, l) => s + l.quantity, 0);
    for (const g of plan.groups) {
      const units = g.lines.reduce((s, l) => s + l.quantity, 0);
      this.filled += units;
      this.cost += groupCost(this.model, units, g.distanceKm, this.locations.get(g.locationId)!.priority);
    }
  }

  result(): SimulationStats {
    const per = (x: number) => (this.n ? Math.round((x / this.n) * 10_000) / 10_000 : 0);
    return {
      orders: this.n,
      totalCost: Math.round(this.cost * 10_000) / 10_000,
      meanCost: per(this.cost),
      shipmentsPerOrder: per(this.shipments),
      meanDistanceKm: per(this.km),
      fillRate: this.asked ? Math.round((this.filled / this.asked) * 10_000) / 10_000 : 1,
    };
  }
}
