import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sourcing rules edited as data: every version kept (a plan names the version that made it),
 * and deletion that hides a rule without breaking the plans that reference it.
 */
export class RuleVersions1764400000000 implements MigrationInterface {
  name = 'RuleVersions1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE sourcing_rules ADD COLUMN deleted_at timestamptz;
      ALTER TABLE sourcing_rules ADD CONSTRAINT sourcing_rules_default_kept CHECK (NOT (is_default AND deleted_at IS NOT NULL));
      CREATE TABLE sourcing_rule_versions (
        rule_id     uuid NOT NULL REFERENCES sourcing_rules(id),
        version     integer NOT NULL,
        snapshot    jsonb NOT NULL,
        actor       text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (rule_id, version)
      );
      INSERT INTO sourcing_rule_versions (rule_id, version, snapshot, actor)
      SELECT id, version,
             jsonb_build_object('id', id, 'name', name, 'enabled', enabled, 'priority', priority, 'version', version, 'isDefault', is_default,
                                'match', match, 'candidates', candidates, 'cost', cost, 'constraints', constraints, 'fallback', fallback,
                                'acceptanceDeadlineMinutes', acceptance_deadline_minutes, 'remorseHoldMinutes', remorse_hold_minutes),
             'migration'
        FROM sourcing_rules;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE sourcing_rule_versions;
      ALTER TABLE sourcing_rules DROP CONSTRAINT sourcing_rules_default_kept;
      ALTER TABLE sourcing_rules DROP COLUMN deleted_at;
    `);
  }
}
