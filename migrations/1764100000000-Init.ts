import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The foundation: locations, inventory positions and their ledger, sourcing rules, orders
 * with lines, holds and events, fulfillment plans with groups and lines, idempotency keys.
 * Constraints live here as well as in the services: the database refuses a negative stock,
 * an over-reservation or a duplicate order number whatever code path writes.
 */
export class Init1764100000000 implements MigrationInterface {
  name = 'Init1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE locations (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
        name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        type            text NOT NULL CHECK (type IN ('WAREHOUSE','STORE','DARK_STORE')),
        lat             double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
        lng             double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
        methods         text[] NOT NULL CHECK (methods <@ ARRAY['SHIP','PICKUP','SAME_DAY']::text[]),
        daily_capacity  integer CHECK (daily_capacity >= 0),
        priority        integer NOT NULL DEFAULT 0,
        active          boolean NOT NULL DEFAULT true,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX locations_type_active_idx ON locations (type, active);

      CREATE TABLE inventory_positions (
        location_id   uuid NOT NULL REFERENCES locations(id),
        sku           text NOT NULL CHECK (sku ~ '^[A-Za-z0-9._-]{1,64}$'),
        on_hand       integer NOT NULL CHECK (on_hand >= 0),
        reserved      integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
        safety_stock  integer NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (location_id, sku)
      );
      -- candidates for an order's SKUs, availability per SKU
      CREATE INDEX inventory_positions_sku_idx ON inventory_positions (sku) INCLUDE (location_id, on_hand, reserved, safety_stock);

