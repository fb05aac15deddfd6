/** The service layer, built once per process around one database. */
import type { Database } from './db/database';
import { InventoryService } from './inventory/inventory.service';
import { SourcingService } from './sourcing/sourcing.service';
import { OrderService } from './orders/order.service';
import { FulfillmentService } from './fulfillment/fulfillment.service';

export function createServices(db: Database) {
  const sourcing = new SourcingService();
  const orders = new OrderService(db, sourcing);
  return {
    inventory: new InventoryService(db),
    sourcing,
    orders,
    fulfillment: new FulfillmentService(db, orders),
  };
}

export type Services = ReturnType<typeof createServices>;
