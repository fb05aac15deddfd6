/**
 * The sourcing service: loads the rule and every candidate position for an order's SKUs
 * in one query, asks the pure planner for a plan, and reserves it with one guarded UPDATE
 * inside the caller's transaction, all positions or none. A reservation that loses a race
 * (another order took the stock between read and write) re-plans on fresh positions, under
 * a savepoint from the second attempt on; the last attempt locks the positions first, so it
 * cannot lose. Stock is never oversold:
 * the guard and the table's CHECK (reserved <= on_hand) both refuse it.
 */
import { metrics, since } from '../metrics';
import crypto from 'node:crypto';
import type { Queryable, Tx } from '../db/database';
import { MAX_CACHED_LOCATIONS } from '../db/row-version-cache';
import { GenerationCache } from '../db/generation-cache';
import type { FulfillmentMethodValue as FulfillmentMethod } from '../common/types';
import { byPosition, movements } from '../inventory/ledger';
import { Statement } from '../db/statement';
import { eachKeyedPacked, UUID_LENGTH } from '../db/packed';
import { CandidateTableBuilder, type CandidateTable } from './candidate-table';
import { planFromTable, type CandidateLocation, type Plan, type PlanRequest } from './planner';
import { RULES_IN_ORDER, selectRule, toRule, type RuleMatchInput, type RuleRecord, type RuleRow } from './rules';

/** The start of today (UTC), as the groups' created_at is compared with it. */
const TODAY = "date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";

/** A location's groups today that count against its daily capacity. */
const GROUPS_TODAY = (location: string) =>
  `SELECT count(*)::int FROM fulfillment_groups g WHERE g.location_id = ${location} AND g.created_at >= ${TODAY} AND g.status NOT IN ('CANCELLED', 'REJECTED')`;

/** Optimistic attempts before the locking one. */
const OPTIMISTIC_ATTEMPTS = 3;

class ReservationLost extends Error {}

/**
 * The candidate locations of one read, in the order the statement met them: each one's id,
 * and its positions of the order's SKUs as 4-tuples in `stock` (i, onHand, reserved,
 * safetyStock; i the SKU's 1-based place in the statement's list). The statement packs all
 * positions into one text value, "location:i:onHand:reserved:safetyStock" joined by commas
 * (db/packed.ts eachKeyedPacked), so the pg client decodes one row instead of one per
 * location (bench/README.md, session 12). The locations' own columns come from the cache
 * (LocationAttributes), as of the version of the locations table the statement read: with
 * them on each of an order's 200 rows, the pg client spent 2.0 to 2.4 ms a call decoding,
 * against 0.83 ms without (session 7), and joining each row to its location to read the
 * row's version cost the database 0.2 to 0.3 ms an order (session 11).
 */
interface Candidates {
  ids: string[];
  stock: number[][];
}

/** A location's columns that sourcing reads, as of one version of its row. */
interface LocationAttributes {
  code: string; type: CandidateLocation['type']; lat: number; lng: number; geo: readonly [number, number, number];
  methods: readonly FulfillmentMethod[]; active: boolean; priority: number; dailyCapacity: number | null;
}

interface AttributeRow {
  id: string; code: string; type: string; lat: number; lng: number; geo_x: number; geo_y: number; geo_z: number; methods: string; active: boolean;
  priority: number; daily_capacity: number | null;
}

/** Calls `each` for every position in one candidate's `stock` (see Candidates). */
function eachPosition(stock: readonly number[], skus: string[], each: (sku: string, onHand: number, reserved: number, safetyStock: number) => void): void {
  for (let k = 0; k < stock.length; k += 4) each(skus[stock[k] - 1], stock[k + 1], stock[k + 2], stock[k + 3]);
}

export interface SourcedGroup {
  id: string;
  locationId: string;
  method: FulfillmentMethod;
  lines: { orderLineId: string; sku: string; quantity: number }[];
}

export interface SourcingOutcome {
  planId: string;
  plan: Plan;
  groups: SourcedGroup[];
  rule: RuleRecord;
}

export class SourcingService {
  /** Candidate locations' attributes, as of a version of the locations table (candidateRows). */
  private readonly locationCache = new GenerationCache<LocationAttributes>(MAX_CACHED_LOCATIONS);
  private limitedMemo: { of: ReadonlyMap<string, LocationAttributes>; size: number; ids: string[] } | null = null;

