/**
 * The inventory ledger and position locking: every change to a position's on-hand or
 * reserved count appends an inventory_movements row in the same transaction, and every
 * multi-position change locks its positions in one fixed order first.
 */
import { INVENTORY_EVENTS_CHANNEL } from '../events/outbox';
import type { Queryable, Tx } from '../db/database';
import { Statement } from '../db/statement';

/** Position order for locks: location id, then SKU by code point (COLLATE "C" in SQL). */
export function byPosition(a: { l: string; s: string }, b: { l: string; s: string }): number {
  return a.l < b.l ? -1 : a.l > b.l ? 1 : a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
}

/**
 * Locks positions in one fixed order (location, then SKU in byte order) before a
 * multi-row UPDATE, whose own row order PostgreSQL does not promise; two transactions
 * touching the same positions then queue instead of deadlocking.
 */
export async function lockPositions(tx: Tx, locationIds: string[], skus: string[]): Promise<void> {
  await tx.query(
    `SELECT 1 FROM inventory_positions p JOIN unnest($1::uuid[], $2::text[]) AS v(l, s) ON p.location_id = v.l AND p.sku = v.s
      ORDER BY p.location_id, p.sku COLLATE "C" FOR UPDATE OF p`,
    [locationIds, skus],
    'lock_positions',
  );
}

export type MovementKind = 'RECEIPT' | 'ADJUSTMENT' | 'SYNC' | 'RESERVATION' | 'RELEASE' | 'SHIPMENT' | 'RETURN';

export interface Movement {
  locationId: string;
  sku: string;
  kind: MovementKind;
  onHandDelta: number;
  reservedDelta: number;
  orderId?: string | null;
  groupId?: string | null;
  cartReservationId?: string | null;
}

/** Appends ledger rows in one statement; call it in the transaction that changed the positions. */
export async function recordMovements(tx: Queryable, moves: Movement[], meta: { actor: string; reason?: string | null }): Promise<void> {
  if (moves.length === 0) return;
  // The movements, and a notification of the positions they changed (leaves on commit).
  const st = new Statement();
  const notified = movements(st, 'moves', moves, meta);
  await tx.query(st.text(`SELECT ${notified}`), st.params, 'record_movements_v5');
}

/**
 * Adds movements to a larger statement as a data-modifying CTE named `name`; returns an
 * expression for its final SELECT that notifies the positions they changed. Placement writes
 * its plan, its movements and its events in one statement.
 */
export function movements(st: Statement, name: string, moves: Movement[], meta: { actor: string; reason?: string | null }): string {
  st.with(name, `
       INSERT INTO inventory_movements (location_id, sku, kind, on_hand_delta, reserved_delta, order_id, group_id, cart_reservation_id, reason, actor)
       SELECT l, s, k, oh, rs, o, g, c, ${st.p(meta.reason ?? null)}, ${st.p(meta.actor)}
         FROM unnest(${st.p(moves.map((m) => m.locationId), 'uuid[]')}, ${st.p(moves.map((m) => m.sku), 'text[]')}, ${st.p(moves.map((m) => m.kind), 'text[]')},
                     ${st.p(moves.map((m) => m.onHandDelta), 'int[]')}, ${st.p(moves.map((m) => m.reservedDelta), 'int[]')}, ${st.p(moves.map((m) => m.orderId ?? null), 'uuid[]')},
                     ${st.p(moves.map((m) => m.groupId ?? null), 'uuid[]')}, ${st.p(moves.map((m) => m.cartReservationId ?? null), 'uuid[]')}) AS v(l, s, k, oh, rs, o, g, c)
       RETURNING location_id, sku`);
  return positionsNotified(name, st.p(INVENTORY_EVENTS_CHANNEL));
}

/** Notifies (on commit) that these positions changed in a way movements do not show (safety stock). */
export async function notifyPositions(tx: Queryable, positions: { locationId: string; sku: string }[]): Promise<void> {
  if (positions.length === 0) return;
  await tx.query(
    `WITH changed AS (SELECT l AS location_id, s AS sku FROM unnest($1::uuid[], $2::text[]) AS v(l, s))
     SELECT ${positionsNotified('changed', '$3')}`,
    [positions.map((p) => p.locationId), positions.map((p) => p.sku), INVENTORY_EVENTS_CHANNEL],
    'notify_positions_v2',
  );
}

/**
 * An expression that notifies the distinct (location_id, sku) rows of `source` and counts the
 * notifications: 50 positions a notification, under PostgreSQL's 8,000-byte payload limit with
 * the longest SKUs. (PostgreSQL keeps a volatile call in a subquery whose value is not read.)
 */
function positionsNotified(source: string, channel: string): string {
  return `(SELECT count(*) FROM (SELECT pg_notify(${channel}, chunk)
       FROM (SELECT json_agg(json_build_array(location_id, sku))::text AS chunk
               FROM (SELECT location_id, sku, (row_number() OVER ()) / 50 AS part FROM (SELECT DISTINCT location_id, sku FROM ${source}) d) t
              GROUP BY part) c) n)`;
}


/**
 * Gives reserved units back to their positions (RELEASE movements), locking them in the
 * fixed order first. Items may repeat a position; each keeps its own ledger row.
 */
export async function releaseReserved(
  tx: Tx,
  items: { locationId: string; sku: string; quantity: number; orderId?: string | null; groupId?: string | null; cartReservationId?: string | null }[],
  meta: { actor: string; reason: string },
): Promise<void> {
  const sorted = items.filter((i) => i.quantity > 0).sort((a, b) => byPosition({ l: a.locationId, s: a.sku }, { l: b.locationId, s: b.sku }));
  if (sorted.length === 0) return;
  await lockPositions(tx, sorted.map((i) => i.locationId), sorted.map((i) => i.sku));
  await tx.query(
    `UPDATE inventory_positions p SET reserved = p.reserved - v.q, updated_at = now()
       FROM (SELECT l, s, sum(q)::int AS q FROM unnest($1::uuid[], $2::text[], $3::int[]) AS x(l, s, q) GROUP BY l, s) v
      WHERE p.location_id = v.l AND p.sku = v.s`,
    [sorted.map((i) => i.locationId), sorted.map((i) => i.sku), sorted.map((i) => i.quantity)],
    'release_positions',
  );
  await recordMovements(
    tx,
    sorted.map((i) => ({ ...i, kind: 'RELEASE' as const, onHandDelta: 0, reservedDelta: -i.quantity })),
    meta,
  );
}
