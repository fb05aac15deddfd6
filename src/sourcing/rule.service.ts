/**
 * Sourcing rules edited as data (ADMIN): validated with field paths, versioned (an edit
 * makes a new version, every version is kept, each plan names the one it used), deleted
 * softly so that the plans they made keep their reference. The default rule always exists,
 * matches every order and stays enabled.
 */
import type { Database } from '../db/database';
import { fail, ok, userError, UserErrorCode, type Result, type UserError, abortWith, withUserErrors } from '../common/errors';
import { isUuid } from '../common/validate';
import type { FulfillmentMethodValue, LocationTypeValue } from '../common/types';
import { RULE_COLUMNS, toRule, type RuleRecord, type RuleRow, type SourcingFallback } from './rules';

export interface RuleInputData {
  id?: string | null;
  name: string;
  enabled?: boolean | null;
  priority: number;
  match?: { channels?: string[] | null; methods?: FulfillmentMethodValue[] | null; countryCodes?: string[] | null } | null;
  candidates?: { locationTypes?: LocationTypeValue[] | null; maxDistanceKm?: number | null; excludeLocationIds?: string[] | null } | null;
  cost: {
    perShipment: number; perUnit: number; perUnitKm: number; perShipmentKm: number; priorityWeight: number;
    zones?: { upToKm?: number | null; perShipment: number; perUnit: number }[] | null;
  };
  constraints?: { maxShipments?: number | null; shipComplete?: boolean | null; respectCapacity?: boolean | null; useSafetyStock?: boolean | null } | null;
  fallback?: SourcingFallback | null;
  acceptanceDeadlineMinutes?: number | null;
  remorseHoldMinutes?: number | null;
  expectedVersion?: number | null;
}

const f = (...p: (string | number)[]) => ['input', ...p];

/**
 * Checks a rule draft; the same checks serve upsert (argument `input`) and simulation
 * (argument `rule`): `argument` heads each error's field path.
 */
export function validateRule(input: RuleInputData, argument = 'input'): UserError[] {
  const e: UserError[] = [];
  const bad = (msg: string, ...path: (string | number)[]) => e.push(userError(UserErrorCode.VALIDATION, msg, [argument, ...path]));
  if (input.id != null && !isUuid(input.id)) bad('id must be a rule id', 'id');
  if (input.name.trim().length < 1 || input.name.length > 200) bad('name must be 1-200 characters', 'name');
  if (!Number.isInteger(input.priority) || input.priority < -1000 || input.priority > 1000) bad('priority must be an integer from -1000 to 1000', 'priority');
  (input.match?.channels ?? []).forEach((c, i) => /^[a-z0-9_-]{1,32}$/.test(c) || bad('a channel is 1-32 characters of a-z 0-9 _ -', 'match', 'channels', i));
  (input.match?.countryCodes ?? []).forEach((c, i) => /^[A-Z]{2}$/.test(c) || bad('a country code is ISO 3166-1 alpha-2, e.g. "US"', 'match', 'countryCodes', i));
  const maxKm = input.candidates?.maxDistanceKm;
  if (maxKm != null && !(Number.isFinite(maxKm) && maxKm > 0 && maxKm <= 20_040)) bad('maxDistanceKm must be above 0 and at most 20040', 'candidates', 'maxDistanceKm');
  (input.candidates?.excludeLocationIds ?? []).forEach((id, i) => isUuid(id) || bad('excludeLocationIds must be location ids', 'candidates', 'excludeLocationIds', i));
  for (const k of ['perShipment', 'perUnit', 'perUnitKm', 'perShipmentKm'] as const) {
    const v = input.cost[k];
    if (!(Number.isFinite(v) && v >= 0 && v <= 1e6)) bad(`${k} must be from 0 to 1000000`, 'cost', k);
  }
  if (!(Number.isFinite(input.cost.priorityWeight) && Math.abs(input.cost.priorityWeight) <= 1e6)) bad('priorityWeight must be within ±1000000', 'cost', 'priorityWeight');
  const zones = input.cost.zones ?? [];
  if (zones.length > 20) bad('a zone table has at most 20 bands', 'cost', 'zones');
  zones.forEach((z, i) => {
    const upTo = z.upToKm ?? null;
    if (upTo === null && i !== zones.length - 1) bad('only the last band may have no upToKm', 'cost', 'zones', i, 'upToKm');
    if (upTo !== null && !(Number.isFinite(upTo) && upTo > 0 && upTo <= 20_040)) bad('upToKm must be above 0 and at most 20040', 'cost', 'zones', i, 'upToKm');
    const prev = i > 0 ? zones[i - 1].upToKm ?? null : null;
    if (upTo !== null && prev !== null && upTo <= prev) bad('bands must ascend: upToKm above the previous band', 'cost', 'zones', i, 'upToKm');
    for (const k of ['perShipment', 'perUnit'] as const) {
      if (!(Number.isFinite(z[k]) && z[k] >= 0 && z[k] <= 1e6)) bad(`${k} must be from 0 to 1000000`, 'cost', 'zones', i, k);
    }
  });
  const ms = input.constraints?.maxShipments;
  if (ms != null && !(Number.isInteger(ms) && ms >= 1 && ms <= 50)) bad('maxShipments must be from 1 to 50 (or null for no limit)', 'constraints', 'maxShipments');
  const dl = input.acceptanceDeadlineMinutes;
  if (dl != null && !(Number.isInteger(dl) && dl >= 1 && dl <= 10_080)) bad('acceptanceDeadlineMinutes must be from 1 to 10080', 'acceptanceDeadlineMinutes');
  const rh = input.remorseHoldMinutes;
  if (rh != null && !(Number.isInteger(rh) && rh >= 1 && rh <= 1_440)) bad('remorseHoldMinutes must be from 1 to 1440', 'remorseHoldMinutes');
  return e;
}

