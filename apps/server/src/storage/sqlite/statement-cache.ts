import type Database from 'better-sqlite3';

/** Each SQL text prepared once per database handle: the SQLite stores ask for statements by their text. */
export function statementCache(db: Database.Database): (sql: string) => Database.Statement {
  const stmts = new Map<string, Database.Statement>();
  return (sql) => {
    let stmt = stmts.get(sql);
    if (!stmt) stmts.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
}
