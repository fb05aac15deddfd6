import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A location's stream of order events (fulfillmentUpdates): every order event that names the
 * location, or, for an order-level event, every location with a group of that order that
 * was not rejected, numbered 1, 2, 3, ... per location. The counter row is updated in the
 * event's own transaction and stays locked until it commits, so a location's sequences
 * commit in order and have no gaps. Existing events are numbered in id order.
 */
export class LocationEvents1764500000000 implements MigrationInterface {
  name = 'LocationEvents1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE location_events (
        location_id  uuid NOT NULL REFERENCES locations(id),
        sequence     integer NOT NULL CHECK (sequence >= 1),
        event_id     bigint NOT NULL REFERENCES order_events(id) ON DELETE CASCADE,
        PRIMARY KEY (location_id, sequence)
      );
      CREATE INDEX location_events_event_idx ON location_events (event_id);
      CREATE TABLE location_event_counters (
        location_id    uuid PRIMARY KEY REFERENCES locations(id),
        last_sequence  integer NOT NULL CHECK (last_sequence >= 0)
      );
      INSERT INTO location_events (location_id, sequence, event_id)
      SELECT location_id, row_number() OVER (PARTITION BY location_id ORDER BY event_id), event_id
        FROM (
          SELECT DISTINCT COALESCE(e.location_id, g.location_id) AS location_id, e.id AS event_id
            FROM order_events e
            LEFT JOIN fulfillment_groups g ON e.location_id IS NULL AND g.order_id = e.order_id AND g.status <> 'REJECTED'
           WHERE COALESCE(e.location_id, g.location_id) IS NOT NULL
        ) t;
      INSERT INTO location_event_counters (location_id, last_sequence)
      SELECT location_id, max(sequence) FROM location_events GROUP BY location_id;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE location_event_counters, location_events');
  }
}
