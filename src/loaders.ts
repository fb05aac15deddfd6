/**
 * The DataLoaders of the fields: each loads a batch with one `= ANY($1)` statement and returns
 * results in key order (null or [] for misses), in two layers.
 *
 * - An operation's own loaders (`createLoaders`) are made fresh for every request, and for
 *   every subscription event: they batch the operation's keys and cache its rows, so no row
 *   outlives the operation that read it and one operation sees one row one way.
 * - They hand their batches to the process's loaders of the same statement (one set per
 *   database), which cache nothing and run once per turn of the event loop for every
 *   operation that asked during that turn (db/turn-batch.ts): fifty concurrent `order(id)`
 *   reads that reach their lines together take one statement for the lines, not fifty.
 *
 * Rows read together are shared by the operations that asked for them, so records are never
 * changed after they are read (nothing here or in the resolvers does).
 */
import DataLoader from 'dataloader';
import type { Queryable } from './db/database';
import { TurnBatch } from './db/turn-batch';
import { isUuid } from './common/validate';
import { LOCATION_COLUMNS, POSITION_COLUMNS, toLocation, toPosition, type LocationRecord, type LocationRow, type PositionRecord, type PositionRow } from './inventory/records';
import {
  EVENT_COLUMNS, LINE_COLUMNS, ORDER_COLUMNS, toEvent, toLine, toOrder,
  type EventRow, type HoldRecord, type LineRow, type OrderEventRecord, type OrderLineRecord, type OrderRecord, type OrderRow,
} from './orders/records';
import {
  GROUP_COLUMNS, GROUP_FROM, PLAN_COLUMNS, PLAN_FROM, toGroup, toPlan,
  type GroupRecord, type GroupRow, type PlanLineRecord, type PlanRecord, type PlanRow,
} from './fulfillment/records';
import { RULE_COLUMNS, toRule, type RuleRecord, type RuleRow } from './sourcing/rules';

/** Keys that can be ids at all; malformed ones simply miss instead of failing the batch. */
const uuids = (ids: readonly string[]): string[] => ids.filter(isUuid);

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (v: V) => K): (V | null)[] {
  const m = new Map<K, V>();
  for (const r of rows) m.set(keyOf(r), r);
  return keys.map((k) => m.get(k) ?? null);
}

function groupedBy<K, V>(keys: readonly K[], rows: V[], keyOf: (v: V) => K): V[][] {
  const m = new Map<K, V[]>(keys.map((k) => [k, []]));
  for (const r of rows) m.get(keyOf(r))?.push(r);
  return keys.map((k) => m.get(k)!);
}

export interface EventsKey {
  orderId: string;
  after: number;
  first: number;
}

export interface LinesKey {
  orderId: string;
  currencyCode: string;
}

export interface PositionsKey {
  locationId: string;
  /** null: every SKU at the location. */
  skus: string[] | null;
}

/** A loader's batch function, and the key its operation-level cache uses when keys are objects. */
interface Batch<K, V, C> {
  load: DataLoader.BatchLoadFn<K, V>;
  cacheKeyFn?: (key: K) => C;
}

function batch<K, V, C = K>(load: DataLoader.BatchLoadFn<K, V>, opts: { cacheKeyFn?: (key: K) => C } = {}): Batch<K, V, C> {
  return { load, cacheKeyFn: opts.cacheKeyFn };
}

