/**
 * Orders: placement (validated, idempotent, sourced and reserved in one transaction, or
 * converted from a cart reservation) and the keyset listing. The lifecycle after placement
 * lives in lifecycle.service.ts; who may read what, in access.ts.
 */
import { metrics } from '../metrics';
import crypto from 'node:crypto';
import type { Database, Tx } from '../db/database';
import { TurnBatcher } from '../db/turn-batch';
import { fail, ok, userError, UserErrorCode, UserErrorsAbort, type Result, type UserError, withUserErrors, abortWith } from '../common/errors';
import { checkGeo, checkSku, checkText, isUuid } from '../common/validate';
import { isCurrencyCode, toUnits } from '../common/money';
import type { FulfillmentMethodValue as FulfillmentMethod } from '../common/types';
import type { Principal } from '../auth/principal';
import { actorOf, insertEvents, orderEvents, type NewOrderEvent } from '../events/outbox';
import { Statement } from '../db/statement';
import { toLocation, LOCATION_COLUMNS, type LocationRow } from '../inventory/records';
import type { SourcingService } from '../sourcing/sourcing.service';
import type { CartService } from '../carts/cart.service';
import { groupCost, type Plan, type PlanRequest, type PlanRequestLine } from '../sourcing/planner';
import { RULES_IN_ORDER, type RuleRecord, type RuleRow } from '../sourcing/rules';
import { haversineKm } from '../common/geo';
import { deriveOrderStatus, type OrderStatusValue } from './status';
import { ORDER_COLUMNS, ORDER_SUMMARY_COLUMNS, OrderSummary, toOrder, type AddressData, type OrderRecord, type OrderRow } from './records';
import type { ListingColumns } from './listing-columns';

export const MAX_LINES = 200;
export const MAX_QUANTITY = 10_000;
export const MAX_PAGE = 100;
/** unit_price is numeric(14,4): below 10^10. */
const MAX_PRICE_UNITS = 10n ** 14n;

export interface PlaceOrderData {
  customerId: string;
  channel: string;
  method: FulfillmentMethod;
  lines: { sku: string; quantity: number; unitPrice: string }[];
  currencyCode: string;
  shippingAddress?: AddressData | null;
  pickupLocationId?: string | null;
  shipComplete?: boolean | null;
  /** Converts this cart reservation's hold instead of sourcing those units again. */
  cartReservationId?: string | null;
}

export interface OrderFilterData {
  customerId?: string | null;
  status?: OrderStatusValue[] | null;
  locationId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  /** Orders with a group at any of these locations (a STORE principal's scope). */
  locationIds?: string[] | null;
}

