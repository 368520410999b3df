import type pg from 'pg';
import type { ViewCounterTable } from '../sqlite/sqlite-view-counters.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;
/** The SQL array type of a table's item column. */
const arrayType = (items: readonly (string | number)[]) => (typeof items[0] === 'number' ? 'bigint[]' : 'text[]');

/** One view more for each item in the bucket, in one statement: each counter goes up by one however many nodes count at once. */
export async function addViewRows(db: Queryable, t: ViewCounterTable, scope: string, items: readonly (string | number)[], bucket: number): Promise<void> {
  const distinct = [...new Set(items)];
  if (distinct.length === 0) return;
  await db.query(`INSERT INTO ${t.table} (${t.scope}, ${t.item}, bucket, views) SELECT $1, p, $3, 1 FROM unnest($2::${arrayType(distinct)}) AS p
    ON CONFLICT (${t.scope}, ${t.item}, bucket) DO UPDATE SET views = ${t.table}.views + 1`, [scope, distinct, bucket]);
}

/** Each item's views summed over its buckets (an item never viewed is absent). */
export async function viewSums<K extends string | number>(db: Queryable, t: ViewCounterTable, scope: string, items: readonly K[], key: (v: unknown) => K): Promise<Map<K, number>> {
  if (items.length === 0) return new Map();
  const rows = (await db.query<Record<string, unknown>>(`SELECT ${t.item} AS item, SUM(views) AS n FROM ${t.table} WHERE ${t.scope} = $1 AND ${t.item} = ANY($2::${arrayType(items)}) GROUP BY ${t.item}`,
    [scope, [...items]])).rows;
  return new Map(rows.map((r) => [key(r['item']), Number(r['n'])]));
}
