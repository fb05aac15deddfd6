import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cart reservations: stock held between cart and checkout, with a TTL, converted by
 * placeOrder. Their lines count in `reserved` like open fulfillment group lines, and the
 * ledger names the reservation behind each of its movements.
 */
export class Carts1764300000000 implements MigrationInterface {
  name = 'Carts1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cart_reservations (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        principal     text NOT NULL,
        key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
        request_hash  text NOT NULL,
        customer_id   text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 64),
        method        text NOT NULL CHECK (method IN ('SHIP','PICKUP','SAME_DAY')),
        pickup_location_id uuid REFERENCES locations(id),
        status        text NOT NULL CHECK (status IN ('ACTIVE','CONVERTED','RELEASED','EXPIRED')),
        ttl_seconds   integer NOT NULL CHECK (ttl_seconds BETWEEN 1 AND 7200),
        expires_at    timestamptz NOT NULL,
        order_id      uuid REFERENCES orders(id) ON DELETE SET NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        UNIQUE (principal, key),
        CHECK ((status = 'CONVERTED') = (order_id IS NOT NULL))
      );
      CREATE INDEX cart_reservations_expiry_idx ON cart_reservations (expires_at) WHERE status = 'ACTIVE';

      CREATE TABLE cart_reservation_lines (
        reservation_id  uuid NOT NULL REFERENCES cart_reservations(id) ON DELETE CASCADE,
        location_id     uuid NOT NULL,
        sku             text NOT NULL,
        quantity        integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (reservation_id, location_id, sku),
        FOREIGN KEY (location_id, sku) REFERENCES inventory_positions(location_id, sku)
      );
      CREATE INDEX cart_reservation_lines_position_idx ON cart_reservation_lines (location_id, sku);

      CREATE TABLE cart_reservation_unallocated (
        reservation_id  uuid NOT NULL REFERENCES cart_reservations(id) ON DELETE CASCADE,
        sku             text NOT NULL,
        quantity        integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (reservation_id, sku)
      );

      ALTER TABLE inventory_movements ADD COLUMN cart_reservation_id uuid REFERENCES cart_reservations(id) ON DELETE SET NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE inventory_movements DROP COLUMN cart_reservation_id;
      DROP TABLE cart_reservation_unallocated, cart_reservation_lines, cart_reservations;
    `);
  }
}
