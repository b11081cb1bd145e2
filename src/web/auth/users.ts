/**
 * Web accounts: `webusers.json` in the server folder (Conquest TS addition). Passwords are stored as
 * scrypt hashes with a per-user salt (`scrypt$N$r$p$salt$hash`, base64), compared with timingSafeEqual;
 * bearer tokens for DICOMweb viewers are stored as SHA-256 hashes (a token is 256 random bits, so a fast
 * hash is enough). The file is re-read when it changes on disk and written atomically (mode 0600).
 * dicom.ini `admin_password` (manual Appendix 4) adds the login `admin` with the admin role.
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLE_ORDER, type WebRole } from './user.js';

export const USERS_FILE = 'webusers.json';

export class AccountError extends Error {
  override readonly name = 'AccountError';
}

export interface StoredUser {
  name: string;
  role: WebRole;
  /** scrypt$N$r$p$salt$hash */
  password: string;
}

export interface StoredToken {
  id: string;
  user: string;
  /** SHA-256 of the token, hex. */
  hash: string;
  label: string;
  created: string;
}

interface UsersFile {
  users: StoredUser[];
  tokens: StoredToken[];
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };
const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const TOKEN_PREFIX = 'cqt_';

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || N > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  if (want.length < 16) return false;
  const got = scryptSync(password, salt, want.length, { N, r, p, maxmem: 256 * N * r + (1 << 20) });
  return timingSafeEqual(got, want);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time comparison of two strings of any length. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

export function validUserName(name: string): boolean {
  return NAME.test(name);
}

export function isRole(x: unknown): x is WebRole {
  return typeof x === 'string' && (ROLE_ORDER as readonly string[]).includes(x);
}

export class UserStore {
  private data: UsersFile = { users: [], tokens: [] };
  private mtime = -1;

  constructor(
    private readonly dir: () => string,
    /** dicom.ini admin_password, read at each login ('' = none). */
    private readonly adminPassword: () => string,
  ) {}

  get file(): string {
    return join(this.dir(), USERS_FILE);
  }

  /** The file as now on disk (re-read when its mtime changed); a broken file is an error, not "no users". */
  private load(): UsersFile {
    const file = this.file;
    if (!existsSync(file)) {
      this.data = { users: [], tokens: [] };
      this.mtime = -1;
      return this.data;
    }
    const m = statSync(file).mtimeMs;
    if (m === this.mtime) return this.data;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<UsersFile>;
    const users = (parsed.users ?? []).filter(
      (u) => u && validUserName(u.name) && isRole(u.role) && typeof u.password === 'string',
    );
    const tokens = (parsed.tokens ?? []).filter(
      (t) => t && typeof t.hash === 'string' && typeof t.user === 'string' && typeof t.id === 'string',
    );
    this.data = { users, tokens };
    this.mtime = m;
    return this.data;
  }

  private save(data: UsersFile): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.data = data;
    this.mtime = statSync(this.file).mtimeMs;
  }

  users(): readonly StoredUser[] {
    return this.load().users;
  }

  tokens(): readonly StoredToken[] {
    return this.load().tokens;
  }

  /** The role of a known login (file users, and `admin` when admin_password is set); undefined otherwise. */
  roleOf(name: string): WebRole | undefined {
    const u = this.load().users.find((x) => x.name === name);
    if (u) return u.role;
    if (name === 'admin' && this.adminPassword()) return 'admin';
    return undefined;
  }

  /** Whether anybody can log in at all (for the login page's hint). */
  hasAccounts(): boolean {
    return this.load().users.length > 0 || this.adminPassword() !== '';
  }

  /** Checks a password; the role on success. Always does the scrypt work, so timing tells nothing. */
  authenticate(name: string, password: string): WebRole | undefined {
    const u = this.load().users.find((x) => x.name === name);
    if (u) return verifyPassword(password, u.password) ? u.role : undefined;
    // Unknown user: hash anyway against a dummy so that the answer takes as long.
    verifyPassword(password, DUMMY_HASH);
    const admin = this.adminPassword();
    if (name === 'admin' && admin && sameSecret(password, admin)) return 'admin';
    return undefined;
  }

  /** Adds or changes a user (role and/or password). */
  setUser(name: string, change: { role?: WebRole; password?: string }): void {
    if (!validUserName(name)) throw new AccountError('a user name is 1-64 letters, digits, . _ @ -');
    if (change.role !== undefined && !isRole(change.role)) throw new AccountError('unknown role');
    if (change.password !== undefined && change.password.length < 8)
      throw new AccountError('a password has at least 8 characters');
    const data = structuredClone(this.load());
    let u = data.users.find((x) => x.name === name);
    if (!u) {
      if (!change.password) throw new AccountError('a new user needs a password');
      u = { name, role: change.role ?? 'viewer', password: '' };
      data.users.push(u);
    }
    if (change.role) u.role = change.role;
    if (change.password) u.password = hashPassword(change.password);
    this.save(data);
  }

  removeUser(name: string): boolean {
    const data = structuredClone(this.load());
    const before = data.users.length;
    data.users = data.users.filter((u) => u.name !== name);
    data.tokens = data.tokens.filter((t) => t.user !== name);
    if (data.users.length === before) return false;
    this.save(data);
    return true;
  }

  /** A new bearer token for a user; the token itself is returned once and only its hash kept. */
  createToken(user: string, label: string): string {
    if (!this.roleOf(user)) throw new AccountError(`no user ${user}`);
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const data = structuredClone(this.load());
    data.tokens.push({
      id: randomBytes(6).toString('hex'),
      user,
      hash: sha256(token).toString('hex'),
      label: label.slice(0, 64),
      created: new Date().toISOString(),
    });
    this.save(data);
    return token;
  }

  revokeToken(id: string): boolean {
    const data = structuredClone(this.load());
    const before = data.tokens.length;
    data.tokens = data.tokens.filter((t) => t.id !== id);
    if (data.tokens.length === before) return false;
    this.save(data);
    return true;
  }

  /** The user and role a bearer token belongs to. */
  byToken(token: string): { name: string; role: WebRole } | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const h = sha256(token);
    for (const t of this.load().tokens) {
      const want = Buffer.from(t.hash, 'hex');
      if (want.length === h.length && timingSafeEqual(want, h)) {
        const role = this.roleOf(t.user);
        return role ? { name: t.user, role } : undefined;
      }
    }
    return undefined;
  }
}

const DUMMY_HASH = hashPassword(randomBytes(12).toString('hex'));
