import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Positions kept together by SKU, and reservations that leave them in place.
 *
 * Sourcing reads every position of an order's SKUs (200 locations a SKU: 600 rows for three
 * lines), and availability every position of a page's SKUs. Loaded location by location,
 * the positions of one SKU lie on as many pages as there are locations, and the read visits
 * each page. Clustered by SKU (CLUSTER, README "Operations"), they share a few pages.
 *
 * The SKU index carried the quantities (INCLUDE location_id, on_hand, reserved, safety_stock)
 * for index-only scans. But every reservation clears its page's visibility bit, so under
 * orders those scans visited every row's page anyway; and since a reservation changed an
 * indexed column, PostgreSQL wrote the new row version wherever it found room (scattering
 * what CLUSTER had gathered) with new entries in both indexes. The index now holds the SKU
 * alone, and pages keep a tenth free: a change of quantities is a heap-only update on the
 * row's own page, and the order CLUSTER made holds. The table records the index to cluster on,
 * so that a plain `CLUSTER inventory_positions` uses it.
 *
 * This migration rewrites nothing (a large table would be locked for as long): the fill
 * factor applies to pages written from now on, and to all of them at the next CLUSTER.
 */
export class PositionsBySku1764800000000 implements MigrationInterface {
  name = 'PositionsBySku1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX inventory_positions_sku_idx');
    await q.query('CREATE INDEX inventory_positions_sku_idx ON inventory_positions (sku)');
    await q.query('ALTER TABLE inventory_positions SET (fillfactor = 90)');
    await q.query('ALTER TABLE inventory_positions CLUSTER ON inventory_positions_sku_idx');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE inventory_positions SET WITHOUT CLUSTER');
    await q.query('ALTER TABLE inventory_positions RESET (fillfactor)');
    await q.query('DROP INDEX inventory_positions_sku_idx');
    await q.query('CREATE INDEX inventory_positions_sku_idx ON inventory_positions (sku) INCLUDE (location_id, on_hand, reserved, safety_stock)');
  }
}