/** The draft as the record the planner reads (id and version as given, or placeholders). */
export function draftRule(input: RuleInputData, id = 'draft', version = 0): RuleRecord {
  return {
    id: input.id ?? id,
    name: input.name,
    enabled: input.enabled ?? true,
    priority: input.priority,
    version,
    isDefault: false,
    match: { channels: input.match?.channels ?? [], methods: input.match?.methods ?? [], countryCodes: input.match?.countryCodes ?? [] },
    candidates: {
      locationTypes: input.candidates?.locationTypes ?? [],
      maxDistanceKm: input.candidates?.maxDistanceKm ?? null,
      excludeLocationIds: (input.candidates?.excludeLocationIds ?? []).map((x) => x.toLowerCase()),
    },
    cost: {
      ...input.cost,
      zones: (input.cost.zones ?? []).map((z) => ({ upToKm: z.upToKm ?? null, perShipment: z.perShipment, perUnit: z.perUnit })),
    },
    constraints: {
      maxShipments: input.constraints?.maxShipments ?? null,
      shipComplete: input.constraints?.shipComplete ?? false,
      respectCapacity: input.constraints?.respectCapacity ?? true,
      useSafetyStock: input.constraints?.useSafetyStock ?? false,
    },
    fallback: input.fallback ?? 'BACKORDER',
    acceptanceDeadlineMinutes: input.acceptanceDeadlineMinutes ?? null,
    remorseHoldMinutes: input.remorseHoldMinutes ?? null,
  };
}

export class RuleService {
  constructor(private readonly db: Database) {}

  async upsert(input: RuleInputData, actor: string): Promise<Result<RuleRecord>> {
    const errors = validateRule(input);
    if (errors.length) return fail(...errors);
    const r = draftRule(input);
    const params = [
      r.name.trim(), r.enabled, r.priority, r.match, r.candidates, r.cost, r.constraints, r.fallback, r.acceptanceDeadlineMinutes, r.remorseHoldMinutes,
    ];
    return withUserErrors(async () =>
      ok(
        await this.db.transaction(async (tx) => {
          let row: RuleRow | undefined;
          if (input.id) {
            const [cur] = await tx.query<RuleRow & { deleted_at: Date | null }>(`SELECT ${RULE_COLUMNS}, deleted_at FROM sourcing_rules WHERE id = $1 FOR UPDATE`, [input.id]);
            if (!cur || cur.deleted_at) throw abortWith(UserErrorCode.NOT_FOUND, `No sourcing rule ${input.id}`, f('id'));
            if (input.expectedVersion != null && input.expectedVersion !== cur.version) {
              throw abortWith(UserErrorCode.VERSION_CONFLICT, `The rule is at version ${cur.version}, not ${input.expectedVersion}`, f('expectedVersion'));
            }
            if (cur.is_default && (!r.enabled || r.priority !== 0 || r.match.channels.length + r.match.methods.length + r.match.countryCodes.length > 0)) {
              throw abortWith(UserErrorCode.VALIDATION, 'The default rule stays enabled, at priority 0, and matches every order', f('match'));
            }
            [row] = await tx.query<RuleRow>(
              `UPDATE sourcing_rules SET name = $2, enabled = $3, priority = $4, match = $5, candidates = $6, cost = $7, constraints = $8,
                      fallback = $9, acceptance_deadline_minutes = $10, remorse_hold_minutes = $11, version = version + 1, updated_at = now()
                WHERE id = $1 RETURNING ${RULE_COLUMNS}`,
              [input.id, ...params],
            );
          } else {
            [row] = await tx.query<RuleRow>(
              `INSERT INTO sourcing_rules (name, enabled, priority, match, candidates, cost, constraints, fallback, acceptance_deadline_minutes, remorse_hold_minutes)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${RULE_COLUMNS}`,
              params,
            );
          }
          const rule = toRule(row);
          await tx.query('INSERT INTO sourcing_rule_versions (rule_id, version, snapshot, actor) VALUES ($1, $2, $3, $4)', [rule.id, rule.version, rule, actor]);
          return rule;
        }),
      ),
    );
  }

  /** Hides a rule from matching; plans it made keep their reference. The default rule stays. */
  async delete(id: string): Promise<Result<RuleRecord>> {
    if (!isUuid(id)) return fail(userError(UserErrorCode.NOT_FOUND, `No sourcing rule ${id}`, ['id']));
    const [row] = await this.db.query<RuleRow & { deleted_at: Date | null }>(`SELECT ${RULE_COLUMNS}, deleted_at FROM sourcing_rules WHERE id = $1`, [id]);
    if (!row || row.deleted_at) return fail(userError(UserErrorCode.NOT_FOUND, `No sourcing rule ${id}`, ['id']));
    if (row.is_default) return fail(userError(UserErrorCode.INVALID_TRANSITION, 'The default rule cannot be deleted; edit it instead', ['id']));
    await this.db.query('UPDATE sourcing_rules SET deleted_at = now(), enabled = false, updated_at = now() WHERE id = $1', [id]);
    return ok(toRule({ ...row, enabled: false }));
  }
}
