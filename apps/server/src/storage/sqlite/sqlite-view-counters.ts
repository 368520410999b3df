import type Database from 'better-sqlite3';

/** A table of view counters: one number per (scope, item, bucket), no record of who viewed (R98, R183). */
export interface ViewCounterTable {
  table: string;
  /** The column naming the channel. */
  scope: string;
  /** The column naming the post in it. */
  item: string;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** One view more for each item in the bucket; the caller runs it in a transaction. */
export function addViewRows(q: (sql: string) => Database.Statement, t: ViewCounterTable, scope: string, items: Iterable<string | number>, bucket: number): void {
  const upsert = q(`INSERT INTO ${t.table} (${t.scope}, ${t.item}, bucket, views) VALUES (?, ?, ?, 1)
    ON CONFLICT (${t.scope}, ${t.item}, bucket) DO UPDATE SET views = ${t.table}.views + 1`);
  for (const item of new Set(items)) upsert.run(scope, item, bucket);
}

/** Each item's views summed over its buckets (an item never viewed is absent). */
export function viewSums<K extends string | number>(db: Database.Database, t: ViewCounterTable, scope: string, items: readonly K[], key: (v: unknown) => K): Map<K, number> {
  if (items.length === 0) return new Map();
  const rows = db.prepare(`SELECT ${t.item} AS item, SUM(views) AS n FROM ${t.table} WHERE ${t.scope} = ? AND ${t.item} IN (${marks(items.length)}) GROUP BY ${t.item}`)
    .all(scope, ...items) as Array<Record<string, unknown>>;
  return new Map(rows.map((r) => [key(r['item']), Number(r['n'])]));
}