export interface OrderPage {
  edges: { cursor: string; node: OrderRecord }[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export function validatePlaceOrder(input: PlaceOrderData): UserError[] {
  const errors = validateOrderShape(input);
  if (!/^[a-z0-9_-]{1,32}$/.test(input.channel)) {
    errors.push(userError(UserErrorCode.VALIDATION, 'channel must be 1-32 characters of a-z 0-9 _ - (e.g. "web")', ['input', 'channel']));
  }
  if (!isCurrencyCode(input.currencyCode)) {
    errors.push(userError(UserErrorCode.VALIDATION, `Unknown currency code "${input.currencyCode.slice(0, 10)}" (ISO 4217, e.g. "USD")`, ['input', 'currencyCode']));
  }
  if (input.cartReservationId != null && !isUuid(input.cartReservationId)) {
    errors.push(userError(UserErrorCode.VALIDATION, 'cartReservationId must be a reservation id', ['input', 'cartReservationId']));
  }
  return errors;
}

/** What orders and cart reservations share: customer, lines, method, address or pickup location. */
export function validateOrderShape(input: Pick<PlaceOrderData, 'customerId' | 'method' | 'lines' | 'shippingAddress' | 'pickupLocationId'>): UserError[] {
  const errors: UserError[] = [];
  const f = (...p: (string | number)[]) => ['input', ...p];
  if (input.customerId.length < 1 || input.customerId.length > 64) {
    errors.push(userError(UserErrorCode.VALIDATION, 'customerId must be 1-64 characters', f('customerId')));
  }
  if (input.lines.length === 0) errors.push(userError(UserErrorCode.VALIDATION, 'An order needs at least one line', f('lines')));
  if (input.lines.length > MAX_LINES) {
    // one error, not one per line of a list that is refused anyway
    errors.push(userError(UserErrorCode.VALIDATION, `An order has at most ${MAX_LINES} lines`, f('lines')));
    return errors;
  }
  const firstIndex = new Map<string, number>();
  input.lines.forEach((l, i) => {
    errors.push(...checkSku(l.sku, f('lines', i, 'sku')));
    if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > MAX_QUANTITY) {
      errors.push(userError(UserErrorCode.VALIDATION, `quantity must be from 1 to ${MAX_QUANTITY}`, f('lines', i, 'quantity')));
    }
    if (l.unitPrice.startsWith('-')) errors.push(userError(UserErrorCode.VALIDATION, 'unitPrice must not be negative', f('lines', i, 'unitPrice')));
    else if (toUnits(l.unitPrice) >= MAX_PRICE_UNITS) {
      errors.push(userError(UserErrorCode.VALIDATION, 'unitPrice must be below 10,000,000,000', f('lines', i, 'unitPrice')));
    }
    const seen = firstIndex.get(l.sku);
    if (seen !== undefined) {
      errors.push(userError(UserErrorCode.VALIDATION, `SKU ${l.sku} is already on line ${seen}; combine the quantities`, f('lines', i, 'sku')));
    } else firstIndex.set(l.sku, i);
  });
  if (input.method === 'PICKUP') {
    if (!input.pickupLocationId) errors.push(userError(UserErrorCode.VALIDATION, 'PICKUP needs pickupLocationId', f('pickupLocationId')));
    else if (!isUuid(input.pickupLocationId)) errors.push(userError(UserErrorCode.VALIDATION, 'pickupLocationId must be a location id (UUID)', f('pickupLocationId')));
  } else {
    if (!input.shippingAddress) errors.push(userError(UserErrorCode.VALIDATION, `${input.method} needs a shippingAddress`, f('shippingAddress')));
    if (input.pickupLocationId != null) errors.push(userError(UserErrorCode.VALIDATION, `pickupLocationId is only for PICKUP orders`, f('pickupLocationId')));
  }
  const a = input.shippingAddress;
  if (a) {
    const af = (k: string) => f('shippingAddress', k);
    errors.push(...checkText(a.line1, af('line1'), 200), ...checkText(a.city, af('city'), 100), ...checkText(a.postalCode, af('postalCode'), 20));
    errors.push(...checkText(a.name, af('name'), 200, false), ...checkText(a.line2, af('line2'), 200, false), ...checkText(a.region, af('region'), 100, false));
    if (!/^[A-Z]{2}$/.test(a.countryCode)) errors.push(userError(UserErrorCode.VALIDATION, 'countryCode must be ISO 3166-1 alpha-2, e.g. "US"', af('countryCode')));
    errors.push(...checkGeo(a.geo, af('geo')));
  }
  return errors;
}

/** A stable fingerprint of the request, to tell a replay from a reuse of the key. */
function requestHash(input: PlaceOrderData): string {
  const canonical = {
    customerId: input.customerId, channel: input.channel, method: input.method, currencyCode: input.currencyCode,
    lines: input.lines.map((l) => [l.sku, l.quantity, toUnits(l.unitPrice).toString()]),
    shippingAddress: input.shippingAddress ?? null, pickupLocationId: input.pickupLocationId?.toLowerCase() ?? null,
    shipComplete: input.shipComplete ?? false,
    cartReservationId: input.cartReservationId?.toLowerCase() ?? null,
  };
  return crypto.createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

const CURSOR_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function decodeCursor(cursor: string): [string, string] | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Exactly the shape list() writes, and a real instant (no 30 February).
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && isUuid(v[1]) && CURSOR_TS.test(v[0])) {
      const d = new Date(v[0]);
      if (!Number.isNaN(d.getTime()) && d.toISOString().slice(0, 19) === v[0].slice(0, 19)) return [v[0], v[1]];
    }
  } catch {
    /* fall through */
  }
  return null;
}

