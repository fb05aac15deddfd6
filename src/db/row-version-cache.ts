/**
 * Values made from rows, kept in process, each as of a version of its row (PostgreSQL's
 * `xmin`, which every UPDATE changes). A hot statement returns each row's id and version
 * instead of its columns; only rows whose version moved (changed by this process, another
 * one, or by hand in SQL) are read again, in one statement.
 */
/** Locations kept by one cache at most (it is emptied when full). */
export const MAX_CACHED_LOCATIONS = 100_000;

export class RowVersionCache<T> {
  private readonly byId = new Map<string, { v: string; value: T }>();

  /** `max`: past this many rows the cache is emptied before a call reads it (never under it). */
  constructor(private readonly max: number) {}

  /**
   * The value of each id as of its version: from the cache when it holds that version, else
   * read by `read` (given the ids missing or moved, once each). A row read after the caller's
   * statement may be newer still: then it is the one kept and used.
   */
  async of(refs: readonly { id: string; v: string }[], read: (ids: string[]) => Promise<{ id: string; v: string; value: T }[]>): Promise<T[]> {
    if (this.byId.size >= this.max) this.byId.clear();
    const stale = new Set<string>();
    for (const r of refs) if (this.byId.get(r.id)?.v !== r.v) stale.add(r.id);
    if (stale.size > 0) for (const row of await read([...stale])) this.byId.set(row.id, { v: row.v, value: row.value });
    return refs.map((r) => {
      const kept = this.byId.get(r.id);
      // the rows cached here are never deleted (orders and positions refer to locations)
      if (!kept) throw new Error(`row ${r.id} is gone`);
      return kept.value;
    });
  }
}
