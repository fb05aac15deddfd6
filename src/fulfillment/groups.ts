/**
 * What happens to stock when a group ends or ships: ending (CANCELLED, REJECTED) gives the
 * reservation back; shipping (or readiness for pickup) consumes it. Both write ledger rows
 * and lock positions in the fixed order first.
 */
import type { Tx } from '../db/database';
import { lockPositions, recordMovements, releaseReserved } from '../inventory/ledger';
import type { StateGroup } from '../orders/order-state';

type GroupLines = Pick<StateGroup, 'id' | 'locationId' | 'lines'>;

/** Releases the reservations of these groups' lines (or of the given partial quantities). */
export async function releaseLines(
  tx: Tx,
  orderId: string,
  items: { groupId: string; locationId: string; sku: string; quantity: number }[],
  actor: string,
  reason: string,
): Promise<void> {
  await releaseReserved(tx, items.map((i) => ({ ...i, orderId })), { actor, reason });
}

/** Ends open groups: their reservations go back to the positions, their status becomes `to`. */
export async function endGroups(tx: Tx, orderId: string, groups: GroupLines[], to: 'CANCELLED' | 'REJECTED', actor: string, reason: string): Promise<void> {
  if (groups.length === 0) return;
  await releaseLines(
    tx,
    orderId,
    groups.flatMap((g) => g.lines.map((l) => ({ groupId: g.id, locationId: g.locationId, sku: l.sku, quantity: l.quantity }))),
    actor,
    reason,
  );
  await tx.query(`UPDATE fulfillment_groups SET status = $2, version = version + 1, updated_at = now() WHERE id = ANY($1)`, [groups.map((g) => g.id), to]);
}

/** Shipping or readiness for pickup: on hand and reserved both drop by the group's lines. */
export async function consumeReservation(tx: Tx, orderId: string, group: GroupLines & { method: string }, actor: string): Promise<void> {
  const lines = [...group.lines].sort((a, b) => (a.sku < b.sku ? -1 : 1));
  await lockPositions(tx, lines.map(() => group.locationId), lines.map((l) => l.sku));
  await tx.query(
    `UPDATE inventory_positions p SET on_hand = p.on_hand - v.q, reserved = p.reserved - v.q, updated_at = now()
       FROM unnest($2::text[], $3::int[]) AS v(s, q)
      WHERE p.location_id = $1 AND p.sku = v.s`,
    [group.locationId, lines.map((l) => l.sku), lines.map((l) => l.quantity)],
    'consume_positions',
  );
  await recordMovements(
    tx,
    lines.map((l) => ({ locationId: group.locationId, sku: l.sku, kind: 'SHIPMENT' as const, onHandDelta: -l.quantity, reservedDelta: -l.quantity, orderId, groupId: group.id })),
    { actor, reason: group.method === 'PICKUP' ? 'ready for pickup' : 'shipped' },
  );
}
