/**
 * The PostgreSQL driver (`pg`): dicom.ini `PostGres = 1`, SQLHost (host or host:port), SQLServer (the
 * database), Username, Password.
 *
 * - A pool of connections (default 8): statements outside a transaction take any; a transaction holds one
 *   from BEGIN to COMMIT, so several servers — and several writers in one server — work in parallel.
 * - Statements are sent with parameters, `?` rewritten to `$n`; the ones seen often are named, so that each
 *   connection prepares them once (the planner is skipped on every later run).
 * - bigint (COUNT(*)) comes back as a number, not a string.
 * - A connection lost (server restart, network) is dropped from the pool and the next statement opens a new
 *   one: nothing needs restarting on our side. An idle connection that breaks only logs.
 * - Errors that waiting cannot fix (wrong password, no such database) and those it can (server starting,
 *   shutting down, unreachable) become DatabaseUnavailableError; `isRetryable` also says yes to deadlocks
 *   and serialization failures, which two servers writing the same patient may meet.
 */
import pg from 'pg';
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
import { withReconnect } from './reconnect.js';
import { isReadOnlyStatement, toNumberedParameters } from './sql-text.js';

export interface NetworkDatabaseOptions {
  /** Host name or address; `host:port` is accepted (dicom.ini SQLHost). */
  host: string;
  port?: number;
  database: string;
  user: string;
  password: string;
  /** Most connections (default 8). */
  poolSize?: number;
  /** How long to wait for a connection before giving up (ms, default 10000). */
  connectTimeoutMs?: number;
  /** Reports a connection that broke while idle. */
  onIdleError?: (e: Error) => void;
}

/** `host:port` → parts; the default port when none is given. */
export function splitHost(host: string, defaultPort: number): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(host.trim());
  if (m && !m[1]!.includes(':')) return { host: m[1] || 'localhost', port: Number(m[2]) };
  return { host: host.trim() || 'localhost', port: defaultPort };
}

const NAMED_LIMIT = 400;
/** pg's own type parsers, with int8 (COUNT(*), SUM) as a number. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** SQLSTATE classes and codes after which the same transaction may succeed when run again. */
const RETRYABLE_CODES = new Set([
  '40001',
  '40P01',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
]);
const NODE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

interface PgError extends Error {
  code?: string;
}

export class PostgresDriver implements DbDriver {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly names = new Map<string, { text: string; name: string | undefined; uses: number }>();
  private nameCounter = 0;
  private closed = false;
  /** Committed transactions (status page, tests). */
  commits = 0;

  constructor(readonly options: NetworkDatabaseOptions) {
    const { host, port } = splitHost(options.host, options.port ?? 5432);
    this.pool = new pg.Pool({
      host,
      port,
      database: options.database,
      user: options.user || undefined,
      password: options.password || undefined,
      max: options.poolSize ?? 8,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      types: TYPES,
    });
    // Without a listener, a connection that breaks while idle (the server restarts) kills the process.
    this.pool.on('error', (e) => options.onIdleError?.(e));
  }

  /** Where this driver connects, for messages. */
  get target(): string {
    const { host, port } = splitHost(this.options.host, this.options.port ?? 5432);
    return `PostgreSQL database '${this.options.database}' on ${host}:${port} as '${this.options.user}'`;
  }

  private statement(sql: string): { text: string; name: string | undefined } {
    let s = this.names.get(sql);
    if (!s) {
      if (this.names.size >= NAMED_LIMIT * 4) this.names.clear();
      s = { text: toNumberedParameters(sql), name: undefined, uses: 0 };
      this.names.set(sql, s);
    }
    // Named (prepared once per connection) from the third use: one-off SQL (an operator's --query, a
    // C-FIND shape seen once) does not pile up prepared statements in the server.
    if (++s.uses === 3 && this.nameCounter < NAMED_LIMIT) s.name = `cq${++this.nameCounter}`;
    return s;
  }

  private async query(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params: SqlParams,
  ): Promise<pg.QueryResult> {
    if (this.closed) throw new Error(`${this.target}: the driver is closed`);
    try {
      // Without parameters: the simple protocol (BEGIN, SAVEPOINT, schema statements, an operator's text).
      if (params.length === 0) return await client.query(sql);
      const s = this.statement(sql);
      return await client.query({
        text: s.text,
        values: params as unknown[],
        ...(s.name ? { name: s.name } : {}),
      });
    } catch (e) {
      throw this.translate(e);
    }
  }

  private executor(client: pg.Pool | pg.PoolClient): DbExecutor {
    return {
      dialect: this.dialect,
      run: async (sql, params = []) => ({ changes: (await this.query(client, sql, params)).rowCount ?? 0 }),
      all: async <T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []) =>
        (await this.query(client, sql, params)).rows as T[],
      get: async <T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []) =>
        (await this.query(client, sql, params)).rows[0] as T | undefined,
    };
  }

  async run(sql: string, params: SqlParams = []): Promise<RunResult> {
    const r = await this.pooled(sql, params);
    return { changes: r.rowCount ?? 0 };
  }

  async all<T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []): Promise<T[]> {
    return (await this.pooled(sql, params)).rows as T[];
  }

  async get<T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return (await this.pooled(sql, params)).rows[0] as T | undefined;
  }

  /** A statement on any pooled connection; reads are sent again while the server restarts. */
  private pooled(sql: string, params: SqlParams): Promise<pg.QueryResult> {
    return withReconnect(() => this.query(this.pool, sql, params), isReadOnlyStatement(sql));
  }

  async transaction<T>(fn: (tx: DbExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.closed) throw new Error(`${this.target}: the driver is closed`);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.translate(e);
    }
    let broken: Error | undefined;
    // A connection that breaks while checked out emits 'error' on its client: without a listener the
    // process would die. The statement in flight fails on its own; the client is then discarded.
    const onError = (e: Error): void => {
      broken = e;
    };
    client.on('error', onError);
    try {
      await this.query(client, options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN', []);
      const result = await fn(this.executor(client));
      await this.query(client, 'COMMIT', []);
      this.commits++;
      return result;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection itself is gone: the pool must not hand it out again.
        broken = rollbackError as Error;
      }
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  isRetryable(error: unknown): boolean {
    if (error instanceof DatabaseUnavailableError) return error.retryable;
    const code = (error as PgError | undefined)?.code;
    return code !== undefined && RETRYABLE_CODES.has(code);
  }

  /** pg's errors → DatabaseUnavailableError where the database, not the statement, is the problem. */
  private translate(e: unknown): unknown {
    const code = (e as PgError | undefined)?.code;
    const message = (e as Error | undefined)?.message ?? String(e);
    const connectFailed = code === 'ECONNREFUSED' || /timeout exceeded when trying to connect/i.test(message);
    if (code === '28P01' || code === '28000')
      return databaseUnavailable(this.target, 'credentials', message, code);
    if (code === '3D000') return databaseUnavailable(this.target, 'no-database', message, code);
    if (
      (code && (NODE_NETWORK_CODES.has(code) || /^(57P0[123]|08)/.test(code))) ||
      /Connection terminated/i.test(message) ||
      connectFailed
    )
      return databaseUnavailable(this.target, 'unreachable', message, code, connectFailed);
    return e;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
