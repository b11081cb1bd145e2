/**
 * --query:table|fields|where|fmt|file and --query2:table|fields|where|fmt|max|file (Conquest's arbitrary
 * query). The where clause is SQL text by design (an operator command), so what may be asked is narrowed
 * instead: the table must be one of dicom.sql's tables (or UIDMODS), the fields `*` or a comma list of
 * column names (optionally `table.column`), and the where clause may not hold `;` or a comment marker. The
 * statement runs on a read-only connection of its own (SQLite) or in a read-only transaction that is then
 * rolled back (PostgreSQL, MySQL), so nothing it says can change the database.
 *
 * Output as Conquest's dgate.cpp prints it: each row through the printf-style fmt, whose `%s` take the
 * fields in order (past the last field they start again at the first: fields are repeated up to 48);
 * `%%` is a percent sign; width and precision work as in C (`%-10s`, `%.4s`, `%0.0s` prints nothing, to
 * skip a field). A newline follows each row, except when fmt ends in `*`: then the `*` is dropped and rows
 * are separated by `*`. Without fmt: `%s ` per field. NULL prints as nothing; values are cut at 255
 * characters (Conquest's field buffers). --query2 prints about `max` rows of a larger result: every n-th
 * row, n = ceil(count / max), as Conquest does.
 */
import type { DbDriver, SqlRow } from '../../db/driver.js';
import { SqliteDriver } from '../../db/sqlite.js';
import { printf } from '../../text/printf.js';
import type { Archive } from '../archive.js';
import { MaintenanceError, requireIndex } from './common.js';

export interface QuerySpec {
  table: string;
  fields: string;
  where: string;
  format: string;
  /** --query2: about this many rows at most (0 = all). */
  max?: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_FIELDS = 48;
const FIELD_LENGTH = 255;

/** Runs the query and returns the formatted text. */
export async function runSqlQuery(archive: Archive, spec: QuerySpec): Promise<string> {
  const ix = requireIndex(archive, '--query');
  const table = ix.schema.tables.find((t) => t.name.toLowerCase() === spec.table.trim().toLowerCase());
  if (!table)
    throw new MaintenanceError(
      `--query: table '${spec.table}' is not one of ${ix.schema.tables.map((t) => t.name).join(', ')}`,
    );
  const columns = fieldList(spec.fields, table.name, ix.q);
  const where = checkWhere(spec.where);
  const sql = `SELECT ${columns} FROM ${ix.q(table.name)}${where ? ` WHERE ${where}` : ''}`;
  let rows: SqlRow[];
  try {
    rows = await readOnly(archive, ix.driver, sql);
  } catch (e) {
    throw new MaintenanceError(`--query: ${(e as Error).message}`);
  }
  return formatRows(rows, spec.format, spec.max ?? 0);
}

class Done extends Error {}

async function readOnly(archive: Archive, driver: DbDriver, sql: string): Promise<SqlRow[]> {
  if (archive.index?.kind === 'sqlite') {
    const reader = new SqliteDriver(archive.index.file, { readonly: true });
    try {
      return await reader.all(sql);
    } finally {
      await reader.close();
    }
  }
  let rows: SqlRow[] = [];
  try {
    await driver.transaction(
      async (tx) => {
        rows = await tx.all(sql);
        throw new Done(); // rolled back, whatever it was
      },
      { readOnly: true },
    );
  } catch (e) {
    if (!(e instanceof Done)) throw e;
  }
  return rows;
}

function fieldList(fields: string, table: string, q: (n: string) => string): string {
  const f = fields.trim();
  if (f === '*') return '*';
  const parts = f.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > MAX_FIELDS)
    throw new MaintenanceError(`--query: give 1 to ${MAX_FIELDS} fields, or *`);
  return parts
    .map((p) => {
      const [a, b, extra] = p.split('.');
      if (extra !== undefined || !IDENTIFIER.test(a ?? '') || (b !== undefined && !IDENTIFIER.test(b)))
        throw new MaintenanceError(`--query: '${p}' is not a column name`);
      if (b === undefined) return q(a!);
      if (a!.toLowerCase() !== table.toLowerCase())
        throw new MaintenanceError(`--query: column ${p} is not of table ${table}`);
      return `${q(a!)}.${q(b)}`;
    })
    .join(', ');
}

function checkWhere(where: string): string {
  const w = where.trim();
  if (/;|--|\/\*|\*\//.test(w))
    throw new MaintenanceError('--query: the where clause may not contain ; or a comment (-- /* */)');
  return w;
}

/** The rows as Conquest prints them (see the module comment). */
export function formatRows(rows: readonly SqlRow[], format: string, max: number): string {
  const width = rows.length > 0 ? Object.keys(rows[0]!).length : 1;
  let fmt = format === '' ? '%s '.repeat(width) : format;
  const stars = fmt.endsWith('*');
  fmt = stars ? fmt.slice(0, -1) : `${fmt}\n`;
  const step = max > 0 && rows.length > max ? Math.ceil(rows.length / max) : 1;
  const out: string[] = [];
  rows.forEach((row, i) => {
    if (i % step !== 0) return;
    const values = Object.values(row).map((v) =>
      v === null || v === undefined ? '' : String(v).slice(0, FIELD_LENGTH),
    );
    if (stars && out.length > 0) out.push('*');
    // The n-th conversion takes field n mod count, up to MAX_FIELDS (Conquest repeats the fields).
    out.push(
      printf(
        fmt,
        Array.from({ length: MAX_FIELDS }, (_, k) => values[k % values.length] ?? ''),
      ),
    );
  });
  return out.join('');
}
