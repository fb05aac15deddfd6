/**
 * The inventory audit: recomputes every position from first principles and reports where
 * the stored numbers drift. On hand must equal the sum of its ledger movements; reserved
 * must equal both the ledger's reserved movements and the open fulfillment group lines
 * plus the lines of live cart reservations; nothing may be negative.
 */
import type { Database } from '../db/database';

export interface DriftRecord {
  locationId: string;
  sku: string;
  onHand: number;
  reserved: number;
  ledgerOnHand: number;
  ledgerReserved: number;
  openAllocations: number;
  problems: string[];
}

export interface AuditRecord {
  ok: boolean;
  checkedPositions: number;
  drifts: DriftRecord[];
}

export class AuditService {
  constructor(private readonly db: Database) {}

  async audit(locationIds: string[] | null): Promise<AuditRecord> {
    const rows = await this.db.query<{
      location_id: string; sku: string; on_hand: number; reserved: number; ledger_on_hand: number; ledger_reserved: number; allocated: number; n: number;
    }>(
      `WITH pos AS (SELECT * FROM inventory_positions WHERE $1::uuid[] IS NULL OR location_id = ANY($1)),
            led AS (SELECT m.location_id, m.sku, sum(m.on_hand_delta)::int AS oh, sum(m.reserved_delta)::int AS rs
                      FROM inventory_movements m WHERE $1::uuid[] IS NULL OR m.location_id = ANY($1) GROUP BY 1, 2),
            alloc AS (SELECT g.location_id, gl.sku, sum(gl.quantity)::int AS q FROM fulfillment_group_lines gl
                        JOIN fulfillment_groups g ON g.id = gl.group_id
                       WHERE g.status IN ('PENDING', 'ACCEPTED', 'PICKING', 'PACKED') AND ($1::uuid[] IS NULL OR g.location_id = ANY($1))
                       GROUP BY 1, 2
                      UNION ALL
                      SELECT cl.location_id, cl.sku, sum(cl.quantity)::int FROM cart_reservation_lines cl
                        JOIN cart_reservations c ON c.id = cl.reservation_id
                       WHERE c.status = 'ACTIVE' AND ($1::uuid[] IS NULL OR cl.location_id = ANY($1))
                       GROUP BY 1, 2),
            alloc_sum AS (SELECT location_id, sku, sum(q)::int AS q FROM alloc GROUP BY 1, 2),
            joined AS (
              SELECT p.location_id, p.sku, p.on_hand, p.reserved, COALESCE(led.oh, 0) AS ledger_on_hand, COALESCE(led.rs, 0) AS ledger_reserved,
                     COALESCE(alloc.q, 0) AS allocated
                FROM pos p
                LEFT JOIN led ON led.location_id = p.location_id AND led.sku = p.sku
                LEFT JOIN alloc_sum alloc ON alloc.location_id = p.location_id AND alloc.sku = p.sku)
       SELECT j.*, (SELECT count(*)::int FROM pos) AS n FROM joined j
        WHERE j.on_hand <> j.ledger_on_hand OR j.reserved <> j.ledger_reserved OR j.reserved <> j.allocated
           OR j.reserved < 0 OR j.on_hand < 0 OR j.reserved > j.on_hand
       UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*)::int FROM pos)`,
      [locationIds],
    );
    const checked = rows[rows.length - 1].n;
    const drifts = rows.slice(0, -1).map((r) => {
      const problems: string[] = [];
      if (r.on_hand !== r.ledger_on_hand) problems.push(`onHand ${r.on_hand} but the ledger sums to ${r.ledger_on_hand}`);
      if (r.reserved !== r.ledger_reserved) problems.push(`reserved ${r.reserved} but the ledger sums to ${r.ledger_reserved}`);
      if (r.reserved !== r.allocated) problems.push(`reserved ${r.reserved} but open allocations hold ${r.allocated}`);
      if (r.on_hand < 0 || r.reserved < 0) problems.push('negative');
      if (r.reserved > r.on_hand) problems.push('reserved exceeds onHand');
      return {
        locationId: r.location_id, sku: r.sku, onHand: r.on_hand, reserved: r.reserved, ledgerOnHand: r.ledger_on_hand,
        ledgerReserved: r.ledger_reserved, openAllocations: r.allocated, problems,
      };
    });
    return { ok: drifts.length === 0, checkedPositions: checked, drifts };
  }
}
