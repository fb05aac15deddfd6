/**
 * The background sweep, run every SWEEP_INTERVAL_MS by each server process: expires cart
 * reservations past their TTL, releases remorse holds that are due, re-sources groups past their acceptance deadline, and retries
 * backorders. Every step claims its rows with FOR UPDATE SKIP LOCKED, so replicas sweeping
 * side by side never handle the same row twice. Tests call runOnce() directly.
 */
import type { Database } from '../db/database';
import type { Logger } from '../log';
import { lockOrder } from '../orders/order-state';
import { releaseHold } from '../orders/lifecycle.service';
import type { ResourcingService } from './resourcing.service';
import type { CartService } from '../carts/cart.service';

export interface SweepResult {
  cartsExpired: number;
  holdsReleased: number;
  groupsExpired: number;
  backordersSourced: number;
}

export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SweepResult> | null = null;

  constructor(
    private readonly db: Database,
    private readonly resourcing: ResourcingService,
    private readonly carts: CartService,
    private readonly log: Logger,
  ) {}

  /** One pass; concurrent calls in one process share the pass in progress. */
  runOnce(): Promise<SweepResult> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<SweepResult> {
    const cartsExpired = await this.carts.expire();
    const holdsReleased = await this.releaseDueHolds();
    const groupsExpired = await this.resourcing.expireUnaccepted();
    const skus = await this.db.query<{ sku: string }>(
      `SELECT DISTINCT u.sku FROM plan_unallocated u JOIN fulfillment_plans p ON p.id = u.plan_id AND p.active
         JOIN inventory_positions ip ON ip.sku = u.sku AND ip.on_hand - ip.reserved - ip.safety_stock > 0 LIMIT 500`,
    );
    const backordersSourced = await this.resourcing.sourceBackorders(skus.map((s) => s.sku));
    const result = { cartsExpired, holdsReleased, groupsExpired, backordersSourced };
    if (cartsExpired + holdsReleased + groupsExpired + backordersSourced > 0) this.log.info('sweep', { ...result });
    return result;
  }

  private async releaseDueHolds(limit = 200): Promise<number> {
    let released = 0;
    for (let round = 0; round < limit; round++) {
      const n = await this.db.transaction(async (tx) => {
        const [claim] = await tx.query<{ id: string }>(
          `SELECT o.id FROM orders o
            WHERE o.id IN (SELECT order_id FROM order_holds WHERE released_at IS NULL AND release_at <= now() ORDER BY release_at LIMIT 50)
            LIMIT 1 FOR UPDATE SKIP LOCKED`,
        );
        if (!claim) return null;
        let order = (await lockOrder(tx, claim.id))!;
        const due = await tx.query<{ id: string; type: string }>(
          'SELECT id, type FROM order_holds WHERE order_id = $1 AND released_at IS NULL AND release_at <= now() ORDER BY id FOR UPDATE',
          [order.id],
        );
        for (const h of due) order = await releaseHold(tx, order, h.id, h.type, 'system:sweep');
        return due.length;
      });
      if (n === null) break;
      released += n;
    }
    return released;
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((err) => this.log.error('sweep failed', { error: (err as Error).message }));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
