/**
 * The NULL driver (manual 2.1: an empty SQLServer): accepts every write and answers every query with no
 * rows. A router or a speed test runs the whole store path — indexing included — without a database; C-FIND
 * finds nothing and C-MOVE has nothing to send.
 *
 * An INSERT reports one row written (so the indexer counts the object as added and never looks for a row
 * that cannot exist); UPDATE and DELETE report none. SQL text is produced in SQLite's dialect.
 */
import type { DbDriver, DbExecutor, RunResult, SqlParams, SqlRow } from './driver.js';

export class NullDriver implements DbDriver {
  readonly dialect = 'sqlite' as const;
  /** Statements accepted (for the status page and tests). */
  statements = 0;
  commits = 0;

  async run(sql: string, _params?: SqlParams): Promise<RunResult> {
    this.statements++;
    return { changes: /^\s*insert\b/i.test(sql) ? 1 : 0 };
  }

  async all<T extends SqlRow = SqlRow>(_sql: string, _params?: SqlParams): Promise<T[]> {
    this.statements++;
    return [];
  }

  async get<T extends SqlRow = SqlRow>(_sql: string, _params?: SqlParams): Promise<T | undefined> {
    this.statements++;
    return undefined;
  }

  async transaction<T>(fn: (tx: DbExecutor) => Promise<T>): Promise<T> {
    const r = await fn(this);
    this.commits++;
    return r;
  }

  async close(): Promise<void> {}
}