/** An order to write at placement, with its lines (ids chosen by the caller). */
interface NewOrder {
  id: string; customerId: string; channel: string; method: FulfillmentMethod; shippingAddress: AddressData | null; pickupLocationId: string | null;
  currencyCode: string; shipComplete: boolean; lines: { id: string; sku: string; quantity: number; unitPrice: string }[];
}

/**
 * Adds to a statement the order (CTE `new_order`, returning its columns), its lines and the
 * rule's remorse hold, when it has one.
 */
function orderWrites(st: Statement, o: NewOrder & { status: OrderStatusValue; lastSequence: number }, remorseMinutes: number | null): void {
  const id = st.p(o.id, 'uuid');
  st.with('new_order', `
       INSERT INTO orders (id, number, customer_id, channel, status, method, shipping_address, pickup_location_id, currency_code, ship_complete, last_sequence)
       VALUES (${id}, 'ORD-' || nextval('order_number_seq'), ${st.p(o.customerId)}, ${st.p(o.channel)}, ${st.p(o.status)}, ${st.p(o.method)},
               ${st.p(o.shippingAddress, 'jsonb')}, ${st.p(o.pickupLocationId, 'uuid')}, ${st.p(o.currencyCode)}, ${st.p(o.shipComplete, 'boolean')}, ${st.p(o.lastSequence, 'int')})
       RETURNING ${ORDER_COLUMNS}`);
  st.with('new_lines', `
       INSERT INTO order_lines (id, order_id, line_no, sku, quantity, unit_price)
       SELECT id, ${id}, ord - 1, sku, q, p
         FROM unnest(${st.p(o.lines.map((l) => l.id), 'uuid[]')}, ${st.p(o.lines.map((l) => l.sku), 'text[]')}, ${st.p(o.lines.map((l) => l.quantity), 'int[]')},
                     ${st.p(o.lines.map((l) => l.unitPrice), 'numeric[]')}) WITH ORDINALITY AS v(id, sku, q, p, ord)`);
  const minutes = st.p(remorseMinutes, 'int');
  st.with('new_hold', `
       INSERT INTO order_holds (order_id, type, reason, release_at)
       SELECT ${id}, 'REMORSE', 'remorse period of ' || ${minutes} || ' minutes', now() + make_interval(mins => ${minutes}) WHERE ${minutes} IS NOT NULL`);
}

export class OrderService {
  private readonly customerPages = new TurnBatcher<string, OrderPage>();

  constructor(
    private readonly db: Database,
    private readonly sourcing: SourcingService,
    private readonly carts: CartService,
  ) {}

