/**
 * The SQLite driver (better-sqlite3) and opening the index database: the file named by dicom.ini's
 * SQLServer (Conquest's first install: ./data/dbase/conquest.db3), created with its folders when absent,
 * the tables of dicom.sql created when absent, and the layout fingerprint kept so that a changed dicom.sql
 * is noticed at the next start.
 *
 * Settings on open: `journal_mode=WAL` (readers never wait for the writer, a commit is one append),
 * `synchronous=NORMAL` (with WAL: a crash never corrupts the database and loses at most the last commits
 * since the last checkpoint sync — never a half-written one), `busy_timeout` (another process, e.g. a
 * second dgate running a command, waits instead of failing), `foreign_keys` untouched (Conquest has none).
 * Then the statements of dicom.ini's SQLiteStartup when it is set explicitly (`;`-separated). Conquest's
 * implicit default for that key, `PRAGMA synchronous=OFF`, is deliberately not applied: with WAL, NORMAL
 * costs little and keeps the index consistent after a power cut; a user who writes it in dicom.ini gets it.
 *
 * Our own bookkeeping table, `CQTS_META(key varchar(64) PRIMARY KEY, value varchar(255))`, holds:
 * - `schema_fingerprint`: `schemaFingerprint` of the layout the tables were created from;
 * - `schema_version`: 1 (the layout of this table itself).
 * Conquest ignores unknown tables, so a Conquest server can still open the file.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { DicomSql } from './dicom-sql.js';
import type { DbDriver, DbExecutor, RunResult, SqlParams, SqlRow, SyncReader } from './driver.js';
import { columnMismatch, META_TABLE } from './introspect.js';
import {
  buildSchema,
  createStatements,
  type DicomSchema,
  quoteIdentifier,
  type SchemaOptions,
  schemaFingerprint,
} from './schema.js';
import { splitStatements } from './sql-text.js';

// better-sqlite3 has no bundled types: the calls used here, typed locally.
interface BetterStatement {
  run(...params: unknown[]): { changes: number };
  all(...params: unknown[]): SqlRow[];
  get(...params: unknown[]): SqlRow | undefined;
}
interface BetterDatabase {
  exec(sql: string): void;
  prepare(sql: string): BetterStatement;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  close(): void;
  readonly inTransaction: boolean;
}
type BetterCtor = new (
  path: string,
  options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number },
) => BetterDatabase;

const require = createRequire(import.meta.url);
let ctor: BetterCtor | undefined;
function betterSqlite(): BetterCtor {
  ctor ??= require('better-sqlite3') as BetterCtor;
  return ctor;
}

export const DEFAULT_SQLITE_FILE = './data/dbase/conquest.db3';
const STATEMENT_CACHE_LIMIT = 500;

export { META_TABLE, splitStatements };

export interface SqliteDriverOptions {
  /** Open read-only (no schema work, no pragmas that write). */
  readonly?: boolean;
  /** busy_timeout in ms (default 10000). */
  busyTimeoutMs?: number;
  /** dicom.ini SQLiteStartup, when set explicitly: statements run after ours, separated by ';'. */
  startup?: string;
  /** journal_mode=WAL (default true; off only for tests of other modes). */
  wal?: boolean;
}

/** better-sqlite3 behind the async DbDriver interface, plus a synchronous read (SyncReader). */
export class SqliteDriver implements DbDriver, SyncReader {
  readonly dialect = 'sqlite' as const;
  private readonly db: BetterDatabase;
  private readonly statements = new Map<string, BetterStatement>();
  /** Transactions run one after another: the tail of the queue. */
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Number of committed transactions (for tests and the status page). */
  commits = 0;

