/**
 * Riding out a database restart for statements sent outside a transaction. A connection of the pool that
 * the server dropped fails its next statement; the pool then discards it, and the same statement on a new
 * connection works once the server accepts connections again. Reads are sent again for up to `budgetMs`
 * (with growing pauses); a failure to get a connection at all is waited out for any statement, since
 * nothing was sent. Transactions are retried whole by their callers (the indexer), not here.
 */
import { DatabaseUnavailableError } from './driver.js';

export interface ReconnectPolicy {
  /** How long to keep trying (ms, default 15000). */
  budgetMs?: number;
}

export async function withReconnect<T>(
  run: () => Promise<T>,
  canResend: boolean,
  policy: ReconnectPolicy = {},
): Promise<T> {
  const budget = policy.budgetMs ?? 15_000;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      const unavailable = e instanceof DatabaseUnavailableError && e.retryable;
      const beforeSending = unavailable && (e as DatabaseUnavailableError).beforeSending === true;
      if (!unavailable || !(canResend || beforeSending)) throw e;
      // The first retries at once: usually only the pooled connections died, and a new one works.
      const pause = attempt < 2 ? 0 : Math.min(1000, 50 * 2 ** (attempt - 2));
      if (Date.now() - started + pause > budget) throw e;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