  async placeOrder(principal: Principal, input: PlaceOrderData, idempotencyKey: string): Promise<Result<OrderRecord>> {
    const errors = validatePlaceOrder(input);
    if (idempotencyKey.length < 1 || idempotencyKey.length > 200) {
      errors.push(userError(UserErrorCode.VALIDATION, 'idempotencyKey must be 1-200 characters', ['idempotencyKey']));
    }
    if (errors.length) return fail(...errors);
    const hash = requestHash(input);
    const pickupLocationId = input.pickupLocationId?.toLowerCase() ?? null;

    let fresh = false; // this call placed the order (not a replay of the key)
    const result = await withUserErrors(async () =>
      await this.db.transaction(async (tx) => {
        fresh = false;
        // Claim the key first, with the order it will name: a concurrent duplicate blocks here
        // until this transaction ends (and finds the order, or no key if this one rolled back).
        // The sourcing rules come in the same round trip.
        const orderId = crypto.randomUUID();
        const claim = await tx.query<RuleRow & { claimed: number }>(
          `WITH k AS (
             INSERT INTO idempotency_keys (principal, operation, key, request_hash, result_id) VALUES ($1, 'placeOrder', $2, $3, $4)
             ON CONFLICT DO NOTHING RETURNING 1)
           SELECT (SELECT count(*) FROM k)::int AS claimed, r.* FROM (SELECT 1) one LEFT JOIN LATERAL (${RULES_IN_ORDER}) r ON true ORDER BY r.rule_rank`,
          [principal.sub, idempotencyKey, hash, orderId],
          'claim_key_with_rules',
        );
        if (claim[0].claimed === 0) return this.replay(tx, principal, idempotencyKey, hash);

        let destination = input.shippingAddress?.geo ?? null;
        if (pickupLocationId) {
          const [loc] = await tx.query<LocationRow>(`SELECT ${LOCATION_COLUMNS} FROM locations WHERE id = $1`, [pickupLocationId]);
          if (!loc) throw abortWith(UserErrorCode.NOT_FOUND, `No location ${pickupLocationId}`, ['input', 'pickupLocationId']);
          const l = toLocation(loc);
          if (!l.active || !l.methods.includes('PICKUP' as FulfillmentMethod)) {
            throw abortWith(UserErrorCode.NO_ELIGIBLE_LOCATION, `${l.name} does not offer pickup`, ['input', 'pickupLocationId']);
          }
          destination = l.geo;
        }
        const rule = this.sourcing.ruleFrom(claim.filter((r) => r.id !== null), {
          channel: input.channel, method: input.method, countryCode: input.shippingAddress?.countryCode ?? null,
        });
        const shipComplete = input.shipComplete ?? rule.constraints.shipComplete;
        const lineIds: string[] = input.lines.map(() => crypto.randomUUID());
        const newOrder: NewOrder = {
          id: orderId, customerId: input.customerId, channel: input.channel, method: input.method, shippingAddress: input.shippingAddress ?? null,
          pickupLocationId, currencyCode: input.currencyCode, shipComplete, lines: input.lines.map((l, i) => ({ ...l, id: lineIds[i] })),
        };
        const actor = actorOf(principal);
        const request: PlanRequest = {
          method: input.method,
          destination,
          pickupLocationId,
          shipComplete,
          lines: input.lines.map((l, i) => ({ orderLineId: lineIds[i], sku: l.sku, quantity: l.quantity })),
        };
        // What the sourcing outcome makes of the order: refused (the rule's REJECT fallback),
        // or its status and the event that records it. The rule's remorse hold keeps every
        // group from advancing until it releases itself (the sweep) or is released.
        const remorse = rule.remorseHoldMinutes;
        const outcomeOf = (plan: Plan, planId: string): { status: OrderStatusValue; event: NewOrderEvent } => {
          const unallocatedUnits = plan.unallocated.reduce((n, l) => n + l.quantity, 0);
          const status = deriveOrderStatus({ cancelled: false, returned: false, openHolds: remorse ? 1 : 0, groups: plan.groups.map(() => 'PENDING'), unallocatedUnits });
          return {
            status,
            event: { type: status === 'BACKORDERED' ? 'ORDER_BACKORDERED' : 'ORDER_ALLOCATED', status, data: { planId, groups: plan.groups.length, unallocatedUnits } },
          };
        };
        const refuseUnsourced = (plan: Plan) => {
          if (plan.unallocated.length === 0 || rule.fallback !== 'REJECT') return;
          throw new UserErrorsAbort(
            plan.unallocated.map((u) => {
              const i = lineIds.indexOf(u.orderLineId);
              return userError(UserErrorCode.INSUFFICIENT_STOCK, `${u.quantity} of ${u.sku} cannot be sourced`, ['input', 'lines', i, 'quantity']);
            }),
          );
        };
        // Placement is version 1 with two events: ORDER_PLACED (1, in no location's stream: it
        // precedes the groups) and the sourcing outcome (2).
        const placed: NewOrderEvent = { type: 'ORDER_PLACED', status: 'PLACED', data: { channel: input.channel } };

        let row: OrderRow;
        if (!input.cartReservationId) {
          // Reserve first, then write the order, its lines, the plan with its ledger rows, the
          // hold and the events in one statement (constraints are checked at its end).
          const plan = await this.sourcing.reservePlan(tx, request, rule, { capacity: true });
          refuseUnsourced(plan);
          const st = new Statement();
          const { outcome, notified: positionsNotified } = this.sourcing.planWrites(st, orderId, plan, request, rule, actor, new Date(), []);
          const { status, event } = outcomeOf(plan, outcome.planId);
          orderWrites(st, { ...newOrder, status, lastSequence: 2 }, remorse);
          const eventsNotified = orderEvents(st, {
            orderId, firstSequence: 1, events: [placed, event], actor, previous: null, fanOutFrom: 2, groupLocations: outcome.groups.map((g) => g.locationId),
          });
          [row] = await tx.query<OrderRow>(st.text(`SELECT ${ORDER_COLUMNS}, ${positionsNotified} AS positions, ${eventsNotified} AS events FROM new_order`), st.params, 'place_order');
        } else {
          // A cart's conversion names the order, which is therefore written first.
          const st = new Statement();
          orderWrites(st, { ...newOrder, status: 'PLACED', lastSequence: 1 }, remorse);
          await tx.query(st.text('SELECT id FROM new_order'), st.params, 'insert_placed_order');
          const held = await this.carts.convert(
            tx,
            principal,
            input.cartReservationId.toLowerCase(),
            { id: orderId, customerId: input.customerId, method: input.method, pickupLocationId, skus: input.lines.map((l) => l.sku) },
            new Map(input.lines.map((l) => [l.sku, l.quantity])),
          );
          const outcome = held
            ? await this.sourceWithCart(tx, orderId, request, rule, held, actor)
            : await this.sourcing.planAndReserve(tx, { orderId, rule, actor, request, first: true }); // the cart no longer lives
          refuseUnsourced(outcome.plan);
          const { status, event } = outcomeOf(outcome.plan, outcome.planId);
          [row] = await tx.query<OrderRow>(
            `UPDATE orders SET status = $2, last_sequence = 2 WHERE id = $1 RETURNING ${ORDER_COLUMNS}`,
            [orderId, status],
            'set_placed_status_v3',
          );
          await insertEvents(tx, orderId, 1, [placed, event], actor, null, 2);
        }
        fresh = true;
        return ok(toOrder(row));
      }, { genericPlans: true }), // every statement of placement is keyed: planned once per connection
    );
    if (result.ok && fresh) metrics.ordersPlaced.inc();
    return result;
  }

