/**
 * Login sessions: random 256-bit ids, kept in memory only (a restart logs everybody out), each with its
 * CSRF token, an idle timeout and an absolute lifetime. The role is not stored: it is looked up at each
 * request, so a changed or removed account takes effect at once.
 */
import { randomBytes } from 'node:crypto';

export interface Session {
  readonly id: string;
  readonly user: string;
  readonly csrf: string;
  readonly created: number;
  lastSeen: number;
}

export interface SessionOptions {
  idleMs?: number;
  maxAgeMs?: number;
  now?: () => number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: SessionOptions = {}) {
    this.idleMs = options.idleMs ?? 2 * 3600_000;
    this.maxAgeMs = options.maxAgeMs ?? 12 * 3600_000;
    this.now = options.now ?? Date.now;
  }

  create(user: string): Session {
    this.sweep();
    const t = this.now();
    const s: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      csrf: randomBytes(32).toString('base64url'),
      created: t,
      lastSeen: t,
    };
    this.sessions.set(s.id, s);
    return s;
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.lastSeen > this.idleMs || t - s.created > this.maxAgeMs) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeen = t;
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** Ends every session of a user (password reset, account removed). */
  destroyUser(user: string): void {
    for (const [id, s] of this.sessions) if (s.user === user) this.sessions.delete(id);
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, s] of this.sessions)
      if (t - s.lastSeen > this.idleMs || t - s.created > this.maxAgeMs) this.sessions.delete(id);
  }
}

/**
 * Failed logins per key (an IP address, a user name): after `free` failures each further attempt is
 * refused for a time that doubles with every failure (1 s, 2 s, 4 s ... at most 15 minutes). A success
 * clears the key.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly free = 5,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the key may try again (0: now). */
  blockedFor(key: string): number {
    const f = this.failures.get(key);
    if (!f) return 0;
    return Math.max(0, f.until - this.now());
  }

  fail(key: string): void {
    const f = this.failures.get(key) ?? { count: 0, until: 0 };
    f.count++;
    if (f.count >= this.free) f.until = this.now() + Math.min(15 * 60_000, 1000 * 2 ** (f.count - this.free));
    this.failures.set(key, f);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }
}
