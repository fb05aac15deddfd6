import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each location's position as a unit vector on the sphere (x, y, z), computed by PostgreSQL
 * whenever lat or lng is written. The planner measures hundreds of candidates per order;
 * from stored vectors a great-circle distance is a chord (three differences, a square root
 * and an arcsine) instead of the haversine's three trigonometric calls per candidate.
 */
export class LocationUnitVectors1764600000000 implements MigrationInterface {
  name = 'LocationUnitVectors1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE locations
        ADD COLUMN geo_x double precision GENERATED ALWAYS AS (cos(radians(lat)) * cos(radians(lng))) STORED,
        ADD COLUMN geo_y double precision GENERATED ALWAYS AS (cos(radians(lat)) * sin(radians(lng))) STORED,
        ADD COLUMN geo_z double precision GENERATED ALWAYS AS (sin(radians(lat))) STORED
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE locations DROP COLUMN geo_x, DROP COLUMN geo_y, DROP COLUMN geo_z');
  }
}
