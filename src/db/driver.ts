/**
 * The database driver the archive talks to: a few async calls, so that the SQLite driver (better-sqlite3,
 * synchronous underneath) and the later PostgreSQL and MySQL drivers (asynchronous) fit the same code.
 *
 * Rules for callers:
 * - every value is a parameter (`?` placeholders, in order); SQL text is only ever built from identifiers
 *   (quoted with `quoteIdentifier`) and fixed words, never from values;
 * - `transaction(fn)` runs `fn` with an executor bound to one transaction: everything it does commits
 *   together when `fn` resolves, or is rolled back when it throws. Transactions on one driver run one at a
 *   time on the embedded SQLite driver (one connection); the networked drivers give each transaction a
 *   connection of their pool. Savepoints (`SAVEPOINT x`, `ROLLBACK TO SAVEPOINT x`, `RELEASE SAVEPOINT x`:
 *   the long forms, the only ones MySQL takes) work inside on every dialect;
 * - result rows are keyed by the names the database gives: PostgreSQL folds unquoted and (as quoted here)
 *   identifiers to lower case, so a caller that reads a row by name selects it `AS` a lower-case alias.
 */
import type { SqlDialect } from './schema.js';

/** What a parameter may be. */
export type SqlValue = string | number | bigint | null | Buffer;
export type SqlParams = readonly SqlValue[];
export type SqlRow = Record<string, unknown>;

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  readonly changes: number;
}

/** What runs statements: a driver, or the executor of an open transaction. */
export interface DbExecutor {
  readonly dialect: SqlDialect;
  run(sql: string, params?: SqlParams): Promise<RunResult>;
  all<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<T[]>;
  /** The first row, or undefined. */
  get<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<T | undefined>;
}

/**
 * The database cannot be used right now: unreachable, restarting, refusing the credentials, or the named
 * database does not exist. `retryable` says whether waiting may help (a restart) or not (a wrong password).
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code?: string,
    /** No connection could be had: the statement was never sent. */
    readonly beforeSending?: boolean,
  ) {
    super(message);
  }
}

/** Why a database cannot be used, as the drivers classify their errors. */
export type UnavailableReason = 'credentials' | 'no-database' | 'unreachable';

/** The one wording of each reason, whatever the driver. */
export function databaseUnavailable(
  target: string,
  reason: UnavailableReason,
  cause: string,
  code: string | undefined,
  beforeSending = false,
): DatabaseUnavailableError {
  switch (reason) {
    case 'credentials':
      return new DatabaseUnavailableError(
        `${target}: the server refused the credentials (${cause})`,
        false,
        code,
      );
    case 'no-database':
      return new DatabaseUnavailableError(
        `${target}: the database does not exist (${cause}); create it with dgate -esap`,
        false,
        code,
      );
    case 'unreachable':
      return new DatabaseUnavailableError(
        `${target}: cannot reach the server (${cause})`,
        true,
        code,
        beforeSending,
      );
  }
}

export interface TransactionOptions {
  readOnly?: boolean;
}

export interface DbDriver extends DbExecutor {
  /**
   * Runs fn in one transaction: committed when fn resolves, rolled back when it throws (and rethrown).
   * `readOnly`: the database refuses every write in it (PostgreSQL, MySQL; SQLite callers open a
   * read-only connection instead).
   */
  transaction<T>(fn: (tx: DbExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
  /**
   * True when a transaction that failed with this error may succeed if run again: a deadlock or
   * serialization failure between servers sharing the database, or a connection lost while it restarts.
   */
  isRetryable?(error: unknown): boolean;
}

/**
 * A synchronous read, for the few callers whose interface is synchronous (ObjectLocator.find). Only the
 * embedded SQLite driver offers it; a networked driver cannot.
 */
export interface SyncReader {
  getSync<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): T | undefined;
}

export function isSyncReader(x: unknown): x is SyncReader {
  return typeof (x as Partial<SyncReader> | undefined)?.getSync === 'function';
}
