/**
 * Sourcing rules as data: the record shape, parsing of the stored JSON, and the choice of
 * the rule that applies to an order (highest priority among the enabled rules whose match
 * fits; the default rule matches everything).
 */
import type { FulfillmentMethodValue as FulfillmentMethod, LocationTypeValue as LocationType } from '../common/types';

export type SourcingFallback = 'BACKORDER' | 'PARTIAL' | 'REJECT';

/**
 * A distance band of the optional zone table: a group whose location lies within `upToKm`
 * (null: any distance) of the destination, and beyond the previous band, pays these on top.
 */
export interface CostZoneData {
  upToKm: number | null;
  perShipment: number;
  perUnit: number;
}

export interface RuleCostData {
  perShipment: number;
  perUnit: number;
  perUnitKm: number;
  perShipmentKm: number;
  priorityWeight: number;
  /** Ascending by upToKm; empty: no zones. Beyond the last band (when it has a limit) nothing is in reach. */
  zones: CostZoneData[];
}

export interface RuleRecord {
  id: string;
  name: string;
  enabled: boolean;
  priority: number;
  version: number;
  isDefault: boolean;
  match: { channels: string[]; methods: FulfillmentMethod[]; countryCodes: string[] };
  candidates: { locationTypes: LocationType[]; maxDistanceKm: number | null; excludeLocationIds: string[] };
  cost: RuleCostData;
  constraints: { maxShipments: number | null; shipComplete: boolean; respectCapacity: boolean; useSafetyStock: boolean };
  fallback: SourcingFallback;
  acceptanceDeadlineMinutes: number | null;
  remorseHoldMinutes: number | null;
}

export const RULE_COLUMNS =
  'id, name, enabled, priority, version, is_default, match, candidates, cost, constraints, fallback, acceptance_deadline_minutes, remorse_hold_minutes';

/** The rules in force with their rank (priority, highest first; then the oldest): ORDER BY rule_rank. */
export const RULES_IN_ORDER =
  `SELECT ${RULE_COLUMNS}, row_number() OVER (ORDER BY priority DESC, created_at) AS rule_rank FROM sourcing_rules WHERE deleted_at IS NULL`;

export interface RuleRow {
  id: string; name: string; enabled: boolean; priority: number; version: number; is_default: boolean;
  match: Record<string, unknown>; candidates: Record<string, unknown>; cost: Record<string, unknown>;
  constraints: Record<string, unknown>; fallback: string; acceptance_deadline_minutes: number | null; remorse_hold_minutes: number | null;
}

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function toRule(r: RuleRow): RuleRecord {
  return {
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    priority: r.priority,
    version: r.version,
    isDefault: r.is_default,
    match: { channels: arr(r.match.channels), methods: arr(r.match.methods), countryCodes: arr(r.match.countryCodes) },
    candidates: {
      locationTypes: arr(r.candidates.locationTypes),
      maxDistanceKm: numOrNull(r.candidates.maxDistanceKm),
      excludeLocationIds: arr(r.candidates.excludeLocationIds),
    },
    cost: {
      perShipment: num(r.cost.perShipment, 0),
      perUnit: num(r.cost.perUnit, 0),
      perUnitKm: num(r.cost.perUnitKm, 0),
      perShipmentKm: num(r.cost.perShipmentKm, 0),
      priorityWeight: num(r.cost.priorityWeight, 0),
      zones: arr<Record<string, unknown>>(r.cost.zones).map((z) => ({ upToKm: numOrNull(z.upToKm), perShipment: num(z.perShipment, 0), perUnit: num(z.perUnit, 0) })),
    },
    constraints: {
      maxShipments: numOrNull(r.constraints.maxShipments),
      shipComplete: r.constraints.shipComplete === true,
      respectCapacity: r.constraints.respectCapacity !== false,
      useSafetyStock: r.constraints.useSafetyStock === true,
    },
    fallback: r.fallback as SourcingFallback,
    acceptanceDeadlineMinutes: r.acceptance_deadline_minutes,
    remorseHoldMinutes: r.remorse_hold_minutes,
  };
}

export interface RuleMatchInput {
  channel: string;
  method: FulfillmentMethod;
  countryCode: string | null;
}

export function ruleMatches(rule: RuleRecord, o: RuleMatchInput): boolean {
  const { channels, methods, countryCodes } = rule.match;
  return (
    rule.enabled &&
    (channels.length === 0 || channels.includes(o.channel)) &&
    (methods.length === 0 || methods.includes(o.method)) &&
    (countryCodes.length === 0 || (o.countryCode !== null && countryCodes.includes(o.countryCode)))
  );
}

/** The applicable rule: highest priority among the matching enabled rules, ties to the oldest id order given. */
export function selectRule(rules: RuleRecord[], o: RuleMatchInput): RuleRecord | undefined {
  let best: RuleRecord | undefined;
  for (const r of rules) {
    if (ruleMatches(r, o) && (!best || r.priority > best.priority)) best = r;
  }
  return best ?? rules.find((r) => r.isDefault);
}

/** The zone-table band for a distance: undefined when the rule has no zones, null when the distance is beyond them. */
export function zoneFor(cost: RuleCostData, km: number): CostZoneData | null | undefined {
  if (cost.zones.length === 0) return undefined;
  for (const z of cost.zones) if (z.upToKm === null || km <= z.upToKm) return z;
  return null;
}
