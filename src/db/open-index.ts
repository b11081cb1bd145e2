/**
 * Opening the index database of any driver the way Conquest's dicom.ini selects it (manual 2.1, 7.2):
 * `PostGres = 1` → PostgreSQL, `MySQL = 1` → MySQL/MariaDB, an empty SQLServer → the NULL driver, otherwise
 * SQLite (SQLServer is the file). The tables of dicom.sql are made when the database has none of them, and
 * the layout fingerprint is kept in CQTS_META so that a changed dicom.sql is noticed at the next start —
 * on every driver the same way (sqlite.ts does it synchronously for the embedded database).
 *
 * Several servers may start at once on one new PostgreSQL or MariaDB database: each statement of the
 * schema runs on its own, and "already exists" from a server that was quicker is not an error.
 */
import type { DicomSql } from './dicom-sql.js';
import type { DbDriver } from './driver.js';
import {
  columnMismatch,
  createMetaTable,
  isAlreadyExists,
  listColumns,
  listTables,
  readMeta,
  writeMeta,
} from './introspect.js';
import { MysqlDriver } from './mysql.js';
import { NullDriver } from './null.js';
import { type NetworkDatabaseOptions, PostgresDriver } from './postgres.js';
import {
  buildSchema,
  createStatements,
  type DicomSchema,
  type SchemaOptions,
  schemaFingerprint,
} from './schema.js';
import { openSqliteIndex, SchemaChangedError } from './sqlite.js';

export type IndexDriverKind = 'sqlite' | 'postgres' | 'mysql' | 'null';

export type IndexConnection =
  | { kind: 'sqlite'; file: string; startup?: string; readonly?: boolean }
  | ({ kind: 'postgres' | 'mysql' } & NetworkDatabaseOptions)
  | { kind: 'null' };

export interface OpenedIndex {
  readonly kind: IndexDriverKind;
  readonly driver: DbDriver;
  readonly schema: DicomSchema;
  /** What the index is, for messages: the SQLite file, or "PostgreSQL database 'x' on host:port...". */
  readonly file: string;
  readonly created: boolean;
  readonly schemaChanged?: SchemaChangedError;
}

export interface OpenIndexDatabaseOptions {
  connection: IndexConnection;
  dicomSql: DicomSql;
  schemaOptions?: SchemaOptions;
  onSchemaChange?: 'warn' | 'error';
}

/** The driver for a connection, not yet opened (network drivers connect at the first statement). */
export function createDriver(connection: Exclude<IndexConnection, { kind: 'sqlite' }>): DbDriver & {
  readonly target?: string;
} {
  switch (connection.kind) {
    case 'postgres':
      return new PostgresDriver(connection);
    case 'mysql':
      return new MysqlDriver(connection);
    case 'null':
      return new NullDriver();
  }
}

export async function openIndexDatabase(options: OpenIndexDatabaseOptions): Promise<OpenedIndex> {
  const c = options.connection;
  if (c.kind === 'sqlite') {
    const ix = openSqliteIndex({
      file: c.file,
      dicomSql: options.dicomSql,
      ...(options.schemaOptions ? { schemaOptions: options.schemaOptions } : {}),
      ...(options.onSchemaChange ? { onSchemaChange: options.onSchemaChange } : {}),
      ...(c.startup ? { startup: c.startup } : {}),
      ...(c.readonly ? { readonly: true } : {}),
    });
    return { kind: 'sqlite', ...ix };
  }
  const schema = buildSchema(options.dicomSql, options.schemaOptions);
  const driver = createDriver(c);
  if (c.kind === 'null')
    return { kind: 'null', driver, schema, file: 'NULL driver (no database)', created: false };
  const file = driver.target ?? c.kind;
  try {
    const { created, changed } = await prepareTables(driver, schema, file);
    if (changed && options.onSchemaChange === 'error') throw changed;
    return { kind: c.kind, driver, schema, file, created, ...(changed ? { schemaChanged: changed } : {}) };
  } catch (e) {
    await driver.close().catch(() => undefined);
    throw e;
  }
}

/** Makes the tables when none are there, else compares the stored fingerprint (or the columns). */
async function prepareTables(
  driver: DbDriver,
  schema: DicomSchema,
  file: string,
): Promise<{ created: boolean; changed?: SchemaChangedError }> {
  const fingerprint = schemaFingerprint(schema);
  const existing = await listTables(driver);
  const levelTables = schema.tables.filter((t) => t.level !== undefined);
  const present = levelTables.filter((t) => existing.has(t.name.toLowerCase()));
  if (present.length === 0) {
    await runSchemaStatements(driver, createStatements(schema, driver.dialect));
    await createMetaTable(driver);
    await driver.transaction(async (tx) => {
      await writeMeta(tx, 'schema_fingerprint', fingerprint);
      await writeMeta(tx, 'schema_version', '1');
    });
    return { created: true };
  }
  let changed: SchemaChangedError | undefined;
  const stored = existing.has('cqts_meta') ? await readMeta(driver, 'schema_fingerprint') : undefined;
  if (stored !== undefined) {
    if (stored !== fingerprint)
      changed = new SchemaChangedError(file, 'the layout differs from the one the tables were made with');
  } else {
    const diff = await columnDifference(driver, schema, existing);
    if (diff) changed = new SchemaChangedError(file, diff);
    else {
      await createMetaTable(driver);
      await driver.transaction((tx) => writeMeta(tx, 'schema_fingerprint', fingerprint));
    }
  }
  if (!changed && present.length < levelTables.length) {
    const missing = schema.tables.filter((t) => !existing.has(t.name.toLowerCase())).map((t) => t.name);
    await runSchemaStatements(driver, createStatements(schema, driver.dialect, { tables: missing }));
  }
  return changed ? { created: false, changed } : { created: false };
}

/** Each statement on its own; "already exists" (another server was quicker) is not an error. */
export async function runSchemaStatements(driver: DbDriver, statements: readonly string[]): Promise<void> {
  for (const s of statements) {
    try {
      await driver.run(s);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
}

async function columnDifference(
  driver: DbDriver,
  schema: DicomSchema,
  existing: Set<string>,
): Promise<string | undefined> {
  for (const t of schema.tables) {
    if (!t.level || !existing.has(t.name.toLowerCase())) continue;
    const cols = await listColumns(driver, t.name);
    const diff = columnMismatch(t, cols);
    if (diff) return diff;
  }
  return undefined;
}