function loaderFactories(db: Queryable) {
  const q = <R>(sql: string, params: unknown[], name: string) => db.query<R>(sql, params, name);
  return {
    order: batch<string, OrderRecord | null>(async (ids) =>
      byKey(ids, (await q<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ANY($1)`, [uuids(ids)], 'load_orders')).map(toOrder), (o) => o.id),
    ),
    orderByNumber: batch<string, OrderRecord | null>(async (numbers) =>
      byKey(numbers, (await q<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE number = ANY($1)`, [numbers], 'load_orders_by_number')).map(toOrder), (o) => o.number),
    ),
    /** An order's lines; the key carries the order's currency, which every line shows. */
    linesByOrder: batch<LinesKey, OrderLineRecord[], string>(
      async (keys) => {
        const rows = await q<LineRow>(`SELECT ${LINE_COLUMNS} FROM order_lines l WHERE l.order_id = ANY($1) ORDER BY l.order_id, l.line_no`, [uuids(keys.map((k) => k.orderId))], 'load_lines_v3');
        const byOrder = new Map<string, LineRow[]>();
        for (const r of rows) {
          const of = byOrder.get(r.order_id);
          if (of) of.push(r);
          else byOrder.set(r.order_id, [r]);
        }
        return keys.map((k) => (byOrder.get(k.orderId) ?? []).map((r) => toLine(r, k.currencyCode)));
      },
      { cacheKeyFn: (k) => k.orderId },
    ),
    holdsByOrder: batch<string, HoldRecord[]>(async (ids) =>
      groupedBy(
        ids,
        await q<HoldRecord>(
          `SELECT id, order_id AS "orderId", type, reason, created_at AS "createdAt", release_at AS "releaseAt",
                  released_at AS "releasedAt", released_by AS "releasedBy"
             FROM order_holds WHERE order_id = ANY($1) ORDER BY created_at, id`,
          [uuids(ids)],
          'load_holds_v2',
        ),
        (h) => h.orderId,
      ),
    ),
    events: batch<EventsKey, OrderEventRecord[], string>(
      async (keys) => {
        const rows = await q<EventRow & { k: number }>(
          `SELECT k.ord::int AS k, ${EVENT_COLUMNS}
             FROM unnest($1::uuid[], $2::int[], $3::int[]) WITH ORDINALITY AS k(order_id, after, first, ord)
             CROSS JOIN LATERAL (
               SELECT * FROM order_events e WHERE e.order_id = k.order_id AND e.sequence > k.after ORDER BY e.sequence LIMIT k.first
             ) e
            ORDER BY k.ord, e.sequence`,
          [keys.map((k) => k.orderId), keys.map((k) => k.after), keys.map((k) => k.first)],
          'load_events_v2',
        );
        const out: OrderEventRecord[][] = keys.map(() => []);
        for (const r of rows) out[r.k - 1].push(toEvent(r));
        return out;
      },
      { cacheKeyFn: (k) => `${k.orderId}|${k.after}|${k.first}` },
    ),
    activePlanByOrder: batch<string, PlanRecord | null>(async (ids) =>
      byKey(ids, (await q<PlanRow>(`SELECT ${PLAN_COLUMNS} FROM ${PLAN_FROM} WHERE p.order_id = ANY($1) AND p.active`, [uuids(ids)], 'load_active_plans')).map(toPlan), (p) => p.orderId),
    ),
    plan: batch<string, PlanRecord | null>(async (ids) =>
      byKey(ids, (await q<PlanRow>(`SELECT ${PLAN_COLUMNS} FROM ${PLAN_FROM} WHERE p.id = ANY($1)`, [uuids(ids)], 'load_plans')).map(toPlan), (p) => p.id),
    ),
    groupsByPlan: batch<string, GroupRecord[]>(async (ids) =>
      groupedBy(ids, (await q<GroupRow & { member_of: string }>(`SELECT pg.plan_id AS member_of, ${GROUP_COLUMNS} FROM plan_groups pg JOIN ${GROUP_FROM} ON g.id = pg.group_id
         WHERE pg.plan_id = ANY($1) ORDER BY pg.plan_id, g.created_at, g.distance_km, g.id`, [uuids(ids)], 'load_plan_groups')).map((r) => ({ ...toGroup(r), memberOf: r.member_of })), (g) => g.memberOf),
    ),
    groupsByOrder: batch<string, GroupRecord[]>(async (ids) =>
      groupedBy(ids, (await q<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM ${GROUP_FROM} WHERE g.order_id = ANY($1) ORDER BY g.order_id, g.created_at, g.distance_km, g.id`, [uuids(ids)], 'load_order_groups')).map(toGroup), (g) => g.orderId),
    ),
    group: batch<string, GroupRecord | null>(async (ids) =>
      byKey(ids, (await q<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM ${GROUP_FROM} WHERE g.id = ANY($1)`, [uuids(ids)], 'load_groups')).map(toGroup), (g) => g.id),
    ),
    groupLines: batch<string, PlanLineRecord[]>(async (ids) => {
      const rows = await q<PlanLineRecord & { groupId: string }>(
        `SELECT gl.group_id AS "groupId", gl.order_line_id AS "orderLineId", gl.sku, gl.quantity
           FROM fulfillment_group_lines gl JOIN order_lines ol ON ol.id = gl.order_line_id
          WHERE gl.group_id = ANY($1) ORDER BY gl.group_id, ol.line_no`,
        [ids],
        'load_group_lines',
      );
      return groupedBy(ids, rows, (r) => r.groupId).map((rs) => rs.map(({ orderLineId, sku, quantity }) => ({ orderLineId, sku, quantity })));
    }),
    unallocatedByPlan: batch<string, PlanLineRecord[]>(async (ids) => {
      const rows = await q<PlanLineRecord & { planId: string }>(
        `SELECT u.plan_id AS "planId", u.order_line_id AS "orderLineId", u.sku, u.quantity
           FROM plan_unallocated u JOIN order_lines ol ON ol.id = u.order_line_id
          WHERE u.plan_id = ANY($1) ORDER BY u.plan_id, ol.line_no`,
        [ids],
        'load_unallocated',
      );
      return groupedBy(ids, rows, (r) => r.planId).map((rs) => rs.map(({ orderLineId, sku, quantity }) => ({ orderLineId, sku, quantity })));
    }),
    location: batch<string, LocationRecord | null>(async (ids) =>
      byKey(ids, (await q<LocationRow>(`SELECT ${LOCATION_COLUMNS} FROM locations WHERE id = ANY($1::uuid[])`, [uuids(ids)], 'load_locations')).map(toLocation), (l) => l.id),
    ),
    position: batch<string, PositionRecord | null>(async (keys) => {
      const pairs = keys.map((k) => k.split('|'));
      const rows = await q<PositionRow>(
        `SELECT ${POSITION_COLUMNS} FROM inventory_positions p
           JOIN unnest($1::uuid[], $2::text[]) AS v(l, s) ON p.location_id = v.l AND p.sku = v.s`,
        [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
        'load_positions',
      );
      return byKey(keys, rows.map(toPosition), (p) => `${p.locationId}|${p.sku}`);
    }),
    positionsByLocation: batch<PositionsKey, PositionRecord[], string>(
      async (keys) => {
        // Keys naming SKUs: one statement over their (location, SKU) pairs, whatever each key's
        // list (the operations of a turn each ask for their own order's SKUs). Keys for every
        // SKU of a location: one statement over those locations. Two statements, not
        // `($2 IS NULL OR ...)`: as a generic plan, that condition cannot use the index.
        const out = keys.map((): PositionRecord[] => []);
        const named = new Map<string, number[]>(); // location → the keys naming SKUs there
        const every = new Map<string, number[]>(); // location → the keys for all its SKUs
        const pairs = new Map<string, [string, string]>();
        keys.forEach((k, i) => {
          const at = k.skus === null ? every : named;
          const here = at.get(k.locationId);
          if (here) here.push(i);
          else at.set(k.locationId, [i]);
          for (const sku of k.skus ?? []) pairs.set(`${k.locationId}|${sku}`, [k.locationId, sku]);
        });
        const [namedRows, everyRows] = await Promise.all([
          pairs.size === 0 ? [] : q<PositionRow>(
            `SELECT ${POSITION_COLUMNS} FROM inventory_positions JOIN unnest($1::uuid[], $2::text[]) AS v(l, s) ON location_id = v.l AND sku = v.s
              ORDER BY location_id, sku`,
            [[...pairs.values()].map((p) => p[0]), [...pairs.values()].map((p) => p[1])], 'load_location_sku_positions'),
          every.size === 0 ? [] : q<PositionRow>(
            `SELECT ${POSITION_COLUMNS} FROM inventory_positions WHERE location_id = ANY($1::uuid[]) ORDER BY location_id, sku`,
            [[...every.keys()]], 'load_location_positions_all'),
        ]);
        for (const r of namedRows) {
          const p = toPosition(r);
          for (const i of named.get(p.locationId) ?? []) if (keys[i].skus!.includes(p.sku)) out[i].push(p);
        }
        for (const r of everyRows) {
          const p = toPosition(r);
          for (const i of every.get(p.locationId) ?? []) out[i].push(p);
        }
        return out;
      },
      { cacheKeyFn: (k) => `${k.locationId}|${k.skus === null ? '*' : JSON.stringify(k.skus)}` },
    ),
    /** Per order: units shipped and delivered per line, and whether any group was shipped or accepted. */
    progressByOrder: batch<string, OrderProgress>(async (ids) => {
      const rows = await q<{ order_id: string; order_line_id: string; shipped: number; delivered: number; accepted: boolean }>(
        `SELECT g.order_id, gl.order_line_id,
                COALESCE(sum(gl.quantity) FILTER (WHERE g.status IN ('SHIPPED','READY_FOR_PICKUP','DELIVERED','PICKED_UP')), 0)::int AS shipped,
                COALESCE(sum(gl.quantity) FILTER (WHERE g.status IN ('DELIVERED','PICKED_UP')), 0)::int AS delivered,
                bool_or(g.status IN ('ACCEPTED','PICKING','PACKED')) AS accepted
           FROM fulfillment_groups g JOIN fulfillment_group_lines gl ON gl.group_id = g.id
          WHERE g.order_id = ANY($1) GROUP BY g.order_id, gl.order_line_id`,
        [uuids(ids)],
        'load_progress',
      );
      return groupedBy(ids, rows, (r) => r.order_id).map((rs) => ({
        lines: new Map(rs.map((r) => [r.order_line_id, { shipped: r.shipped, delivered: r.delivered }])),
        anyShipped: rs.some((r) => r.shipped > 0),
        anyAccepted: rs.some((r) => r.accepted),
      }));
    }),
    rule: batch<string, RuleRecord | null>(async (ids) =>
      byKey(ids, (await q<RuleRow>(`SELECT ${RULE_COLUMNS} FROM sourcing_rules WHERE id = ANY($1)`, [uuids(ids)], 'load_rules')).map(toRule), (r) => r.id),
    ),
  };
}

