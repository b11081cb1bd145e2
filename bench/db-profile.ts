/**
 * A DbDriver that counts what goes through it: statements by their first word (INSERT, SELECT, UPDATE,
 * SAVEPOINT, RELEASE...), transactions, and the time spent waiting for each — so that a benchmark can say
 * where a writer's time goes (round trips per image, time in COMMIT, time outside the database).
 * For the networked drivers each statement is one round trip; for SQLite a synchronous call.
 */
import type {
  DbDriver,
  DbExecutor,
  RunResult,
  SqlParams,
  SqlRow,
  TransactionOptions,
} from '../src/db/driver.js';

export interface StatementStats {
  count: number;
  ms: number;
}

export class ProfilingDriver implements DbDriver {
  readonly dialect: DbDriver['dialect'];
  /** By first word of the SQL, upper-cased. */
  readonly statements = new Map<string, StatementStats>();
  transactions = 0;
  /** Time inside transaction() in all: BEGIN, the statements, COMMIT. */
  transactionMs = 0;
  /** Time in the statements of transactions (transactionMs minus this is BEGIN + COMMIT + pool). */
  statementMsInTransactions = 0;

  private readonly outside: DbExecutor;

  constructor(readonly inner: DbDriver) {
    this.dialect = inner.dialect;
    this.outside = this.wrap(inner, false);
  }

  private count(sql: string, ms: number, inTransaction: boolean): void {
    const word = (/^\s*(\w+)/.exec(sql)?.[1] ?? '?').toUpperCase();
    const s = this.statements.get(word) ?? { count: 0, ms: 0 };
    s.count++;
    s.ms += ms;
    this.statements.set(word, s);
    if (inTransaction) this.statementMsInTransactions += ms;
  }

  private timed<T>(sql: string, inTransaction: boolean, call: () => Promise<T>): Promise<T> {
    const t = performance.now();
    return call().finally(() => this.count(sql, performance.now() - t, inTransaction));
  }

  private wrap(exec: DbExecutor, inTransaction: boolean): DbExecutor {
    return {
      dialect: exec.dialect,
      run: (sql: string, params?: SqlParams): Promise<RunResult> =>
        this.timed(sql, inTransaction, () => exec.run(sql, params)),
      all: <T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<T[]> =>
        this.timed(sql, inTransaction, () => exec.all<T>(sql, params)),
      get: <T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<T | undefined> =>
        this.timed(sql, inTransaction, () => exec.get<T>(sql, params)),
    };
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.outside.run(sql, params);
  }

  all<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.outside.all<T>(sql, params);
  }

  get<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return this.outside.get<T>(sql, params);
  }

  async transaction<T>(fn: (tx: DbExecutor) => Promise<T>, options?: TransactionOptions): Promise<T> {
    const t = performance.now();
    try {
      return await this.inner.transaction((tx) => fn(this.wrap(tx, true)), options);
    } finally {
      this.transactions++;
      this.transactionMs += performance.now() - t;
    }
  }

  isRetryable(error: unknown): boolean {
    return this.inner.isRetryable?.(error) ?? false;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** One line: statements per image by kind, round trips per image, and where the wall time went. */
  summary(images: number, wallMs: number): string {
    const per = (n: number): string => (n / images).toFixed(2);
    const kinds = [...this.statements.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([w, s]) => `${w} ${per(s.count)} (${(s.ms / 1000).toFixed(1)} s)`)
      .join(', ');
    const total = [...this.statements.values()].reduce((s, x) => s + x.count, 0);
    const commitMs = this.transactionMs - this.statementMsInTransactions;
    const outsideMs = wallMs - this.transactionMs;
    return (
      `${per(total)} statements/image: ${kinds}; ${this.transactions} transactions ` +
      `(${(images / Math.max(1, this.transactions)).toFixed(0)} images each); in transactions but not in statements ` +
      `(BEGIN, COMMIT, the writer's own work) ${(commitMs / 1000).toFixed(1)} s; ` +
      `outside transactions ${(Math.max(0, outsideMs) / 1000).toFixed(1)} s of ${(wallMs / 1000).toFixed(1)} s`
    );
  }
}
