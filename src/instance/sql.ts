/**
 * The one way Durable Object code touches SQLite: parameterised statements only.
 */
export type SqlValue = string | number | null | ArrayBuffer;

export class Sql {
  constructor(private readonly storage: SqlStorage) {}

  /** Runs a statement; returns how many rows it wrote. */
  run(query: string, ...params: SqlValue[]): number {
    return this.storage.exec(query, ...params).rowsWritten;
  }

  all<Row extends Record<string, SqlValue>>(query: string, ...params: SqlValue[]): Row[] {
    return this.storage.exec<Row>(query, ...params).toArray();
  }

  /** The rows one at a time, read as they are asked for: a caller that stops early reads no more. */
  *each<Row extends Record<string, SqlValue>>(query: string, ...params: SqlValue[]): Generator<Row> {
    yield* this.storage.exec<Row>(query, ...params);
  }

  one<Row extends Record<string, SqlValue>>(query: string, ...params: SqlValue[]): Row | undefined {
    const rows = this.storage.exec<Row>(query, ...params).toArray();
    return rows[0];
  }
}