type Factories = ReturnType<typeof loaderFactories>;
type LoaderOf<B> = B extends Batch<infer K, infer V, infer C> ? DataLoader<K, V, C> : never;
export type Loaders = { [K in keyof Factories]: LoaderOf<Factories[K]> };
type Shared = { [K in keyof Factories]: TurnBatch<unknown, unknown> };

/** The process's loaders, one set per database (in practice `Database.keyed`, a pool). */
const sharedByDb = new WeakMap<Queryable, Shared>();

function sharedLoaders(db: Queryable): Shared {
  let shared = sharedByDb.get(db);
  if (!shared) {
    const factories = loaderFactories(db);
    shared = {} as Shared;
    for (const key of Object.keys(factories) as (keyof Factories)[]) {
      const load = factories[key].load as DataLoader.BatchLoadFn<unknown, unknown>;
      shared[key] = new TurnBatch<unknown, unknown>(async (keys) => load(keys));
    }
    sharedByDb.set(db, shared);
  }
  return shared;
}

/** Each key's batch function and cache key, without a database: what an operation's loader needs besides the shared one. */
const cacheKeys = Object.fromEntries(
  Object.entries(loaderFactories(null as unknown as Queryable)).map(([k, b]) => [k, (b as Batch<unknown, unknown, unknown>).cacheKeyFn]),
) as Record<keyof Factories, ((key: unknown) => unknown) | undefined>;

/**
 * The DataLoaders of one operation (or of one subscription event), each made on first use:
 * most operations touch a few of them, and a subscription makes a fresh set per event, so a
 * set costs one small object until a loader is asked for.
 */
class LazyLoaders {
  private shared?: Shared;
  private readonly made: Partial<Record<keyof Factories, unknown>> = {};
  constructor(private readonly db: Queryable) {}

  static define(): void {
    for (const key of Object.keys(cacheKeys) as (keyof Factories)[]) {
      Object.defineProperty(LazyLoaders.prototype, key, {
        get(this: LazyLoaders) {
          let loader = this.made[key];
          if (!loader) {
            const shared = (this.shared ??= sharedLoaders(this.db))[key];
            loader = this.made[key] = new DataLoader<unknown, unknown, unknown>((keys) => shared.load(keys), { cacheKeyFn: cacheKeys[key] });
          }
          return loader;
        },
      });
    }
  }
}
LazyLoaders.define();

export function createLoaders(db: Queryable): Loaders {
  return new LazyLoaders(db) as unknown as Loaders;
}

export interface OrderProgress {
  lines: Map<string, { shipped: number; delivered: number }>;
  anyShipped: boolean;
  anyAccepted: boolean;
}

