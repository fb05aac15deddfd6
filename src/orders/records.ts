/** Plain records of orders, lines, holds and events, and their row mappers. */
import type { FulfillmentMethodValue as FulfillmentMethod } from '../common/types';
import type { OrderStatusValue } from './status';

export interface AddressData {
  name?: string | null;
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postalCode: string;
  countryCode: string;
  geo?: { lat: number; lng: number } | null;
}

export interface OrderRecord {
  id: string;
  number: string;
  customerId: string;
  channel: string;
  status: OrderStatusValue;
  method: FulfillmentMethod;
  shippingAddress: AddressData | null;
  pickupLocationId: string | null;
  currencyCode: string;
  shipComplete: boolean;
  version: number;
  lastSequence: number;
  createdAt: Date;
  updatedAt: Date;
}

export const ORDER_COLUMNS =
  'id, number, customer_id, channel, status, method, shipping_address, pickup_location_id, currency_code, ship_complete, version, last_sequence, created_at, updated_at';

export interface OrderRow {
  id: string; number: string; customer_id: string; channel: string; status: string; method: string;
  shipping_address: AddressData | null; pickup_location_id: string | null; currency_code: string; ship_complete: boolean;
  version: number; last_sequence: number; created_at: Date; updated_at: Date;
}

export function toOrder(r: OrderRow): OrderRecord {
  return {
    id: r.id,
    number: r.number,
    customerId: r.customer_id,
    channel: r.channel,
    status: r.status as OrderStatusValue,
    method: r.method as FulfillmentMethod,
    shippingAddress: r.shipping_address,
    pickupLocationId: r.pickup_location_id,
    currencyCode: r.currency_code,
    shipComplete: r.ship_complete,
    version: r.version,
    lastSequence: r.last_sequence,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The columns of a summary listing (orders/listing-columns.ts), FROM orders o. */
export const ORDER_SUMMARY_COLUMNS = 'id, number, customer_id, status, currency_code, created_at';

export type OrderSummaryRow = Pick<OrderRow, 'id' | 'number' | 'customer_id' | 'status' | 'currency_code' | 'created_at'>;

/**
 * An order as a summary listing reads it: the summary's columns only; the others are
 * undefined (declared, never assigned). Not getters that throw: graphql-jit reads plain
 * fields inline, outside its error handling, and an exception there escapes the request.
 */
export class OrderSummary implements OrderRecord {
  readonly id: string;
  readonly number: string;
  readonly customerId: string;
  readonly status: OrderStatusValue;
  readonly currencyCode: string;
  readonly createdAt: Date;
  declare readonly channel: string;
  declare readonly method: FulfillmentMethod;
  declare readonly shippingAddress: AddressData | null;
  declare readonly pickupLocationId: string | null;
  declare readonly shipComplete: boolean;
  declare readonly version: number;
  declare readonly lastSequence: number;
  declare readonly updatedAt: Date;
  constructor(r: OrderSummaryRow) {
    this.id = r.id;
    this.number = r.number;
    this.customerId = r.customer_id;
    this.status = r.status as OrderStatusValue;
    this.currencyCode = r.currency_code;
    this.createdAt = r.created_at;
  }
}

export interface OrderLineRecord {
  id: string;
  orderId: string;
  lineNo: number;
  sku: string;
  quantity: number;
  cancelledQuantity: number;
  returnedQuantity: number;
  /** Decimal string with 4 fractional digits, as stored. */
  unitPrice: string;
  currencyCode: string;
}

/**
 * The order's currency beside a row of one of its children (`alias.order_id`), as a scalar
 * subquery rather than a join: PostgreSQL plans it as one primary-key probe per row, whatever
 * plan the statement gets. A join to orders, planned generically for `order_id = ANY($1)`,
 * can become a hash join over every order.
 */
export const currencyOf = (alias: string): string =>
  `(SELECT o.currency_code FROM orders o WHERE o.id = ${alias}.order_id) AS currency_code`;

/**
 * Line columns, FROM order_lines l. The currency is the order's: the loader's key carries it
 * (every caller holds the order), so the statement reads the lines alone, as the floor does.
 */
export const LINE_COLUMNS = 'l.id, l.order_id, l.line_no, l.sku, l.quantity, l.cancelled_quantity, l.returned_quantity, l.unit_price';

export interface LineRow {
  id: string; order_id: string; line_no: number; sku: string; quantity: number; cancelled_quantity: number; returned_quantity: number; unit_price: string;
}

export function toLine(r: LineRow, currencyCode: string): OrderLineRecord {
  return {
    id: r.id, orderId: r.order_id, lineNo: r.line_no, sku: r.sku, quantity: r.quantity,
    cancelledQuantity: r.cancelled_quantity, returnedQuantity: r.returned_quantity, unitPrice: r.unit_price, currencyCode,
  };
}

export interface HoldRecord {
  id: string;
  orderId: string;
  type: string;
  reason: string;
  createdAt: Date;
  releaseAt: Date | null;
  releasedAt: Date | null;
  releasedBy: string | null;
}

export interface OrderEventRecord {
  id: number;
  orderId: string;
  sequence: number;
  type: string;
  status: OrderStatusValue;
  previousStatus: OrderStatusValue | null;
  fulfillmentGroupId: string | null;
  locationId: string | null;
  actor: string | null;
  data: Record<string, unknown>;
  at: Date;
}

export interface EventRow {
  id: number; order_id: string; sequence: number; type: string; status: string; previous_status: string | null;
  fulfillment_group_id: string | null; location_id: string | null; actor: string | null; data: Record<string, unknown>; at: Date;
}

export const EVENT_COLUMNS = 'e.id, e.order_id, e.sequence, e.type, e.status, e.previous_status, e.fulfillment_group_id, e.location_id, e.actor, e.data, e.at';

export function toEvent(r: EventRow): OrderEventRecord {
  return {
    id: r.id, orderId: r.order_id, sequence: r.sequence, type: r.type, status: r.status as OrderStatusValue,
    previousStatus: r.previous_status as OrderStatusValue | null, fulfillmentGroupId: r.fulfillment_group_id, locationId: r.location_id,
    actor: r.actor, data: r.data, at: r.at,
  };
}
