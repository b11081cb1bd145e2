/**
 * `dgate -esap d u p` (manual Appendix 5: "database with SAPw"): makes the index database `d` and the login
 * `u` with password `p`, using the administrator's password `sap` (PostgreSQL: the `postgres` superuser;
 * MySQL/MariaDB: `root`), as Conquest's installer does. What exists already is reported and kept — running
 * it twice is harmless. DDL takes no parameters, so names are checked (letters, digits, `_`, `$`) and the
 * password goes as a quoted literal made by the driver's own escaping.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { DatabaseUnavailableError } from './driver.js';
import { splitHost } from './postgres.js';

export interface CreateDatabaseRequest {
  kind: 'postgres' | 'mysql';
  /** dicom.ini SQLHost (host or host:port). */
  host: string;
  adminPassword: string;
  /** The administrator (default postgres / root). */
  adminUser?: string;
  database: string;
  user: string;
  password: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

export class CreateDatabaseError extends Error {
  override readonly name = 'CreateDatabaseError';
}

/** Creates what is missing; returns one line per step ("created ...", "... exists already"). */
export async function createIndexDatabase(r: CreateDatabaseRequest): Promise<string[]> {
  for (const [what, v] of [
    ['database', r.database],
    ['user', r.user],
  ] as const)
    if (!NAME.test(v))
      throw new CreateDatabaseError(`${what} name '${v}': use letters, digits and _ only (at most 63)`);
  return r.kind === 'postgres' ? createPostgres(r) : createMysql(r);
}

async function createPostgres(r: CreateDatabaseRequest): Promise<string[]> {
  const { host, port } = splitHost(r.host, 5432);
  const admin = r.adminUser || 'postgres';
  const client = new pg.Client({
    host,
    port,
    user: admin,
    password: r.adminPassword || undefined,
    database: 'postgres',
  });
  try {
    await client.connect();
  } catch (e) {
    throw new DatabaseUnavailableError(
      `cannot connect to PostgreSQL on ${host}:${port} as ${admin}: ${(e as Error).message}`,
      false,
    );
  }
  const out: string[] = [];
  try {
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [r.user]);
    if (role.rowCount) out.push(`user ${r.user} exists already`);
    else {
      await client.query(
        `CREATE ROLE ${client.escapeIdentifier(r.user)} LOGIN PASSWORD ${client.escapeLiteral(r.password)}`,
      );
      out.push(`created user ${r.user}`);
    }
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [r.database]);
    if (db.rowCount) out.push(`database ${r.database} exists already`);
    else {
      // UTF8 whatever the cluster's default: every value a DICOM object can hold.
      await client.query(
        `CREATE DATABASE ${client.escapeIdentifier(r.database)} OWNER ${client.escapeIdentifier(r.user)} ENCODING 'UTF8' TEMPLATE template0`,
      );
      out.push(`created database ${r.database} (owner ${r.user})`);
    }
  } finally {
    await client.end();
  }
  return out;
}

async function createMysql(r: CreateDatabaseRequest): Promise<string[]> {
  const { host, port } = splitHost(r.host, 3306);
  const admin = r.adminUser || 'root';
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ host, port, user: admin, password: r.adminPassword });
  } catch (e) {
    throw new DatabaseUnavailableError(
      `cannot connect to MySQL on ${host}:${port} as ${admin}: ${(e as Error).message}`,
      false,
    );
  }
  const out: string[] = [];
  try {
    const [dbs] = await conn.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [
      r.database,
    ]);
    if ((dbs as unknown[]).length) out.push(`database ${r.database} exists already`);
    else {
      await conn.query(`CREATE DATABASE \`${r.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      out.push(`created database ${r.database}`);
    }
    if (r.user === admin) {
      out.push(`user ${r.user} is the administrator: nothing to grant`);
      return out;
    }
    // mysql2's query() escapes the ? values on the client: the password is a quoted literal.
    const [users] = await conn.query('SELECT 1 FROM mysql.user WHERE user = ?', [r.user]);
    if ((users as unknown[]).length) out.push(`user ${r.user} exists already`);
    else {
      await conn.query("CREATE USER ?@'%' IDENTIFIED BY ?", [r.user, r.password]);
      out.push(`created user ${r.user}`);
    }
    await conn.query(`GRANT ALL PRIVILEGES ON \`${r.database}\`.* TO ?@'%'`, [r.user]);
    out.push(`granted ${r.user} all privileges on ${r.database}`);
  } finally {
    await conn.end();
  }
  return out;
}
