/**
 * The sourcing service: loads the rule and every candidate position for an order's SKUs
 * in one query, asks the pure planner for a plan, and reserves it with one guarded UPDATE
 * inside the caller's transaction. A reservation that loses a race (another order took the
 * stock between read and write) rolls back to a savepoint and re-plans on fresh positions;
 * the last attempt locks the positions first, so it cannot lose. Stock is never oversold:
 * the guard and the table's CHECK (reserved <= on_hand) both refuse it.
 */
import { metrics, since } from '../metrics';
import crypto from 'node:crypto';
import type { Queryable, Tx } from '../db/database';
import type { FulfillmentMethodValue as FulfillmentMethod } from '../common/types';
import { byPosition, lockPositions, recordMovements } from '../inventory/ledger';
import { CandidateTableBuilder, type CandidateTable } from './candidate-table';
import { planFromTable, type CandidateLocation, type Plan, type PlanRequest } from './planner';
import { RULE_COLUMNS, selectRule, toRule, type RuleMatchInput, type RuleRecord, type RuleRow } from './rules';

/** Optimistic attempts before the locking one. */
const OPTIMISTIC_ATTEMPTS = 3;

class ReservationLost extends Error {}

interface CandidateRow {
  id: string; code: string; type: string; lat: number; lng: number; geo_x: number; geo_y: number; geo_z: number; methods: string[]; active: boolean;
  priority: number; daily_capacity: number | null; groups_today: number; sku: string; on_hand: number; reserved: number; safety_stock: number;
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
  async rules(q: Queryable): Promise<RuleRecord[]> {
    const rows = await q.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM sourcing_rules WHERE deleted_at IS NULL ORDER BY priority DESC, created_at`, [], 'sourcing_rules_v2');
    return rows.map(toRule);
  }

  async ruleFor(q: Queryable, order: RuleMatchInput): Promise<RuleRecord> {
    const rule = selectRule(await this.rules(q), order);
    if (!rule) throw new Error('No default sourcing rule: the database was not migrated');
    return rule;
  }

  /** Every location holding any of the SKUs, with its stock of them and its groups today: one row per position. */
  private async candidateRows(q: Queryable, skus: string[]): Promise<CandidateRow[]> {
    return q.query<CandidateRow>(
      `SELECT l.id, l.code, l.type, l.lat, l.lng, l.geo_x, l.geo_y, l.geo_z, l.methods, l.active, l.priority, l.daily_capacity,
              CASE WHEN l.daily_capacity IS NULL THEN 0 ELSE (
                SELECT count(*)::int FROM fulfillment_groups g
                 WHERE g.location_id = l.id AND g.created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                   AND g.status NOT IN ('CANCELLED', 'REJECTED')
              ) END AS groups_today,
              p.sku, p.on_hand, p.reserved, p.safety_stock
         FROM inventory_positions p
         JOIN locations l ON l.id = p.location_id
        WHERE p.sku = ANY($1)`,
      // The day's groups are counted only where a capacity is set: a CASE, because PostgreSQL
      // ran a LEFT JOIN LATERAL's count for every location before its ON condition dropped it.
      [skus],
      'sourcing_candidates_v2',
    );
  }

  /** The candidates as objects (the simulation replays many orders over one load). */
  async candidates(q: Queryable, skus: string[]): Promise<CandidateLocation[]> {
    const byId = new Map<string, CandidateLocation>();
    for (const r of await this.candidateRows(q, skus)) {
      let c = byId.get(r.id);
      if (!c) {
        c = {
          id: r.id, code: r.code, type: r.type as CandidateLocation['type'], geo: { lat: r.lat, lng: r.lng },
          methods: r.methods as FulfillmentMethod[], active: r.active, priority: r.priority,
          dailyCapacity: r.daily_capacity, groupsToday: r.groups_today, stock: new Map(),
        };
        byId.set(r.id, c);
      }
      c.stock.set(r.sku, { onHand: r.on_hand, reserved: r.reserved, safetyStock: r.safety_stock });
    }
    return [...byId.values()];
  }

  /** The candidates of one request as the planner's table, built straight from the rows. */
  async candidateTable(q: Queryable, request: PlanRequest): Promise<CandidateTable> {
    const b = new CandidateTableBuilder(request.lines);
    for (const r of await this.candidateRows(q, [...new Set(request.lines.map((l) => l.sku))])) {
      const c = b.location(
        r.id, r.code, r.type as CandidateLocation['type'], r.lat, r.lng, r.methods as FulfillmentMethod[], r.active, r.priority, r.daily_capacity, r.groups_today,
        [r.geo_x, r.geo_y, r.geo_z],
      );
      b.position(c, r.sku, r.on_hand, r.reserved, r.safety_stock);
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
    },
  ): Promise<SourcingOutcome> {
    const plan = await this.reservePlan(tx, args.request, args.rule, { capacity: true });
    return this.persist(tx, args.orderId, plan, args.request, args.rule, args.actor, args.now ?? new Date(), args.keepGroupIds ?? []);
  }

  /**
   * Plans on fresh positions and reserves the plan with the guarded UPDATE; a lost race
   * re-plans, and the last attempt locks first so it cannot lose. Writes no plan rows and
   * no ledger rows: the caller records what the reservation is for.
   */
  async reservePlan(tx: Tx, request: PlanRequest, rule: RuleRecord, opts: { capacity: boolean }): Promise<Plan> {
    const skus = request.lines.map((l) => l.sku);
    for (let attempt = 1; ; attempt++) {
      const locking = attempt > OPTIMISTIC_ATTEMPTS;
      try {
        return await tx.savepoint(async () => {
          if (locking) await this.lockSkus(tx, skus, opts.capacity);
          const table = await this.candidateTable(tx, request);
          const capacity = opts.capacity && rule.constraints.respectCapacity;
          const p = timedPlan(request, table, capacity ? rule : { ...rule, constraints: { ...rule.constraints, respectCapacity: false } });
          if (capacity) await this.claimCapacity(tx, p, table);
          await this.reserve(tx, p, rule.constraints.useSafetyStock);
          return p;
        });
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
    const rows = await tx.query<{ id: string; n: number }>(
      `SELECT location_id AS id, count(*)::int AS n FROM fulfillment_groups
        WHERE location_id = ANY($1) AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          AND status NOT IN ('CANCELLED', 'REJECTED')
        GROUP BY location_id`,
      [ids],
      'count_groups_today',
    );
    if (rows.some((r) => r.n >= limited.get(r.id)!)) throw new ReservationLost();
  }

  private async reserve(tx: Tx, plan: Plan, useSafetyStock: boolean): Promise<void> {
    const items = plan.groups
      .flatMap((g) => g.lines.map((l) => ({ l: g.locationId, s: l.sku, q: l.quantity })))
      .sort(byPosition);
    if (items.length === 0) return;
    await lockPositions(tx, items.map((i) => i.l), items.map((i) => i.s));
    const rows = await tx.query(
      `UPDATE inventory_positions p SET reserved = p.reserved + v.q, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::int[]) AS v(l, s, q)
        WHERE p.location_id = v.l AND p.sku = v.s
          AND p.on_hand - p.reserved - CASE WHEN $4::boolean THEN 0 ELSE p.safety_stock END >= v.q
      RETURNING p.location_id`,
      [items.map((i) => i.l), items.map((i) => i.s), items.map((i) => i.q), useSafetyStock],
      'reserve_positions',
    );
    if (rows.length !== items.length) throw new ReservationLost();
  }

  /** Writes a plan that is already reserved as the order's new active version. */
  async persist(
    tx: Tx, orderId: string, plan: Plan, request: PlanRequest, rule: RuleRecord, actor: string, now: Date, keepGroupIds: string[],
  ): Promise<SourcingOutcome> {
    const planId = crypto.randomUUID();
    await tx.query('UPDATE fulfillment_plans SET active = false WHERE order_id = $1 AND active', [orderId]);
    const explanation = {
      provenOptimal: plan.provenOptimal,
      objective: plan.objective,
      alternatives: plan.alternatives,
      excluded: plan.excluded,
      ruleId: plan.ruleId,
      ruleVersion: plan.ruleVersion,
      groups: plan.groups.map((g) => ({ locationId: g.locationId, cost: g.cost, distanceKm: g.distanceKm })),
    };
    await tx.query(
      `INSERT INTO fulfillment_plans (id, order_id, version, rule_id, rule_version, shipment_count, estimated_cost, total_distance_km, explanation)
       VALUES ($1, $2, (SELECT COALESCE(max(version), 0) + 1 FROM fulfillment_plans WHERE order_id = $2), $3, $4, $5, $6, $7, $8)`,
      [planId, orderId, rule.id, rule.version, plan.shipmentCount, Math.max(0, plan.objective).toFixed(4), plan.totalDistanceKm, explanation],
      'insert_plan',
    );
    const groups: SourcedGroup[] = plan.groups.map((g) => ({ id: crypto.randomUUID(), locationId: g.locationId, method: request.method, lines: g.lines }));
    if (groups.length) {
      await tx.query(
        `INSERT INTO fulfillment_groups (id, plan_id, order_id, location_id, method, status, estimated_cost, distance_km, promised_by, accept_by)
         SELECT id, $2, $3, l, $4, 'PENDING', c, d, pb, $9 FROM unnest($1::uuid[], $5::uuid[], $6::numeric[], $7::float8[], $8::timestamptz[]) AS v(id, l, c, d, pb)`,
        [
          groups.map((g) => g.id), planId, orderId, request.method, groups.map((g) => g.locationId),
          plan.groups.map((g) => Math.max(0, g.cost).toFixed(4)), plan.groups.map((g) => g.distanceKm),
          plan.groups.map((g) => promisedBy(request.method, g.distanceKm, now)),
          rule.acceptanceDeadlineMinutes ? new Date(now.getTime() + rule.acceptanceDeadlineMinutes * 60_000) : null,
        ],
        'insert_groups_v2',
      );
      const lines = groups.flatMap((g) => g.lines.map((l) => ({ g: g.id, ...l })));
      await tx.query(
        `INSERT INTO fulfillment_group_lines (group_id, order_line_id, sku, quantity)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[])`,
        [lines.map((l) => l.g), lines.map((l) => l.orderLineId), lines.map((l) => l.sku), lines.map((l) => l.quantity)],
        'insert_group_lines',
      );
      await recordMovements(
        tx,
        groups.flatMap((g) =>
          g.lines.map((l) => ({ locationId: g.locationId, sku: l.sku, kind: 'RESERVATION' as const, onHandDelta: 0, reservedDelta: l.quantity, orderId, groupId: g.id })),
        ),
        { actor, reason: 'sourced' },
      );
    }
    const planGroupIds = [...keepGroupIds, ...groups.map((g) => g.id)];
    if (planGroupIds.length) {
      await tx.query('INSERT INTO plan_groups (plan_id, group_id) SELECT $1, unnest($2::uuid[])', [planId, planGroupIds], 'insert_plan_groups');
    }
    if (plan.unallocated.length) {
      await tx.query(
        `INSERT INTO plan_unallocated (plan_id, order_line_id, sku, quantity)
         SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::int[])`,
        [planId, plan.unallocated.map((l) => l.orderLineId), plan.unallocated.map((l) => l.sku), plan.unallocated.map((l) => l.quantity)],
        'insert_unallocated',
      );
    }
    return { planId, plan, groups, rule };
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
