/**
 * The one way Durable Object code touches SQLite: parameterised statements only.
 */
export type SqlValue = string | number | null | ArrayBuffer;

/**
 * What the statements of one object read and wrote, as the cursor reports them (the
 * rows Cloudflare bills). Off unless a meter is given to `Sql.meter`: the benchmark's
 * cost rung and the cost test switch it on; the product never does.
 */
export class SqlMeter {
  statements = 0;
  rowsRead = 0;
  rowsWritten = 0;
  /** With `byQuery`, the same counts per statement text (to see where the rows go). */
  readonly byQuery?: Map<string, { statements: number; rowsRead: number; rowsWritten: number }>;

  constructor({ byQuery = false } = {}) {
    if (byQuery) this.byQuery = new Map();
  }

  count(query: string, cursor: { rowsRead: number; rowsWritten: number }): void {
    this.statements++;
    this.rowsRead += cursor.rowsRead;
    this.rowsWritten += cursor.rowsWritten;
    if (!this.byQuery) return;
    const seen = this.byQuery.get(query) ?? { statements: 0, rowsRead: 0, rowsWritten: 0 };
    seen.statements++;
    seen.rowsRead += cursor.rowsRead;
    seen.rowsWritten += cursor.rowsWritten;
    this.byQuery.set(query, seen);
  }
}

export class Sql {
  /** Counts every statement's rows once it has been read to the end; unset (no cost) unless measuring. */
  meter?: SqlMeter;

  constructor(private readonly storage: SqlStorage) {}

  /** Runs a statement; returns how many rows it wrote. */
  run(query: string, ...params: SqlValue[]): number {
    const cursor = this.storage.exec(query, ...params);
    this.meter?.count(query, cursor);
    return cursor.rowsWritten;
  }

  all<Row extends Record<string, SqlValue>>(query: string, ...params: SqlValue[]): Row[] {
    const cursor = this.storage.exec<Row>(query, ...params);
    const rows = cursor.toArray();
    this.meter?.count(query, cursor);
    return rows;
  }

  /** The rows one at a time, read as they are asked for: a caller that stops early reads no more. */
  *each<Row extends Record<string, SqlValue>>(query: string, ...params: SqlValue[]): Generator<Row> {
    const cursor = this.storage.exec<Row>(query, ...params);
    try {
      yield* cursor;
    } finally {
      this.meter?.count(query, cursor);
    }
  }

  one<Row extends Record<string, SqlValue>>(query: string, ...params: SqlValue[]): Row | undefined {
    return this.all<Row>(query, ...params)[0];
  }
}
