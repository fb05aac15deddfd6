/** The service layer, built once per process around one database. */
import type { Database } from './db/database';
import type { Logger } from './log';
import { InventoryService } from './inventory/inventory.service';
import { SourcingService } from './sourcing/sourcing.service';
import { OrderService } from './orders/order.service';
import { LifecycleService } from './orders/lifecycle.service';
import { FulfillmentService } from './fulfillment/fulfillment.service';
import { ResourcingService } from './fulfillment/resourcing.service';
import { Sweeper } from './fulfillment/sweep';
import { AuditService } from './inventory/audit.service';
import { CartService } from './carts/cart.service';
import { RuleService } from './sourcing/rule.service';
import { SimulationService } from './sourcing/simulation.service';

export function createServices(db: Database, log: Logger) {
  const sourcing = new SourcingService();
  const resourcing = new ResourcingService(db, sourcing, log);
  const carts = new CartService(db, sourcing);
  return {
    inventory: new InventoryService(db, {
      stockArrived: (skus) => resourcing.sourceBackorders(skus),
      shortage: (locationId, sku, onHand, actor) => resourcing.rerouteShortage(locationId, sku, onHand, actor),
    }),
    audit: new AuditService(db),
    sourcing,
    rules: new RuleService(db),
    simulation: new SimulationService(db, sourcing),
    resourcing,
    carts,
    orders: new OrderService(db, sourcing, carts),
    lifecycle: new LifecycleService(db),
    fulfillment: new FulfillmentService(db, resourcing),
    sweeper: new Sweeper(db, resourcing, carts, log),
  };
}

export type Services = ReturnType<typeof createServices>;
