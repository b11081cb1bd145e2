/**
 * `dgate -o` (--test_database:): Conquest's "Verify database installation" (manual 2.1.1). Conquest opens
 * the database ten times and creates, fills and drops a test table. Here the test is of the index itself,
 * without changing it: open it, check that every table and column dicom.sql asks for is there, and write,
 * read back and delete a test row in a transaction that is then rolled back. It opens the database file
 * directly (not through the archive, which would repair missing tables and hide what is wrong).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type DicomSchema, quoteIdentifier } from '../../db/schema.js';
import { META_TABLE, SqliteDriver } from '../../db/sqlite.js';
import type { CommandContext } from '../context.js';
import { archiveSchema } from './config-switches.js';

/** The index did not pass the test: the message lists what is wrong (dgate prints it plainly, exit 1). */
export class DatabaseTestError extends Error {
  // dgate prints errors of this name without a stack (PLAIN_ERRORS in cli/dgate.ts).
  override readonly name = 'IndexError';
}

const q = (name: string) => quoteIdentifier('sqlite', name);

/** What is missing or extra per table, compared with dicom.sql; empty when they match. */
function tableProblems(driver: SqliteDriver, schema: DicomSchema): string[] {
  const existing = new Set(
    driver
      .allSync<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .map((r) => r.name.toLowerCase()),
  );
  const problems: string[] = [];
  for (const t of schema.tables) {
    if (!existing.has(t.name.toLowerCase())) {
      problems.push(`table ${t.name} is missing`);
      continue;
    }
    const cols = driver
      .allSync<{ name: string }>(`PRAGMA table_info(${q(t.name)})`)
      .map((c) => c.name.toLowerCase());
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

class RollBack extends Error {}

/** Inserts, reads back and deletes a patient row inside a transaction that is always rolled back. */
async function rowTest(driver: SqliteDriver, schema: DicomSchema): Promise<void> {
  const level = schema.levels.Patient ?? schema.levels.Study!;
  const key = level.key.column;
  const id = `CQTS-TEST-${randomUUID().slice(0, 8)}`;
  const table = q(level.table);
  try {
    await driver.transaction(async (tx) => {
      await tx.run(`INSERT INTO ${table} (${q(key)}, ${q('AccessTime')}) VALUES (?, ?)`, [id, 0]);
      const row = await tx.get<Record<string, unknown>>(
        `SELECT ${q(key)} AS k FROM ${table} WHERE ${q(key)} = ?`,
        [id],
      );
      if (row?.['k'] !== id)
        throw new DatabaseTestError(`the test row written to ${level.table} was not read back`);
      const del = await tx.run(`DELETE FROM ${table} WHERE ${q(key)} = ?`, [id]);
      if (del.changes !== 1)
        throw new DatabaseTestError(`the test row in ${level.table} could not be deleted`);
      throw new RollBack();
    });
  } catch (e) {
    if (!(e instanceof RollBack)) throw e;
  }
  const left = await driver.get(`SELECT 1 AS one FROM ${table} WHERE ${q(key)} = ?`, [id]);
  if (left) throw new DatabaseTestError(`the test row stayed in ${level.table} after the rollback`);
}

export async function testDatabaseCommand(_args: string, ctx: CommandContext): Promise<void> {
  const config = ctx.config();
  const s = config.server;
  const out = (line: string) => ctx.stdout.write(`${line}\n`);
  if (s.databaseDriver === 'null') {
    out('SQLServer is empty: this server runs without an index database (NULL driver); nothing to test');
    return;
  }
  if (s.databaseDriver !== 'sqlite')
    throw new DatabaseTestError(
      `the ${s.databaseDriver} driver is not in this version: only SQLite can be tested`,
    );
  const file = s.sqlServer;
  out(`Attempting to open database ${file}`);
  if (!existsSync(file))
    throw new DatabaseTestError(
      `***Unable to open database ${file}: it does not exist (dgate -r creates it)`,
    );
  const schema = archiveSchema(ctx);
  let driver: SqliteDriver;
  try {
    // wal: false keeps the journal mode the file has (a Conquest-made database is left as it is).
    driver = new SqliteDriver(file, { busyTimeoutMs: 10_000, wal: false });
    driver.allSync('SELECT name FROM sqlite_master');
  } catch (e) {
    throw new DatabaseTestError(`***Unable to open database ${file}: ${(e as Error).message}`);
  }
  try {
    out('Checking tables and columns against dicom.sql');
    const problems = tableProblems(driver, schema);
    for (const p of problems) out(`*** ${p}`);
    if (problems.length)
      throw new DatabaseTestError(
        `***The database ${file} does not match dicom.sql (${problems.length} problem${problems.length > 1 ? 's' : ''}): run dgate -r to re-create and regenerate it`,
      );
    out(`${schema.tables.length} tables match dicom.sql`);
    if (driver.allSync('SELECT name FROM sqlite_master WHERE name = ?', [META_TABLE]).length === 0)
      out(`(no ${META_TABLE} table: made by Conquest itself; the layout matches)`);
    out('Writing, reading and deleting a test record (rolled back)');
    await rowTest(driver, schema);
    out('Closing database');
  } finally {
    await driver.close();
  }
  out(' ---------- Succesful end of test -----------');
}
