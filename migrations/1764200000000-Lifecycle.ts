import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order lifecycle: who did what in the timeline, remorse holds that release themselves,
 * acceptance deadlines, and plan versions that share the groups they keep (plan_groups), so
 * that re-sourcing makes a new plan without rewriting the old one.
 */
export class Lifecycle1764200000000 implements MigrationInterface {
  name = 'Lifecycle1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE order_events ADD COLUMN actor text, ADD COLUMN previous_status text;

      ALTER TABLE order_holds DROP CONSTRAINT order_holds_type_check;
      ALTER TABLE order_holds ADD CONSTRAINT order_holds_type_check CHECK (type IN ('FRAUD','PAYMENT','CUSTOMER_SERVICE','ADDRESS','REMORSE'));
      ALTER TABLE order_holds ADD COLUMN release_at timestamptz, ADD COLUMN released_by text;
      CREATE INDEX order_holds_due_idx ON order_holds (release_at) WHERE released_at IS NULL AND release_at IS NOT NULL;

      ALTER TABLE fulfillment_groups ADD COLUMN accept_by timestamptz;
      CREATE INDEX fulfillment_groups_accept_by_idx ON fulfillment_groups (accept_by) WHERE status = 'PENDING' AND accept_by IS NOT NULL;

      CREATE TABLE plan_groups (
        plan_id   uuid NOT NULL REFERENCES fulfillment_plans(id) ON DELETE CASCADE,
        group_id  uuid NOT NULL REFERENCES fulfillment_groups(id) ON DELETE CASCADE,
        PRIMARY KEY (plan_id, group_id)
      );
      CREATE INDEX plan_groups_group_idx ON plan_groups (group_id);
      INSERT INTO plan_groups (plan_id, group_id) SELECT plan_id, id FROM fulfillment_groups;

      -- backorders waiting for stock, oldest first
      CREATE INDEX plan_unallocated_sku_idx ON plan_unallocated (sku);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX plan_unallocated_sku_idx;
      DROP TABLE plan_groups;
      DROP INDEX fulfillment_groups_accept_by_idx;
      ALTER TABLE fulfillment_groups DROP COLUMN accept_by;
      DROP INDEX order_holds_due_idx;
      ALTER TABLE order_holds DROP COLUMN release_at, DROP COLUMN released_by;
      ALTER TABLE order_holds DROP CONSTRAINT order_holds_type_check;
      ALTER TABLE order_holds ADD CONSTRAINT order_holds_type_check CHECK (type IN ('FRAUD','PAYMENT','CUSTOMER_SERVICE','ADDRESS'));
      ALTER TABLE order_events DROP COLUMN actor, DROP COLUMN previous_status;
    `);
  }
}