  private ruleRows(q: Queryable): Promise<RuleRow[]> {
    return q.query<RuleRow>(`${RULES_IN_ORDER} ORDER BY rule_rank`, [], 'sourcing_rules_v3');
  }

  async rules(q: Queryable): Promise<RuleRecord[]> {
    return (await this.ruleRows(q)).map(toRule);
  }

  async ruleFor(q: Queryable, order: RuleMatchInput): Promise<RuleRecord> {
    return this.ruleFrom(await this.ruleRows(q), order);
  }

  /** The rule for an order among rows of RULES_IN_ORDER, read in their order (placement reads them with its key). */
  ruleFrom(rows: RuleRow[], order: RuleMatchInput): RuleRecord {
    const rule = selectRule(rows.map(toRule), order);
    if (!rule) throw new Error('No default sourcing rule: the database was not migrated');
    return rule;
  }

  /**
   * Every location holding any of the SKUs (distinct), with its stock of them, its
   * attributes, and its groups today where it has a daily capacity. One statement reads the
   * positions (one packed value), the locations table's version, and, when the cache knows
   * locations with a daily capacity, the day's groups of those among the candidates; only
   * after a change to the locations does a call read locations (the ones it needs) and count
   * the groups of capacities it did not know.
   */
  private async candidateRows(q: Queryable, skus: string[]): Promise<{ rows: Candidates; attributes: LocationAttributes[]; groupsToday: number[] }> {
    const limited = this.limitedLocations();
    const stock = `string_agg(concat_ws(':', p.location_id, array_position($1::text[], p.sku), p.on_hand, p.reserved, p.safety_stock), ',')`;
    const version = '(SELECT xmin::text FROM location_generation)';
    type Row = { stock: string | null; groups: string | null; version: string };
    // Without capacities to count (the usual network), the positions are read once and
    // aggregated as they come; with some, they are kept (MATERIALIZED) to pick the limited
    // locations among them, which costs the database about 0.2 ms more a call.
    const [row] = limited.length === 0
      ? await q.query<Row>(
          `SELECT (SELECT ${stock} FROM inventory_positions p WHERE p.sku = ANY($1)) AS stock, NULL::text AS groups, ${version} AS version`,
          [skus],
          'sourcing_candidates_v6',
        )
      : await q.query<Row>(
          `WITH p AS MATERIALIZED (SELECT location_id, sku, on_hand, reserved, safety_stock FROM inventory_positions WHERE sku = ANY($1))
           SELECT (SELECT ${stock} FROM p) AS stock,
                  (SELECT string_agg(concat_ws(':', d.id, (${GROUPS_TODAY('d.id')})), ',')
                     FROM (SELECT DISTINCT location_id AS id FROM p WHERE location_id = ANY($2::uuid[])) d) AS groups,
                  ${version} AS version`,
          [skus, limited],
          'sourcing_candidates_limited_v6',
        );
    const rows: Candidates = { ids: [], stock: [] };
    const at = new Map<string, number>();
    if (row.stock !== null) {
      eachKeyedPacked(row.stock, UUID_LENGTH, 4, (id, f) => {
        let c = at.get(id);
        if (c === undefined) {
          c = rows.ids.length;
          at.set(id, c);
          rows.ids.push(id);
          rows.stock.push([]);
        }
        rows.stock[c].push(f[0], f[1], f[2], f[3]);
      });
    }
    const known = new Map<string, number>();
    if (row.groups !== null) eachKeyedPacked(row.groups, UUID_LENGTH, 1, (id, f) => known.set(id, f[0]));
    const attributes = await this.locationCache.of(row.version, rows.ids, async (ids) =>
      (await q.query<AttributeRow>(
        `SELECT id, code, type, lat, lng, geo_x, geo_y, geo_z, array_to_string(methods, ',') AS methods, active, priority, daily_capacity
           FROM locations WHERE id = ANY($1::uuid[])`,
        [ids],
        'sourcing_location_attributes_v2',
      )).map((a) => ({
        id: a.id,
        value: {
          code: a.code, type: a.type as CandidateLocation['type'], lat: a.lat, lng: a.lng, geo: [a.geo_x, a.geo_y, a.geo_z] as const,
          methods: a.methods === '' ? [] : (a.methods.split(',') as FulfillmentMethod[]), active: a.active, priority: a.priority, dailyCapacity: a.daily_capacity,
        },
      })),
    );
    // capacities the statement did not count (a location changed, or first seen)
    const uncounted = rows.ids.filter((id, i) => attributes[i].dailyCapacity !== null && !known.has(id));
    const counted = uncounted.length ? new Map((await this.groupsToday(q, uncounted)).map((r) => [r.id, r.n])) : null;
    const groupsToday = rows.ids.map((id, i) => (attributes[i].dailyCapacity === null ? 0 : known.get(id) ?? counted?.get(id) ?? 0));
    return { rows, attributes, groupsToday };
  }