  /**
   * Sources an order from a converted cart: the cart's held units become groups at their
   * locations with no second stock check; only what the cart did not hold is planned.
   */
  private async sourceWithCart(
    tx: Tx, orderId: string, request: PlanRequest, rule: RuleRecord, held: { locationId: string; sku: string; quantity: number }[], actor: string,
  ) {
    const bySku = new Map(request.lines.map((l) => [l.sku, l]));
    const left = new Map(request.lines.map((l) => [l.orderLineId, l.quantity]));
    const atLocation = new Map<string, PlanRequestLine[]>();
    for (const h of held) {
      const line = bySku.get(h.sku)!;
      left.set(line.orderLineId, left.get(line.orderLineId)! - h.quantity);
      atLocation.set(h.locationId, [...(atLocation.get(h.locationId) ?? []), { orderLineId: line.orderLineId, sku: h.sku, quantity: h.quantity }]);
    }
    const rest = request.lines.map((l) => ({ ...l, quantity: left.get(l.orderLineId)! })).filter((l) => l.quantity > 0);
    const restPlan = rest.length ? await this.sourcing.reservePlan(tx, { ...request, lines: rest }, rule, { capacity: true }) : null;
    for (const g of restPlan?.groups ?? []) {
      const lines = atLocation.get(g.locationId) ?? [];
      for (const l of g.lines) {
        const same = lines.find((x) => x.orderLineId === l.orderLineId);
        if (same) same.quantity += l.quantity; // the cart held some at this location, planning found more there
        else lines.push({ ...l });
      }
      atLocation.set(g.locationId, lines);
    }
    const locations = await tx.query<{ id: string; lat: number; lng: number; priority: number }>('SELECT id, lat, lng, priority FROM locations WHERE id = ANY($1)', [[...atLocation.keys()]]);
    const groups = locations.map((loc) => {
      const lines = atLocation.get(loc.id)!;
      const km = request.destination ? haversineKm(loc, request.destination) : 0;
      return { locationId: loc.id, lines, distanceKm: Math.round(km * 1000) / 1000, cost: groupCost(rule, lines.reduce((n, l) => n + l.quantity, 0), km, loc.priority) };
    });
    const plan: Plan = {
      groups,
      unallocated: restPlan?.unallocated ?? [],
      shipmentCount: groups.length,
      totalDistanceKm: groups.reduce((n, g) => n + g.distanceKm, 0),
      objective: groups.reduce((n, g) => n + g.cost, 0),
      provenOptimal: false,
      alternatives: [],
      excluded: restPlan?.excluded ?? [],
      ruleId: rule.id,
      ruleVersion: rule.version,
    };
    return this.sourcing.persist(tx, orderId, plan, request, rule, actor, new Date(), [], true);
  }

