import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A counter of changes to the locations table, moved in the same transaction by every
 * statement that changes it. Sourcing keeps locations' columns in process as of a version of
 * this row (its `xmin`: the transaction that last moved it, so a rolled-back change, seen
 * only by its own transaction, never matches a committed version) and reads only that
 * version with an order's candidates, instead of joining every candidate to its location's
 * row to read that row's version. Two transactions that each change several locations, in
 * separate statements, wait for each other here; one then fails as a deadlock and runs again.
 */
export class LocationGeneration1764700000000 implements MigrationInterface {
  name = 'LocationGeneration1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE location_generation (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        generation bigint NOT NULL DEFAULT 0
      )
    `);
    await q.query('INSERT INTO location_generation DEFAULT VALUES');
    await q.query(`
      CREATE FUNCTION bump_location_generation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE location_generation SET generation = generation + 1;
        RETURN NULL;
      END $$
    `);
    await q.query(`
      CREATE TRIGGER locations_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON locations
        FOR EACH STATEMENT EXECUTE FUNCTION bump_location_generation()
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER locations_generation ON locations');
    await q.query('DROP FUNCTION bump_location_generation()');
    await q.query('DROP TABLE location_generation');
  }
}