  /**
   * The ids of the kept locations that have a daily capacity, worked out again only when the
   * cache moved to another version or kept more (values are only added within a version), not
   * on every call: the cache may hold thousands of locations.
   */
  private limitedLocations(): string[] {
    const kept = this.locationCache.kept();
    const memo = this.limitedMemo;
    if (memo && memo.of === kept && memo.size === kept.size) return memo.ids;
    const ids: string[] = [];
    for (const [id, a] of kept) if (a.dailyCapacity !== null) ids.push(id);
    this.limitedMemo = { of: kept, size: kept.size, ids };
    return ids;
  }

  /** The day's groups (neither cancelled nor rejected) of each location that has any. */
  private groupsToday(q: Queryable, ids: string[]): Promise<{ id: string; n: number }[]> {
    return q.query<{ id: string; n: number }>(
      `SELECT location_id AS id, count(*)::int AS n FROM fulfillment_groups
        WHERE location_id = ANY($1) AND created_at >= ${TODAY} AND status NOT IN ('CANCELLED', 'REJECTED')
        GROUP BY location_id`,
      [ids],
      'count_groups_today_v2',
    );
  }

  /** The candidates as objects (the simulation replays many orders over one load). */
  async candidates(q: Queryable, skus: string[]): Promise<CandidateLocation[]> {
    const distinct = [...new Set(skus)];
    const { rows, attributes, groupsToday } = await this.candidateRows(q, distinct);
    return rows.ids.map((id, i) => {
      const a = attributes[i];
      const c: CandidateLocation = {
        id, code: a.code, type: a.type, geo: { lat: a.lat, lng: a.lng },
        methods: [...a.methods], active: a.active, priority: a.priority,
        dailyCapacity: a.dailyCapacity, groupsToday: groupsToday[i], stock: new Map(),
      };
      eachPosition(rows.stock[i], distinct, (sku, onHand, reserved, safetyStock) => c.stock.set(sku, { onHand, reserved, safetyStock }));
      return c;
    });
  }

  /** The candidates of one request as the planner's table, built straight from the rows. */
  async candidateTable(q: Queryable, request: PlanRequest): Promise<CandidateTable> {
    const b = new CandidateTableBuilder(request.lines);
    const skus = [...new Set(request.lines.map((l) => l.sku))];
    const { rows, attributes, groupsToday } = await this.candidateRows(q, skus);
    for (let i = 0; i < rows.ids.length; i++) {
      const a = attributes[i];
      const c = b.location(rows.ids[i], a.code, a.type, a.lat, a.lng, a.methods, a.active, a.priority, a.dailyCapacity, groupsToday[i], a.geo);
      eachPosition(rows.stock[i], skus, (sku, onHand, reserved, safetyStock) => b.position(c, sku, onHand, reserved, safetyStock));
    }
    return b.build();
  }

  /** A dry run: the plan the order would get now, reserving nothing. */
  async preview(q: Queryable, request: PlanRequest, rule: RuleRecord): Promise<Plan> {
    return timedPlan(request, await this.candidateTable(q, request), rule);
  }

  /**
   * Plans and reserves inside `tx`, then writes the plan (a new active version for the
   * order), its groups, lines, unallocated quantities and the RESERVATION movements.
   */
  async planAndReserve(
    tx: Tx,
    args: {
      orderId: string;
      request: PlanRequest;
      rule: RuleRecord;
      actor: string;
      now?: Date;
      /** Groups of the previous plan that the new plan keeps (re-sourcing). */
      keepGroupIds?: string[];
      /** The order's first plan (placement): there is no active plan to retire. */
      first?: boolean;
    },
  ): Promise<SourcingOutcome> {
    const plan = await this.reservePlan(tx, args.request, args.rule, { capacity: true });
    return this.persist(tx, args.orderId, plan, args.request, args.rule, args.actor, args.now ?? new Date(), args.keepGroupIds ?? [], args.first ?? false);
  }

