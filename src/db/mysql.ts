/**
 * The MySQL / MariaDB driver (`mysql2`): dicom.ini `MySQL = 1`, SQLHost (host or host:port), SQLServer (the
 * database), Username, Password.
 *
 * - A pool of connections (default 8); a transaction holds one from BEGIN to COMMIT.
 * - Statements with parameters are server-side prepared statements (`execute`), which mysql2 prepares once
 *   per connection and reuses; parameterless ones (BEGIN, SAVEPOINT, schema statements) go as text.
 * - Connections are utf8mb4 (every Unicode character a DICOM value can hold).
 * - A lost connection is destroyed, not returned to the pool; the next statement opens a new one.
 * - Wrong credentials and a missing database are DatabaseUnavailableError (not retryable); a server that
 *   is down or restarting likewise, retryable; `isRetryable` also says yes to deadlocks and lock timeouts.
 */
import mysql from 'mysql2/promise';
import {
  DatabaseUnavailableError,
  type DbDriver,
  type DbExecutor,
  databaseUnavailable,
  type RunResult,
  type SqlParams,
  type SqlRow,
  type TransactionOptions,
} from './driver.js';
import { type NetworkDatabaseOptions, splitHost } from './postgres.js';
import { withReconnect } from './reconnect.js';
import { isReadOnlyStatement } from './sql-text.js';

interface MysqlError extends Error {
  code?: string;
  errno?: number;
  fatal?: boolean;
}

const RETRYABLE_CODES = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'PROTOCOL_CONNECTION_LOST',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
]);

type Queryable = mysql.Pool | mysql.PoolConnection;

export class MysqlDriver implements DbDriver {
  readonly dialect = 'mysql' as const;
  private readonly pool: mysql.Pool;
  private closed = false;
  commits = 0;

  constructor(readonly options: NetworkDatabaseOptions) {
    const { host, port } = splitHost(options.host, options.port ?? 3306);
    this.pool = mysql.createPool({
      host,
      port,
      database: options.database,
      user: options.user || 'root',
      password: options.password,
      connectionLimit: options.poolSize ?? 8,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      waitForConnections: true,
      charset: 'utf8mb4',
      multipleStatements: false,
      supportBigNumbers: false,
    });
  }

  get target(): string {
    const { host, port } = splitHost(this.options.host, this.options.port ?? 3306);
    return `MySQL database '${this.options.database}' on ${host}:${port} as '${this.options.user || 'root'}'`;
  }

  private async query(on: Queryable, sql: string, params: SqlParams): Promise<unknown> {
    if (this.closed) throw new Error(`${this.target}: the driver is closed`);
    try {
      if (params.length === 0) return (await on.query(sql))[0];
      return (await on.execute(sql, params as (string | number | bigint | Buffer | null)[]))[0];
    } catch (e) {
      throw this.translate(e);
    }
  }

  private static changes(result: unknown): number {
    return (result as { affectedRows?: number } | undefined)?.affectedRows ?? 0;
  }

  private static rows<T>(result: unknown): T[] {
    return Array.isArray(result) ? (result as T[]) : [];
  }

  private executor(on: Queryable): DbExecutor {
    return {
      dialect: this.dialect,
      run: async (sql, params = []) => ({ changes: MysqlDriver.changes(await this.query(on, sql, params)) }),
      all: async <T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []) =>
        MysqlDriver.rows<T>(await this.query(on, sql, params)),
      get: async <T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []) =>
        MysqlDriver.rows<T>(await this.query(on, sql, params))[0] as T | undefined,
    };
  }

  async run(sql: string, params: SqlParams = []): Promise<RunResult> {
    const r = await this.pooled(sql, params);
    return { changes: MysqlDriver.changes(r) };
  }

  async all<T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []): Promise<T[]> {
    return MysqlDriver.rows<T>(await this.pooled(sql, params));
  }

  async get<T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return MysqlDriver.rows<T>(await this.pooled(sql, params))[0];
  }

  /** A statement on any pooled connection; reads are sent again while the server restarts. */
  private pooled(sql: string, params: SqlParams): Promise<unknown> {
    return withReconnect(() => this.query(this.pool, sql, params), isReadOnlyStatement(sql));
  }

  async transaction<T>(fn: (tx: DbExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.closed) throw new Error(`${this.target}: the driver is closed`);
    let conn: mysql.PoolConnection;
    try {
      conn = await this.pool.getConnection();
    } catch (e) {
      throw this.translate(e);
    }
    let broken = false;
    try {
      await this.query(conn, options.readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION', []);
      const result = await fn(this.executor(conn));
      await this.query(conn, 'COMMIT', []);
      this.commits++;
      return result;
    } catch (e) {
      try {
        await conn.query('ROLLBACK');
      } catch {
        broken = true;
      }
      if ((e as MysqlError).fatal) broken = true;
      throw e;
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  isRetryable(error: unknown): boolean {
    if (error instanceof DatabaseUnavailableError) return error.retryable;
    const code = (error as MysqlError | undefined)?.code;
    return code !== undefined && RETRYABLE_CODES.has(code);
  }

  /** mysql2's errors → DatabaseUnavailableError where the database, not the statement, is the problem. */
  private translate(e: unknown): unknown {
    const code = (e as MysqlError | undefined)?.code;
    const message = (e as Error | undefined)?.message ?? String(e);
    if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR')
      return databaseUnavailable(this.target, 'credentials', message, code);
    if (code === 'ER_BAD_DB_ERROR') return databaseUnavailable(this.target, 'no-database', message, code);
    if (code && RETRYABLE_CODES.has(code) && code !== 'ER_LOCK_DEADLOCK' && code !== 'ER_LOCK_WAIT_TIMEOUT')
      return databaseUnavailable(
        this.target,
        'unreachable',
        message,
        code,
        code === 'ECONNREFUSED' || code === 'ER_CON_COUNT_ERROR',
      );
    return e;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
