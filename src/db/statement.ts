/**
 * One statement assembled from parts: data-modifying CTEs that services contribute, and a
 * final SELECT. Each part adds its parameters and gets their placeholders, so parts written
 * apart number them without knowing each other. Placement writes the order, its plan, the
 * plan's ledger rows and the order's events this way, in one round trip.
 *
 * Every CTE of a statement sees the same snapshot: a part must not read rows another part of
 * the same statement writes (take them from that part's input instead). Foreign keys are
 * checked at the end of the statement, so a part may insert rows that reference another's.
 */
export class Statement {
  readonly params: unknown[] = [];
  private readonly ctes: string[] = [];

  /** Adds a parameter; returns its placeholder, with `::cast` when given. */
  p(value: unknown, cast?: string): string {
    this.params.push(value);
    return cast ? `$${this.params.length}::${cast}` : `$${this.params.length}`;
  }

  /** Adds a CTE; names must be unique within the statement. */
  with(name: string, body: string): void {
    this.ctes.push(`${name} AS (${body})`);
  }

  /** The statement's text, ending with `final`. */
  text(final: string): string {
    return this.ctes.length ? `WITH ${this.ctes.join(',\n')}\n${final}` : final;
  }
}
