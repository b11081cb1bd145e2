/**
 * What tables and columns a database has, per dialect, and our bookkeeping table CQTS_META (key/value:
 * `schema_fingerprint`, `schema_version`), written the same way on every dialect. Names come back in lower
 * case: PostgreSQL folds them, MySQL and SQLite compare them case-insensitively.
 */
import type { DbExecutor } from './driver.js';
import { type DicomSchema, quoteIdentifier, type SchemaTable } from './schema.js';

export const META_TABLE = 'CQTS_META';

/** Lower-case names of the tables in the database (for SQLite: the file; otherwise the current schema/database). */
export async function listTables(db: DbExecutor): Promise<Set<string>> {
  const sql =
    db.dialect === 'sqlite'
      ? "SELECT name AS n FROM sqlite_master WHERE type = 'table'"
      : db.dialect === 'postgres'
        ? 'SELECT table_name AS n FROM information_schema.tables WHERE table_schema = current_schema()'
        : 'SELECT table_name AS n FROM information_schema.tables WHERE table_schema = DATABASE()';
  const rows = await db.all<{ n?: string; N?: string; TABLE_NAME?: string }>(sql);
  return new Set(rows.map((r) => String(r.n ?? r.N ?? r.TABLE_NAME ?? '').toLowerCase()));
}

/** Lower-case column names of one table. */
export async function listColumns(db: DbExecutor, table: string): Promise<string[]> {
  if (db.dialect === 'sqlite') {
    const rows = await db.all<{ name: string }>(`PRAGMA table_info(${quoteIdentifier('sqlite', table)})`);
    return rows.map((r) => r.name.toLowerCase());
  }
  const sql =
    db.dialect === 'postgres'
      ? 'SELECT column_name AS n FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?'
      : 'SELECT column_name AS n FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?';
  const rows = await db.all<{ n?: string; N?: string; COLUMN_NAME?: string }>(sql, [
    db.dialect === 'postgres' ? table.toLowerCase() : table,
  ]);
  return rows.map((r) => String(r.n ?? r.N ?? r.COLUMN_NAME ?? '').toLowerCase());
}

/** Per table of the layout: what is missing or extra ('' entries omitted); tables absent are listed too. */
export async function tableProblems(db: DbExecutor, schema: DicomSchema): Promise<string[]> {
  const existing = await listTables(db);
  const problems: string[] = [];
  for (const t of schema.tables) {
    if (!existing.has(t.name.toLowerCase())) {
      problems.push(`table ${t.name} is missing`);
      continue;
    }
    const cols = await listColumns(db, t.name);
    const missing = t.columns.filter((c) => !cols.includes(c.name.toLowerCase())).map((c) => c.name);
    const extra = cols.filter((c) => !t.columns.some((x) => x.name.toLowerCase() === c));
    if (missing.length)
      problems.push(`table ${t.name} lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    if (extra.length)
      problems.push(
        `table ${t.name} has column${extra.length > 1 ? 's' : ''} ${extra.join(', ')} that dicom.sql does not list`,
      );
  }
  return problems;
}

/** How a table's columns (lower case) differ from the layout's, for the start-up message; undefined when equal. */
export function columnMismatch(table: SchemaTable, have: readonly string[]): string | undefined {
  const want = table.columns.map((c) => c.name.toLowerCase());
  const missing = want.filter((c) => !have.includes(c));
  const extra = have.filter((c) => !want.includes(c));
  if (!missing.length && !extra.length) return undefined;
  const parts = [
    missing.length ? `no column ${missing.join(', ')}` : '',
    extra.length ? `column ${extra.join(', ')} not in dicom.sql` : '',
  ];
  return `${table.name}: ${parts.filter(Boolean).join('; ')}`;
}

function metaNames(db: DbExecutor): { t: string; k: string; v: string } {
  const q = (n: string) => quoteIdentifier(db.dialect, n);
  return { t: q(META_TABLE), k: q('key'), v: q('value') };
}

/**
 * CQTS_META, when absent. Two servers starting together on a new PostgreSQL database can both pass the
 * IF NOT EXISTS and one then fails on the catalog's unique index (23505): that one is not an error either.
 */
export async function createMetaTable(db: DbExecutor): Promise<void> {
  const { t, k, v } = metaNames(db);
  try {
    await db.run(
      `CREATE TABLE IF NOT EXISTS ${t} (${k} varchar(64) PRIMARY KEY NOT NULL, ${v} varchar(255))`,
    );
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

export async function readMeta(db: DbExecutor, key: string): Promise<string | undefined> {
  const { t, k, v } = metaNames(db);
  const row = await db.get<{ x: unknown }>(`SELECT ${v} AS x FROM ${t} WHERE ${k} = ?`, [key]);
  return row?.x === undefined || row.x === null ? undefined : String(row.x);
}

/**
 * Sets a CQTS_META entry in one statement, so that servers starting together on a new database do not
 * trip over each other's insert.
 */
export async function writeMeta(db: DbExecutor, key: string, value: string): Promise<void> {
  const { t, k, v } = metaNames(db);
  const upsert =
    db.dialect === 'mysql'
      ? `INSERT INTO ${t} (${k}, ${v}) VALUES (?, ?) ON DUPLICATE KEY UPDATE ${v} = VALUES(${v})`
      : `INSERT INTO ${t} (${k}, ${v}) VALUES (?, ?) ON CONFLICT (${k}) DO UPDATE SET ${v} = excluded.${v}`;
  await db.run(upsert, [key, value]);
}

/**
 * An error from CREATE TABLE / CREATE INDEX saying the object exists: another server made it at the same
 * moment (Conquest ignores these errors as well).
 */
export function isAlreadyExists(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string } | undefined;
  return (
    err?.code === '42P07' || // PostgreSQL duplicate_table (also indices)
    err?.code === '42710' || // duplicate_object
    err?.code === '23505' || // unique violation on pg_type when two sessions create one table
    err?.code === 'ER_TABLE_EXISTS_ERROR' ||
    err?.code === 'ER_DUP_KEYNAME' ||
    /already exists/i.test(err?.message ?? '')
  );
}
