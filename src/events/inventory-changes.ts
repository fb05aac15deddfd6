/**
 * `inventoryChanged(skus, locationIds)`: the positions that change, coalesced per position:
 * at most one event per position every 250 ms, carrying its value when the event leaves
 * (so a burst of changes arrives as its latest state). Positions are read from the table at
 * that moment, never taken from the notification, so nothing committed is missed: after the
 * listener reconnects, every position the subscription covers is sent again.
 */
import type { Context } from '../context';
import { badInput } from '../common/errors';
import { checkSku, isUuid } from '../common/validate';
import { requirePrincipal } from '../auth/principal';
import { POSITION_COLUMNS, toPosition, type PositionRecord, type PositionRow } from '../inventory/records';
import type { PositionsChanged } from './hub';
import { closable, Signal } from './stream';

/** At most one event per position in this many milliseconds. */
export const COALESCE_MS = 250;
/** Filter sizes. */
const MAX_FILTER = 100;
/** Positions read per page when everything covered is sent again. */
const RESEND_PAGE = 5_000;

export async function inventoryChanges(
  ctx: Context,
  skus: string[] | null | undefined,
  locationIds: string[] | null | undefined,
): Promise<AsyncGenerator<PositionRecord>> {
  const hub = ctx.hub;
  if (!hub) throw new Error('subscriptions are served over WebSocket only');
  requirePrincipal(ctx.principal); // any role reads inventory
  const skuSet = skus?.length ? new Set(skus) : null;
  const locSet = locationIds?.length ? new Set(locationIds.map((l) => l.toLowerCase())) : null;
  if (!skuSet && !locSet) throw badInput('give skus, locationIds or both', 'skus');
  if ((skus?.length ?? 0) > MAX_FILTER || (locationIds?.length ?? 0) > MAX_FILTER) throw badInput(`at most ${MAX_FILTER} skus and ${MAX_FILTER} locationIds`, 'skus');
  for (const sku of skus ?? []) if (checkSku(sku, ['skus']).length) throw badInput(`not a SKU: ${JSON.stringify(sku)}`, 'skus');
  for (const id of locationIds ?? []) if (!isUuid(id)) throw badInput('locationIds must be location ids', 'locationIds');
  const signal = new Signal();
  return closable(coalesced(ctx, skuSet, locSet, (cb) => hub.watchInventory(cb), signal), signal);
}

async function* coalesced(
  ctx: Context,
  skus: Set<string> | null,
  locations: Set<string> | null,
  watch: (cb: (changed: PositionsChanged) => void) => () => void,
  signal: Signal,
): AsyncGenerator<PositionRecord> {
  const pending = new Set<string>(); // "locationId|sku"
  const lastSent = new Map<string, number>();
  // sent in order of first change; a newer value of a position still waiting replaces it
  const ready = new Map<string, PositionRecord>();
  let resendAll = false;
  let timer: NodeJS.Timeout | null = null;
  let flushing = false;
  let failure: unknown = null;
  const notify = () => signal.poke();
  const covers = (l: string, s: string) => (!skus || skus.has(s)) && (!locations || locations.has(l));

  const schedule = () => {
    if (signal.closed || timer || flushing || (pending.size === 0 && !resendAll)) return;
    const now = Date.now();
    let at = Infinity;
    for (const key of pending) at = Math.min(at, (lastSent.get(key) ?? 0) + COALESCE_MS);
    timer = setTimeout(flush, resendAll ? 0 : Math.max(0, at - now));
  };

  const flush = async () => {
    timer = null;
    flushing = true;
    try {
      if (resendAll) {
        resendAll = false;
        // every covered position, in pages (keyset on location and SKU)
        let afterLoc = '00000000-0000-0000-0000-000000000000';
        let afterSku = '';
        for (;;) {
          const rows = await ctx.db.query<{ location_id: string; sku: string }>(
            `SELECT location_id, sku FROM inventory_positions
              WHERE ($1::text[] IS NULL OR sku = ANY($1)) AND ($2::uuid[] IS NULL OR location_id = ANY($2))
                AND (location_id, sku COLLATE "C") > ($3::uuid, $4::text COLLATE "C")
              ORDER BY location_id, sku COLLATE "C" LIMIT ${RESEND_PAGE}`,
            [skus ? [...skus] : null, locations ? [...locations] : null, afterLoc, afterSku],
            'inventory_resend_v2',
          );
          for (const r of rows) pending.add(`${r.location_id}|${r.sku}`);
          if (rows.length < RESEND_PAGE || signal.closed) break;
          afterLoc = rows[rows.length - 1].location_id;
          afterSku = rows[rows.length - 1].sku;
        }
      }
      const now = Date.now();
      const due = [...pending].filter((key) => (lastSent.get(key) ?? 0) + COALESCE_MS <= now);
      if (due.length) {
        for (const key of due) pending.delete(key);
        const pairs = due.map((k) => k.split('|'));
        const rows = await ctx.db.query<PositionRow>(
          `SELECT ${POSITION_COLUMNS} FROM inventory_positions p
             JOIN unnest($1::uuid[], $2::text[]) AS v(l, s) ON p.location_id = v.l AND p.sku = v.s`,
          [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
          'inventory_changed_read',
        );
        const sentAt = Date.now();
        for (const r of rows) {
          const key = `${r.location_id}|${r.sku}`;
          lastSent.set(key, sentAt);
          ready.set(key, toPosition(r));
        }
        notify();
      }
    } catch (err) {
      failure = err;
      notify();
    } finally {
      flushing = false;
      schedule();
    }
  };

  const unwatch = watch((changed) => {
    if (changed === 'all') resendAll = true;
    else for (const [l, s] of changed) if (covers(l, s)) pending.add(`${l}|${s}`);
    schedule();
  });
  try {
    for (;;) {
      if (failure) throw failure;
      const first = ready.entries().next();
      if (!first.done) {
        ready.delete(first.value[0]);
        yield first.value[1];
        continue;
      }
      await signal.wait();
      if (signal.closed) return;
    }
  } finally {
    unwatch();
    if (timer) clearTimeout(timer);
  }
}