  private async replay(tx: Tx, principal: Principal, key: string, hash: string): Promise<Result<OrderRecord>> {
    const [prior] = await tx.query<{ request_hash: string; result_id: string | null }>(
      `SELECT request_hash, result_id FROM idempotency_keys WHERE principal = $1 AND operation = 'placeOrder' AND key = $2`,
      [principal.sub, key],
    );
    if (!prior || prior.request_hash !== hash || !prior.result_id) {
      return fail(userError(UserErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotencyKey was used for a different order', ['idempotencyKey']));
    }
    const [row] = await tx.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`, [prior.result_id]);
    if (!row) return fail(userError(UserErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotencyKey was used for a different order', ['idempotencyKey']));
    return ok(toOrder(row));
  }

  /**
   * A keyset page of orders, newest first. The caller has already narrowed the filter to
   * what the principal may see (see order.resolver.ts).
   */
  async list(first: number, after: string | null | undefined, filter: OrderFilterData, columns: ListingColumns = 'full'): Promise<OrderPage> {
    if (filter.customerId != null) {
      // A customer's page: the pages of every customer asked for in this turn, with the same
      // page, filter and columns, come from one statement (db/turn-batch.ts).
      const rest: OrderFilterData = { ...filter, customerId: null };
      const group = JSON.stringify([first, after ?? null, rest.status ?? null, rest.locationId ?? null, rest.locationIds ?? null, rest.createdAfter ?? null, rest.createdBefore ?? null, columns]);
      return this.customerPages.load(group, filter.customerId, (customerIds) => this.listByCustomers(customerIds, first, after, rest, columns));
    }
    const l = listing([], first, after, filter);
    const rows = await this.db.query<ListRow>(
      `SELECT ${columnsOf(columns)}, ${CURSOR_COLUMN}
         FROM orders o
        ${l.where}
        ORDER BY created_at DESC, id DESC
        LIMIT ${l.limit}`,
      l.params,
      `list_orders_${l.shape}${columns === 'summary' ? '_summary' : ''}`,
    );
    return toPage(rows, first, columns);
  }

  /**
   * The same page for each of several customers, in one statement (one index range per
   * customer): `Customer.orders` for every customer a router asks about in one request, and
   * the customer pages of the operations in one turn. On the keyed sessions (generic plans):
   * every shape starts from the customer's index, whatever the values.
   */
  async listByCustomers(
    customerIds: readonly string[], first: number, after: string | null | undefined, filter: OrderFilterData, columns: ListingColumns = 'full',
  ): Promise<OrderPage[]> {
    const l = listing([customerIds], first, after, filter);
    const rows = await this.db.keyed.query<ListRow>(
      `SELECT o.*
         FROM unnest($1::text[]) AS c(id)
        CROSS JOIN LATERAL (
          SELECT ${columnsOf(columns)}, ${CURSOR_COLUMN}
            FROM orders o
           ${l.where ? `${l.where} AND` : 'WHERE'} customer_id = c.id
           ORDER BY created_at DESC, id DESC
           LIMIT ${l.limit}) o`,
      l.params,
      `list_orders_by_customers_${l.shape}${columns === 'summary' ? '_summary' : ''}`,
    );
    const byCustomer = new Map<string, ListRow[]>(customerIds.map((id) => [id, []]));
    for (const r of rows) byCustomer.get(r.customer_id)?.push(r);
    return customerIds.map((id) => toPage(byCustomer.get(id)!, first, columns));
  }

}

type ListRow = OrderRow & { cursor_ts: string };

/** The keyset cursor's timestamp, to the microsecond, in UTC. */
const CURSOR_COLUMN = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts`;

/**
 * The WHERE clause of a listing (with `o` for orders), its parameters after `params`, the
 * parameter of its LIMIT (one row more than the page), and its shape: only the conditions the
 * listing has, so that each shape is a prepared statement of its own whose plan uses its
 * index. One statement with `($n IS NULL OR ...)` for every filter was planned again on each
 * call: twice the PostgreSQL CPU of the plain statement (bench/README.md, session 7).
 */
function listing(params: unknown[], first: number, after: string | null | undefined, filter: OrderFilterData) {
  const where: string[] = [];
  let shape = '';
  const param = (v: unknown) => `$${params.push(v)}`;
  const add = (flag: string, condition: string) => {
    where.push(condition);
    shape += flag;
  };
  if (filter.status?.length) add('s', `status = ANY(${param(filter.status)}::text[])`);
  if (filter.locationId != null) add('l', `EXISTS (SELECT 1 FROM fulfillment_groups g WHERE g.order_id = o.id AND g.location_id = ${param(filter.locationId)}::uuid)`);
  if (filter.locationIds != null) add('m', `EXISTS (SELECT 1 FROM fulfillment_groups g WHERE g.order_id = o.id AND g.location_id = ANY(${param(filter.locationIds)}::uuid[]))`);
  if (filter.createdAfter != null) add('a', `created_at >= ${param(filter.createdAfter)}::timestamptz`);
  if (filter.createdBefore != null) add('b', `created_at < ${param(filter.createdBefore)}::timestamptz`);
  const cur = after ? decodeCursor(after) : null;
  if (cur) add('k', `(created_at, id) < (${param(cur[0])}::timestamptz, ${param(cur[1])}::uuid)`);
  const limit = param(first + 1);
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params, limit, shape: shape || 'all' };
}

/** An edge whose cursor is encoded when read: most pages ask only for `pageInfo.endCursor`. */
class Edge {
  constructor(
    readonly node: OrderRecord,
    private readonly cursorTs: string,
  ) {}

  get cursor(): string {
    return encodeCursor(this.cursorTs, this.node.id);
  }
}

const columnsOf = (columns: ListingColumns) => (columns === 'summary' ? ORDER_SUMMARY_COLUMNS : ORDER_COLUMNS);

function toPage(rows: ListRow[], first: number, columns: ListingColumns): OrderPage {
  const edges = rows.slice(0, first).map((r) => new Edge(columns === 'summary' ? new OrderSummary(r) : toOrder(r), r.cursor_ts));
  return { edges, hasNextPage: rows.length > first, endCursor: edges.length ? edges[edges.length - 1].cursor : null };
}