  constructor(
    readonly file: string,
    options: SqliteDriverOptions = {},
  ) {
    const Ctor = betterSqlite();
    const timeout = options.busyTimeoutMs ?? 10_000;
    this.db = new Ctor(file, { readonly: !!options.readonly, timeout });
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(timeout))}`);
    if (!options.readonly) {
      if (options.wal ?? true) this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    for (const s of splitStatements(options.startup ?? '')) this.db.exec(s);
  }

  private prepare(sql: string): BetterStatement {
    let st = this.statements.get(sql);
    if (!st) {
      if (this.closed) throw new Error(`database ${this.file} is closed`);
      st = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) this.statements.clear();
      this.statements.set(sql, st);
    }
    return st;
  }

  runSync(sql: string, params: SqlParams = []): RunResult {
    return { changes: this.prepare(sql).run(...params).changes };
  }

  allSync<T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []): T[] {
    return this.prepare(sql).all(...params) as T[];
  }

  getSync<T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }

  /** Runs SQL text without parameters (schema statements). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  async run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.runSync(sql, params);
  }

  async all<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.allSync<T>(sql, params);
  }

  async get<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return this.getSync<T>(sql, params);
  }

  /**
   * BEGIN IMMEDIATE (takes the write lock at once, so a second process waits on busy_timeout rather than
   * failing at commit), fn, COMMIT; ROLLBACK when fn throws. Calls queue behind each other.
   */
  transaction<T>(fn: (tx: DbExecutor) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.db.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await fn(this);
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
      this.db.exec('COMMIT');
      this.commits++;
      return result;
    };
    const p = this.lock.then(run, run);
    this.lock = p.catch(() => undefined);
    return p;
  }

  /** Synchronous transaction for callers that are synchronous throughout (schema creation). */
  transactionSync<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const r = fn();
      this.db.exec('COMMIT');
      this.commits++;
      return r;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.lock;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Opening the index

/** dicom.sql describes another layout than the one the database was created with. */
export class SchemaChangedError extends Error {
  override readonly name = 'SchemaChangedError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(
      `dicom.sql changed: a regen is needed (${detail}); the database ${file} is used as it is until then`,
    );
  }
}

export interface OpenIndexOptions extends SqliteDriverOptions {
  /** dicom.ini SQLServer (resolved); default ./data/dbase/conquest.db3. */
  file?: string;
  /** The parsed dicom.sql. */
  dicomSql: DicomSql;
  /** TruncateFieldNames, MaxFieldLength, table names from dicom.ini. */
  schemaOptions?: SchemaOptions;
  /** What a changed dicom.sql does: 'warn' (default: reported in the result) or 'error' (thrown). */
  onSchemaChange?: 'warn' | 'error';
}

export interface OpenedIndex {
  readonly driver: SqliteDriver;
  readonly schema: DicomSchema;
  readonly file: string;
  /** The tables were created now. */
  readonly created: boolean;
  /** Set when dicom.sql no longer matches the database: log it; nothing was dropped. */
  readonly schemaChanged?: SchemaChangedError;
}

/**
 * Opens (creating when needed) the SQLite index: folders, file, tables from dicom.sql, CQTS_META. A
 * database made by Conquest itself (no CQTS_META) is accepted when its level tables have the columns the
 * layout expects; the fingerprint is then recorded.
 */
export function openSqliteIndex(options: OpenIndexOptions): OpenedIndex {
  const file = resolve(options.file || DEFAULT_SQLITE_FILE);
  const schema = buildSchema(options.dicomSql, options.schemaOptions);
  const fingerprint = schemaFingerprint(schema);
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  const driver = new SqliteDriver(file, options);
  try {
    const existing = existingTables(driver);
    const levelTables = schema.tables.filter((t) => t.level !== undefined);
    const present = levelTables.filter((t) => existing.has(t.name.toLowerCase()));
    let created = false;
    let changed: SchemaChangedError | undefined;
    if (present.length === 0) {
      if (!options.readonly) {
        driver.transactionSync(() => {
          for (const s of createStatements(schema, 'sqlite', { ifNotExists: true })) driver.exec(s);
          writeMeta(driver, fingerprint);
        });
        created = true;
      }
    } else {
      const stored = existing.has(META_TABLE.toLowerCase())
        ? driver.getSync<{ value: string }>(
            `SELECT value FROM ${quoteIdentifier('sqlite', META_TABLE)} WHERE key = ?`,
            ['schema_fingerprint'],
          )?.value
        : undefined;
      if (stored !== undefined) {
        if (stored !== fingerprint)
          changed = new SchemaChangedError(file, 'the layout differs from the one the tables were made with');
      } else {
        const diff = columnDifference(driver, schema, existing);
        if (diff) changed = new SchemaChangedError(file, diff);
        else if (!options.readonly) driver.transactionSync(() => writeMeta(driver, fingerprint));
      }
      if (!changed && !options.readonly && present.length < levelTables.length) {
        // A level added (e.g. a worklist) without other changes cannot happen without a fingerprint change;
        // with a matching layout, missing tables (deleted by hand) are made again.
        driver.transactionSync(() => {
          for (const s of createStatements(schema, 'sqlite', { ifNotExists: true })) driver.exec(s);
        });
      }
    }
    if (changed && options.onSchemaChange === 'error') throw changed;
    return { driver, schema, file, created, ...(changed ? { schemaChanged: changed } : {}) };
  } catch (e) {
    void driver.close();
    throw e;
  }
}

function existingTables(driver: SqliteDriver): Set<string> {
  const rows = driver.allSync<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'");
  return new Set(rows.map((r) => r.name.toLowerCase()));
}

function writeMeta(driver: SqliteDriver, fingerprint: string): void {
  const t = quoteIdentifier('sqlite', META_TABLE);
  driver.exec(`CREATE TABLE IF NOT EXISTS ${t} (key varchar(64) PRIMARY KEY NOT NULL, value varchar(255))`);
  const put = `INSERT INTO ${t} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`;
  driver.runSync(put, ['schema_fingerprint', fingerprint]);
  driver.runSync(put, ['schema_version', '1']);
}

/** For a database without CQTS_META: how its level tables differ from the layout, or undefined. */
function columnDifference(
  driver: SqliteDriver,
  schema: DicomSchema,
  existing: Set<string>,
): string | undefined {
  for (const t of schema.tables) {
    if (!t.level || !existing.has(t.name.toLowerCase())) continue;
    const cols = driver
      .allSync<{ name: string }>(`PRAGMA table_info(${quoteIdentifier('sqlite', t.name)})`)
      .map((c) => c.name.toLowerCase());
    const diff = columnMismatch(t, cols);
    if (diff) return diff;
  }
  return undefined;
}
