/** Plain records of the inventory module, and the row mappers that make them. */
import type { FulfillmentMethodValue as FulfillmentMethod, LocationTypeValue as LocationType } from '../common/types';

export interface LocationRecord {
  id: string;
  code: string;
  name: string;
  type: LocationType;
  geo: { lat: number; lng: number };
  methods: FulfillmentMethod[];
  dailyCapacity: number | null;
  priority: number;
  active: boolean;
}

export interface PositionRecord {
  locationId: string;
  sku: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
  available: number;
  updatedAt: Date;
}

export const LOCATION_COLUMNS = 'id, code, name, type, lat, lng, methods, daily_capacity, priority, active';
export const POSITION_COLUMNS = 'location_id, sku, on_hand, reserved, safety_stock, updated_at';

export interface LocationRow {
  id: string; code: string; name: string; type: string; lat: number; lng: number; methods: string[];
  daily_capacity: number | null; priority: number; active: boolean;
}
export interface PositionRow {
  location_id: string; sku: string; on_hand: number; reserved: number; safety_stock: number; updated_at: Date;
}

export function toLocation(r: LocationRow): LocationRecord {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    type: r.type as LocationType,
    geo: { lat: r.lat, lng: r.lng },
    methods: r.methods as FulfillmentMethod[],
    dailyCapacity: r.daily_capacity,
    priority: r.priority,
    active: r.active,
  };
}

export function availableOf(onHand: number, reserved: number, safetyStock: number): number {
  return Math.max(0, onHand - reserved - safetyStock);
}

export function toPosition(r: PositionRow): PositionRecord {
  return {
    locationId: r.location_id,
    sku: r.sku,
    onHand: r.on_hand,
    reserved: r.reserved,
    safetyStock: r.safety_stock,
    available: availableOf(r.on_hand, r.reserved, r.safety_stock),
    updatedAt: r.updated_at,
  };
}