  /**
   * Plans on fresh positions and reserves the plan with the guarded UPDATE; a lost race
   * re-plans, and the last attempt locks first so it cannot lose. Writes no plan rows and
   * no ledger rows: the caller records what the reservation is for.
   *
   * The first attempt runs without a savepoint (two round trips fewer on the usual path):
   * until its reservation succeeds it only reads and locks, since the reservation is all or
   * nothing. A lost first attempt keeps its locks to the end of the transaction, which can
   * take the later attempts' locks out of the fixed order; PostgreSQL then reports a
   * deadlock, and the transaction runs again (Database.transaction). The later attempts run
   * under savepoints, which let go of their locks when they lose.
   */
  async reservePlan(tx: Tx, request: PlanRequest, rule: RuleRecord, opts: { capacity: boolean }): Promise<Plan> {
    const skus = request.lines.map((l) => l.sku);
    const attempt = async (locking: boolean): Promise<Plan> => {
      if (locking) await this.lockSkus(tx, skus, opts.capacity);
      const table = await this.candidateTable(tx, request);
      const capacity = opts.capacity && rule.constraints.respectCapacity;
      const p = timedPlan(request, table, capacity ? rule : { ...rule, constraints: { ...rule.constraints, respectCapacity: false } });
      if (capacity) await this.claimCapacity(tx, p, table);
      await this.reserve(tx, p, rule.constraints.useSafetyStock);
      return p;
    };
    for (let n = 1; ; n++) {
      const locking = n > OPTIMISTIC_ATTEMPTS;
      try {
        return n === 1 ? await attempt(false) : await tx.savepoint(() => attempt(locking));
      } catch (err) {
        if (!(err instanceof ReservationLost) || locking) throw err;
        metrics.reservationConflicts.inc();
      }
    }
  }

  /**
   * Locks, in the order every path uses, everything sourcing these SKUs may touch: the
   * capacity-limited locations that hold them, then all their positions. Used by the last
   * reservation attempt, and before a change that both releases and reserves (re-sourcing,
   * a cart conversion that also sources), whose locks would otherwise come in two batches.
   */
  async lockSkus(tx: Tx, skus: string[], capacity = true): Promise<void> {
    if (capacity) {
      await tx.query(
        `SELECT 1 FROM locations WHERE daily_capacity IS NOT NULL
            AND id IN (SELECT location_id FROM inventory_positions WHERE sku = ANY($1)) ORDER BY id FOR NO KEY UPDATE`,
        [skus],
        'lock_capacity_locations_v2',
      );
    }
    await tx.query(`SELECT 1 FROM inventory_positions WHERE sku = ANY($1) ORDER BY location_id, sku COLLATE "C" FOR UPDATE`, [skus], 'lock_sku_positions');
  }

  /**
   * Daily capacity under concurrency: locks the capacity-limited locations the plan uses
   * and counts their groups again; a location that filled up meanwhile re-plans.
   */
  private async claimCapacity(tx: Tx, plan: Plan, table: CandidateTable): Promise<void> {
    const limited = new Map<string, number>();
    for (let c = 0; c < table.size; c++) if (!Number.isNaN(table.dailyCapacity[c])) limited.set(table.ids[c], table.dailyCapacity[c]);
    const ids = plan.groups.map((g) => g.locationId).filter((id) => limited.has(id)).sort();
    if (ids.length === 0) return;
    // NO KEY UPDATE: serialises capacity claims without blocking the KEY SHARE locks that
    // foreign keys to locations take (location_events' rows, written at commit after the
    // location's event counter is locked: FOR UPDATE here deadlocked with that).
    await tx.query('SELECT 1 FROM locations WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE', [ids], 'lock_locations_v2');
    // A separate statement: its snapshot is taken after the locks, so it sees every group
    // committed by the transactions it waited for.
    const rows = await this.groupsToday(tx, ids);
    if (rows.some((r) => r.n >= limited.get(r.id)!)) throw new ReservationLost();
  }

