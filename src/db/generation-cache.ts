/**
 * Values made from rows of one table, kept in process as of a version of the whole table: a
 * counter row that every statement changing the table moves in the same transaction, read
 * by its `xmin` (migration LocationGeneration). A hot statement reads that version with its
 * own rows instead of joining each row it needs to read that row's version; when the version
 * moved, everything kept is dropped, and only the ids a call needs are read again.
 *
 * A value is read after the statement that reported the version, so it is at least as new as
 * that version; values read for one version never land under another (a call keeps the map
 * of its own version, even if a concurrent call moved on meanwhile).
 */
export class GenerationCache<T> {
  private version: string | null = null;
  private byId = new Map<string, T>();

  /** `max`: past this many values everything is dropped before a call reads (never under it). */
  constructor(private readonly max: number) {}

  /** The values kept, as of the version last seen (a statement may pass some of them back). */
  kept(): ReadonlyMap<string, T> {
    return this.byId;
  }

  /** The value of each id as of `version` or newer: kept ones, and the missing ones read once each by `read`. */
  async of(version: string, ids: readonly string[], read: (ids: string[]) => Promise<{ id: string; value: T }[]>): Promise<T[]> {
    if (version !== this.version || this.byId.size >= this.max) {
      this.version = version;
      this.byId = new Map();
    }
    const map = this.byId;
    const missing = [...new Set(ids.filter((id) => !map.has(id)))];
    if (missing.length > 0) for (const r of await read(missing)) map.set(r.id, r.value);
    return ids.map((id) => {
      const value = map.get(id);
      // the rows cached here are never deleted (orders and positions refer to locations)
      if (value === undefined) throw new Error(`row ${id} is gone`);
      return value;
    });
  }
}
