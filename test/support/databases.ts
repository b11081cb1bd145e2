/**
 * The index databases a test can run on: SQLite always; PostgreSQL (127.0.0.1:5432, user postgres, trust
 * auth) and MariaDB/MySQL (127.0.0.1:3306, root, no password) when a server answers there. Each test gets a
 * database of its own, made here and dropped afterwards.
 *
 * A server that does not answer makes its tests skip with the reason — except under CONQUEST_REQUIRE_DB=1
 * (set by .ci/run, which starts both servers), where that is a failure.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { DbDriver } from '../../src/db/driver.js';
import { createDriver } from '../../src/db/open-index.js';
import { SqliteDriver } from '../../src/db/sqlite.js';

export type TestDatabaseKind = 'sqlite' | 'postgres' | 'mysql';
export const TEST_DATABASE_KINDS: readonly TestDatabaseKind[] = ['sqlite', 'postgres', 'mysql'];

export const PG_HOST = '127.0.0.1';
export const PG_ADMIN = 'postgres';
export const MYSQL_HOST = '127.0.0.1';
export const MYSQL_ADMIN = 'root';

const availability = new Map<TestDatabaseKind, Promise<string | undefined>>();

/** Undefined when the kind can be used; otherwise why not (or throws under CONQUEST_REQUIRE_DB=1). */
export async function unavailable(kind: TestDatabaseKind): Promise<string | undefined> {
  if (kind === 'sqlite') return undefined;
  let p = availability.get(kind);
  if (!p) {
    p = probe(kind);
    availability.set(kind, p);
  }
  const why = await p;
  if (why && process.env['CONQUEST_REQUIRE_DB'] === '1') throw new Error(`CONQUEST_REQUIRE_DB=1 but ${why}`);
  return why;
}

async function probe(kind: 'postgres' | 'mysql'): Promise<string | undefined> {
  try {
    if (kind === 'postgres') {
      const c = new pg.Client({
        host: PG_HOST,
        user: PG_ADMIN,
        database: 'postgres',
        connectionTimeoutMillis: 15000,
      });
      await c.connect();
      await c.end();
    } else {
      const c = await mysql.createConnection({ host: MYSQL_HOST, user: MYSQL_ADMIN, connectTimeout: 15000 });
      await c.end();
    }
    return undefined;
  } catch (e) {
    return `no ${kind === 'postgres' ? 'PostgreSQL' : 'MariaDB/MySQL'} server at 127.0.0.1 (${(e as Error).message})`;
  }
}

let counter = 0;

export interface TestDatabase {
  readonly kind: TestDatabaseKind;
  /** The database name (SQLServer); for SQLite the file. */
  readonly name: string;
  /** dicom.ini lines selecting it. */
  readonly ini: Record<string, string>;
  drop(): Promise<void>;
}

/** A new empty database of this kind (SQLite: a file under dir). */
export async function createTestDatabase(kind: TestDatabaseKind, dir: string): Promise<TestDatabase> {
  const name = `cqts_t${process.pid}_${++counter}_${Date.now() % 100000}`;
  if (kind === 'sqlite') {
    const file = join(dir, 'data', 'dbase', `${name}.db3`);
    return { kind, name: file, ini: { SQLServer: file, SQLite: '1' }, drop: async () => {} };
  }
  if (kind === 'postgres') {
    await pgAdmin(`CREATE DATABASE ${name}`);
    return {
      kind,
      name,
      ini: {
        SQLHost: PG_HOST,
        SQLServer: name,
        Username: PG_ADMIN,
        Password: '',
        PostGres: '1',
        SQLite: '0',
      },
      drop: async () => {
        await pgAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  await mysqlAdmin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  return {
    kind,
    name,
    ini: {
      SQLHost: MYSQL_HOST,
      SQLServer: name,
      Username: MYSQL_ADMIN,
      Password: '',
      MySQL: '1',
      SQLite: '0',
    },
    drop: async () => {
      await mysqlAdmin(`DROP DATABASE IF EXISTS ${name}`);
    },
  };
}

export async function pgAdmin(sql: string, database = 'postgres'): Promise<unknown[]> {
  const c = new pg.Client({ host: PG_HOST, user: PG_ADMIN, database });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

export async function mysqlAdmin(sql: string, database?: string): Promise<unknown> {
  const c = await mysql.createConnection({
    host: MYSQL_HOST,
    user: MYSQL_ADMIN,
    ...(database ? { database } : {}),
  });
  try {
    return (await c.query(sql))[0];
  } finally {
    await c.end();
  }
}

/** Writes the database keys into dir/dicom.ini (replacing those there, adding the others). */
export function useDatabase(dir: string, db: TestDatabase): void {
  setIniKeys(dir, db.ini);
}

/** Sets keys of dir/dicom.ini's [sscscp] section (its only section): replaced where present, else added. */
export function setIniKeys(dir: string, keys: Record<string, string>): void {
  const file = join(dir, 'dicom.ini');
  let text = readFileSync(file, 'utf8');
  for (const [key, value] of Object.entries(keys)) {
    const line = new RegExp(`^${key}[ \\t]*=.*$`, 'im');
    text = line.test(text)
      ? text.replace(line, `${key} = ${value}`)
      : `${text.trimEnd()}\n${key} = ${value}\n`;
  }
  writeFileSync(file, text);
}

/** A driver on the test database, for checks made beside the server under test. */
export function openTestIndexDriver(db: TestDatabase): DbDriver {
  if (db.kind === 'sqlite') return new SqliteDriver(db.name, { readonly: true });
  const host = db.kind === 'postgres' ? PG_HOST : MYSQL_HOST;
  const user = db.kind === 'postgres' ? PG_ADMIN : MYSQL_ADMIN;
  return createDriver({ kind: db.kind, host, database: db.name, user, password: '' });
}