  /**
   * Reserves every position of the plan, or none: a lost race writes nothing, so the first
   * attempt needs no savepoint (reservePlan).
   */
  private async reserve(tx: Tx, plan: Plan, useSafetyStock: boolean): Promise<void> {
    const items = plan.groups
      .flatMap((g) => g.lines.map((l) => ({ l: g.locationId, s: l.sku, q: l.quantity })))
      .sort(byPosition);
    if (items.length === 0) return;
    // One round trip. `locked` locks the positions in the order every path uses and reads
    // each one's latest version (READ COMMITTED re-reads a row it waited for); the UPDATE
    // runs only when every one of them fits (an InitPlan, evaluated before it reads a row),
    // and re-checks each guard on that same locked version.
    const rows = await tx.query(
      `WITH locked AS (
         SELECT p.on_hand - p.reserved - CASE WHEN $4::boolean THEN 0 ELSE p.safety_stock END >= v.q AS fits
           FROM inventory_positions p JOIN unnest($1::uuid[], $2::text[], $3::int[]) AS v(l, s, q) ON p.location_id = v.l AND p.sku = v.s
          ORDER BY p.location_id, p.sku COLLATE "C" FOR UPDATE OF p)
       UPDATE inventory_positions p SET reserved = p.reserved + v.q, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::int[]) AS v(l, s, q)
        WHERE (SELECT count(*) FILTER (WHERE fits) FROM locked) = cardinality($1::uuid[])
          AND p.location_id = v.l AND p.sku = v.s
          AND p.on_hand - p.reserved - CASE WHEN $4::boolean THEN 0 ELSE p.safety_stock END >= v.q
      RETURNING p.location_id`,
      [items.map((i) => i.l), items.map((i) => i.s), items.map((i) => i.q), useSafetyStock],
      'reserve_all_or_none',
    );
    if (rows.length === 0) throw new ReservationLost();
    // every position fitted while locked, so none can fail its guard: a partial reservation
    // would be a defect, and ends the transaction rather than be kept
    if (rows.length !== items.length) throw new Error(`reserved ${rows.length} of ${items.length} positions: the reservation must be all or none`);
  }

  /** Writes a plan that is already reserved as the order's new active version. */
  async persist(
    tx: Tx, orderId: string, plan: Plan, request: PlanRequest, rule: RuleRecord, actor: string, now: Date, keepGroupIds: string[], first = false,
  ): Promise<SourcingOutcome> {
    // a new order has no plan to retire
    if (!first) await tx.query('UPDATE fulfillment_plans SET active = false WHERE order_id = $1 AND active', [orderId]);
    const st = new Statement();
    const { outcome, notified } = this.planWrites(st, orderId, plan, request, rule, actor, now, keepGroupIds);
    await tx.query(st.text(`SELECT ${notified}`), st.params, 'insert_plan_v4');
    return outcome;
  }

