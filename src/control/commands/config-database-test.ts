/**
 * `dgate -o` (--test_database:): Conquest's "Verify database installation" (manual 2.1.1), on every driver. Conquest opens
 * the database ten times and creates, fills and drops a test table. Here the test is of the index itself,
 * without changing it: open it, check that every table and column dicom.sql asks for is there, and write,
 * read back and delete a test row in a transaction that is then rolled back. It opens the database file
 * directly (not through the archive, which would repair missing tables and hide what is wrong).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { indexConnection } from '../../archive/archive.js';
import type { LoadedConfig } from '../../config/config.js';
import type { DbDriver } from '../../db/driver.js';
import { listTables, META_TABLE, tableProblems } from '../../db/introspect.js';
import { createDriver } from '../../db/open-index.js';
import { type DicomSchema, quoteIdentifier } from '../../db/schema.js';
import { SqliteDriver } from '../../db/sqlite.js';
import type { CommandContext } from '../context.js';
import { archiveSchema } from './config-switches.js';

/** The index did not pass the test: the message lists what is wrong (dgate prints it plainly, exit 1). */
export class DatabaseTestError extends Error {
  // dgate prints errors of this name without a stack (PLAIN_ERRORS in cli/dgate.ts).
  override readonly name = 'IndexError';
}

class RollBack extends Error {}

/** Inserts, reads back and deletes a patient row inside a transaction that is always rolled back. */
async function rowTest(driver: DbDriver, schema: DicomSchema): Promise<void> {
  const q = (name: string) => quoteIdentifier(driver.dialect, name);
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
  if (s.databaseDriver === 'dbase')
    throw new DatabaseTestError('the built-in dBase III driver is not in this version: nothing to test');
  const schema = archiveSchema(ctx);
  const { driver, name } = openForTest(config);
  try {
    out(`Attempting to open database ${name}`);
    try {
      await listTables(driver);
    } catch (e) {
      throw new DatabaseTestError(`***Unable to open database ${name}: ${(e as Error).message}`);
    }
    out('Checking tables and columns against dicom.sql');
    const problems = await tableProblems(driver, schema);
    for (const p of problems) out(`*** ${p}`);
    if (problems.length)
      throw new DatabaseTestError(
        `***The database ${name} does not match dicom.sql (${problems.length} problem${problems.length > 1 ? 's' : ''}): run dgate -r to re-create and regenerate it`,
      );
    out(`${schema.tables.length} tables match dicom.sql`);
    if (!(await listTables(driver)).has(META_TABLE.toLowerCase()))
      out(`(no ${META_TABLE} table: made by Conquest itself; the layout matches)`);
    out('Writing, reading and deleting a test record (rolled back)');
    await rowTest(driver, schema);
    out('Closing database');
  } finally {
    await driver.close();
  }
  out(' ---------- Succesful end of test -----------');
}

/**
 * The database itself, not through the archive (which would make missing tables and hide what is wrong).
 * SQLite: the file must exist; `wal: false` keeps the journal mode it has (a Conquest-made file stays as is).
 */
function openForTest(config: LoadedConfig): { driver: DbDriver; name: string } {
  const connection = indexConnection(config);
  if (connection.kind === 'sqlite') {
    const file = connection.file;
    if (!existsSync(file))
      throw new DatabaseTestError(
        `***Unable to open database ${file}: it does not exist (dgate -r creates it)`,
      );
    try {
      return { driver: new SqliteDriver(file, { busyTimeoutMs: 10_000, wal: false }), name: file };
    } catch (e) {
      throw new DatabaseTestError(`***Unable to open database ${file}: ${(e as Error).message}`);
    }
  }
  const driver = createDriver(connection);
  return { driver, name: driver.target ?? connection.kind };
}