      CREATE TABLE sourcing_rules (
        id                            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name                          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        enabled                       boolean NOT NULL DEFAULT true,
        priority                      integer NOT NULL DEFAULT 0,
        version                       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        is_default                    boolean NOT NULL DEFAULT false,
        match                         jsonb NOT NULL DEFAULT '{}',
        candidates                    jsonb NOT NULL DEFAULT '{}',
        cost                          jsonb NOT NULL,
        constraints                   jsonb NOT NULL DEFAULT '{}',
        fallback                      text NOT NULL DEFAULT 'BACKORDER' CHECK (fallback IN ('BACKORDER','PARTIAL','REJECT')),
        acceptance_deadline_minutes   integer CHECK (acceptance_deadline_minutes > 0),
        remorse_hold_minutes          integer CHECK (remorse_hold_minutes > 0),
        created_at                    timestamptz NOT NULL DEFAULT now(),
        updated_at                    timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX sourcing_rules_one_default ON sourcing_rules (is_default) WHERE is_default;

      CREATE SEQUENCE order_number_seq START 100001;

      CREATE TABLE orders (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number              text NOT NULL UNIQUE,
        customer_id         text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 64),
        channel             text NOT NULL CHECK (channel ~ '^[a-z0-9_-]{1,32}$'),
        status              text NOT NULL CHECK (status IN ('PLACED','ON_HOLD','ALLOCATED','BACKORDERED','IN_FULFILLMENT',
                              'PARTIALLY_FULFILLED','FULFILLED','COMPLETED','CANCELLED','RETURNED')),
        method              text NOT NULL CHECK (method IN ('SHIP','PICKUP','SAME_DAY')),
        shipping_address    jsonb,
        pickup_location_id  uuid REFERENCES locations(id),
        currency_code       char(3) NOT NULL,
        ship_complete       boolean NOT NULL DEFAULT false,
        version             integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        last_sequence       integer NOT NULL DEFAULT 0 CHECK (last_sequence >= 0),
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        CHECK ((method = 'PICKUP') = (pickup_location_id IS NOT NULL)),
        CHECK (method = 'PICKUP' OR shipping_address IS NOT NULL)
      );
      -- keyset pagination: newest first, optionally per customer or status
      CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
      CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at DESC, id DESC);
      CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);

      CREATE TABLE order_lines (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id            uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        line_no             integer NOT NULL CHECK (line_no >= 0),
        sku                 text NOT NULL CHECK (sku ~ '^[A-Za-z0-9._-]{1,64}$'),
        quantity            integer NOT NULL CHECK (quantity > 0 AND quantity <= 10000),
        cancelled_quantity  integer NOT NULL DEFAULT 0 CHECK (cancelled_quantity >= 0),
        returned_quantity   integer NOT NULL DEFAULT 0 CHECK (returned_quantity >= 0),
        unit_price          numeric(14,4) NOT NULL CHECK (unit_price >= 0),
        CHECK (cancelled_quantity + returned_quantity <= quantity),
        UNIQUE (order_id, line_no),
        UNIQUE (order_id, sku)
      );

      CREATE TABLE order_holds (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        type         text NOT NULL CHECK (type IN ('FRAUD','PAYMENT','CUSTOMER_SERVICE','ADDRESS')),
        reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
        created_at   timestamptz NOT NULL DEFAULT now(),
        released_at  timestamptz,
        CHECK (released_at IS NULL OR released_at >= created_at)
      );
      CREATE INDEX order_holds_order_idx ON order_holds (order_id, created_at);

      CREATE TABLE fulfillment_plans (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id           uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        version            integer NOT NULL CHECK (version >= 1),
        active             boolean NOT NULL DEFAULT true,
        rule_id            uuid REFERENCES sourcing_rules(id),
        rule_version       integer,
        shipment_count     integer NOT NULL CHECK (shipment_count >= 0),
        estimated_cost     numeric(14,4) NOT NULL,
        total_distance_km  double precision NOT NULL CHECK (total_distance_km >= 0),
        explanation        jsonb NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now(),
        UNIQUE (order_id, version)
      );
      CREATE UNIQUE INDEX fulfillment_plans_one_active ON fulfillment_plans (order_id) WHERE active;

      CREATE TABLE fulfillment_groups (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        plan_id         uuid NOT NULL REFERENCES fulfillment_plans(id) ON DELETE CASCADE,
        order_id        uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        location_id     uuid NOT NULL REFERENCES locations(id),
        method          text NOT NULL CHECK (method IN ('SHIP','PICKUP','SAME_DAY')),
        status          text NOT NULL CHECK (status IN ('PENDING','ACCEPTED','PICKING','PACKED','SHIPPED','READY_FOR_PICKUP',
                          'DELIVERED','PICKED_UP','REJECTED','CANCELLED')),
        tracking        jsonb,
        estimated_cost  numeric(14,4) NOT NULL,
        distance_km     double precision NOT NULL CHECK (distance_km >= 0),
        promised_by     timestamptz,
        version         integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX fulfillment_groups_plan_idx ON fulfillment_groups (plan_id);
      CREATE INDEX fulfillment_groups_order_idx ON fulfillment_groups (order_id);
      -- a location's queue, its daily capacity, and orders filtered by location
      CREATE INDEX fulfillment_groups_location_idx ON fulfillment_groups (location_id, created_at);

      CREATE TABLE fulfillment_group_lines (
        group_id       uuid NOT NULL REFERENCES fulfillment_groups(id) ON DELETE CASCADE,
        order_line_id  uuid NOT NULL REFERENCES order_lines(id) ON DELETE CASCADE,
        sku            text NOT NULL,
        quantity       integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (group_id, order_line_id)
      );
      CREATE INDEX fulfillment_group_lines_line_idx ON fulfillment_group_lines (order_line_id);

      CREATE TABLE plan_unallocated (
        plan_id        uuid NOT NULL REFERENCES fulfillment_plans(id) ON DELETE CASCADE,
        order_line_id  uuid NOT NULL REFERENCES order_lines(id) ON DELETE CASCADE,
        sku            text NOT NULL,
        quantity       integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (plan_id, order_line_id)
      );

      CREATE TABLE order_events (
        id                     bigserial PRIMARY KEY,
        order_id               uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        sequence               integer NOT NULL CHECK (sequence >= 1),
        type                   text NOT NULL,
        status                 text NOT NULL,
        fulfillment_group_id   uuid REFERENCES fulfillment_groups(id) ON DELETE SET NULL,
        location_id            uuid REFERENCES locations(id),
        data                   jsonb NOT NULL DEFAULT '{}',
        at                     timestamptz NOT NULL DEFAULT now(),
        UNIQUE (order_id, sequence)
      );
      CREATE INDEX order_events_location_idx ON order_events (location_id, id) WHERE location_id IS NOT NULL;

      CREATE TABLE inventory_movements (
        id             bigserial PRIMARY KEY,
        location_id    uuid NOT NULL,
        sku            text NOT NULL,
        kind           text NOT NULL CHECK (kind IN ('RECEIPT','ADJUSTMENT','SYNC','RESERVATION','RELEASE','SHIPMENT','RETURN')),
        on_hand_delta  integer NOT NULL DEFAULT 0,
        reserved_delta integer NOT NULL DEFAULT 0,
        order_id       uuid REFERENCES orders(id) ON DELETE SET NULL,
        group_id       uuid REFERENCES fulfillment_groups(id) ON DELETE SET NULL,
        reason         text,
        actor          text,
        created_at     timestamptz NOT NULL DEFAULT now(),
        CHECK (on_hand_delta <> 0 OR reserved_delta <> 0),
        FOREIGN KEY (location_id, sku) REFERENCES inventory_positions(location_id, sku)
      );
      CREATE INDEX inventory_movements_position_idx ON inventory_movements (location_id, sku, id);
      CREATE INDEX inventory_movements_order_idx ON inventory_movements (order_id) WHERE order_id IS NOT NULL;

      CREATE TABLE idempotency_keys (
        principal     text NOT NULL,
        operation     text NOT NULL,
        key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
        request_hash  text NOT NULL,
        result_id     uuid,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (principal, operation, key)
      );
      CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
    `);

    // The default rule: always present, priority 0, matches every order.
    await q.query(`
      INSERT INTO sourcing_rules (name, enabled, priority, is_default, match, candidates, cost, constraints, fallback)
      VALUES ('Default', true, 0, true, '{}', '{}',
              '{"perShipment": 5, "perUnit": 0.25, "perUnitKm": 0.002, "perShipmentKm": 0.01, "priorityWeight": 0.5}',
              '{"respectCapacity": true, "useSafetyStock": false}', 'BACKORDER')
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE idempotency_keys, inventory_movements, order_events, plan_unallocated, fulfillment_group_lines,
        fulfillment_groups, fulfillment_plans, order_holds, order_lines, orders, sourcing_rules,
        inventory_positions, locations;
      DROP SEQUENCE order_number_seq;
    `);
  }
}