  /**
   * Adds to a statement the writes of a plan that is already reserved, as the order's new
   * active version (the caller retires the old one): the plan, its groups, their lines, its
   * membership, what it left unallocated and the RESERVATION movements of its groups (empty
   * arrays insert nothing). Returns the outcome and an expression for the statement's final
   * SELECT that notifies the positions reserved.
   */
  planWrites(
    st: Statement, orderId: string, plan: Plan, request: PlanRequest, rule: RuleRecord, actor: string, now: Date, keepGroupIds: string[],
  ): { outcome: SourcingOutcome; notified: string } {
    const planId = crypto.randomUUID();
    const explanation = {
      provenOptimal: plan.provenOptimal,
      objective: plan.objective,
      alternatives: plan.alternatives,
      excluded: plan.excluded,
      ruleId: plan.ruleId,
      ruleVersion: plan.ruleVersion,
      groups: plan.groups.map((g) => ({ locationId: g.locationId, cost: g.cost, distanceKm: g.distanceKm })),
    };
    const groups: SourcedGroup[] = plan.groups.map((g) => ({ id: crypto.randomUUID(), locationId: g.locationId, method: request.method, lines: g.lines }));
    const lines = groups.flatMap((g) => g.lines.map((l) => ({ g: g.id, ...l })));
    const id = st.p(planId, 'uuid');
    const order = st.p(orderId, 'uuid');
    st.with('plan', `
       INSERT INTO fulfillment_plans (id, order_id, version, rule_id, rule_version, shipment_count, estimated_cost, total_distance_km, explanation)
       VALUES (${id}, ${order}, (SELECT COALESCE(max(version), 0) + 1 FROM fulfillment_plans WHERE order_id = ${order}),
               ${st.p(rule.id)}, ${st.p(rule.version)}, ${st.p(plan.shipmentCount)}, ${st.p(Math.max(0, plan.objective).toFixed(4))}, ${st.p(plan.totalDistanceKm)}, ${st.p(explanation)})`);
    st.with('plan_groups_in', `
       INSERT INTO fulfillment_groups (id, plan_id, order_id, location_id, method, status, estimated_cost, distance_km, promised_by, accept_by)
       SELECT id, ${id}, ${order}, l, ${st.p(request.method)}, 'PENDING', c, d, pb,
              ${st.p(rule.acceptanceDeadlineMinutes ? new Date(now.getTime() + rule.acceptanceDeadlineMinutes * 60_000) : null, 'timestamptz')}
         FROM unnest(${st.p(groups.map((g) => g.id), 'uuid[]')}, ${st.p(groups.map((g) => g.locationId), 'uuid[]')},
                     ${st.p(plan.groups.map((g) => Math.max(0, g.cost).toFixed(4)), 'numeric[]')}, ${st.p(plan.groups.map((g) => g.distanceKm), 'float8[]')},
                     ${st.p(plan.groups.map((g) => promisedBy(request.method, g.distanceKm, now)), 'timestamptz[]')}) AS v(id, l, c, d, pb)`);
    st.with('plan_group_lines', `
       INSERT INTO fulfillment_group_lines (group_id, order_line_id, sku, quantity)
       SELECT * FROM unnest(${st.p(lines.map((l) => l.g), 'uuid[]')}, ${st.p(lines.map((l) => l.orderLineId), 'uuid[]')},
                            ${st.p(lines.map((l) => l.sku), 'text[]')}, ${st.p(lines.map((l) => l.quantity), 'int[]')})`);
    st.with('plan_members', `
       INSERT INTO plan_groups (plan_id, group_id) SELECT ${id}, unnest(${st.p([...keepGroupIds, ...groups.map((g) => g.id)], 'uuid[]')})`);
    st.with('plan_unallocated', `
       INSERT INTO plan_unallocated (plan_id, order_line_id, sku, quantity)
       SELECT ${id}, * FROM unnest(${st.p(plan.unallocated.map((l) => l.orderLineId), 'uuid[]')}, ${st.p(plan.unallocated.map((l) => l.sku), 'text[]')},
                                   ${st.p(plan.unallocated.map((l) => l.quantity), 'int[]')})`);
    const notified = movements(
      st,
      'plan_moves',
      groups.flatMap((g) =>
        g.lines.map((l) => ({ locationId: g.locationId, sku: l.sku, kind: 'RESERVATION' as const, onHandDelta: 0, reservedDelta: l.quantity, orderId, groupId: g.id })),
      ),
      { actor, reason: 'sourced' },
    );
    return { outcome: { planId, plan, groups, rule }, notified };
  }
}

/** The promise shown to the customer: pickup in 2 hours, same day by 22:00 UTC, parcels by distance. */
export function promisedBy(method: FulfillmentMethod, km: number, now: Date): Date {
  const hour = 3_600_000;
  if (method === 'PICKUP') return new Date(now.getTime() + 2 * hour);
  if (method === 'SAME_DAY') {
    const end = new Date(now);
    end.setUTCHours(22, 0, 0, 0);
    return end.getTime() > now.getTime() + 2 * hour ? end : new Date(now.getTime() + 6 * hour);
  }
  return new Date(now.getTime() + (1 + Math.ceil(km / 800)) * 24 * hour);
}

/** The planner, its time recorded (orders_sourcing_plan_duration_seconds). */
function timedPlan(request: PlanRequest, table: CandidateTable, rule: RuleRecord): Plan {
  const start = process.hrtime.bigint();
  try {
    return planFromTable(request, table, rule);
  } finally {
    metrics.planSeconds.observe(since(start));
  }
}
