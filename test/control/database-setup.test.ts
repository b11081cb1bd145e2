/**
 * Issue 6: `dgate -esap d u p` makes the index database and its login (harmless the second time), after
 * which `dgate -o` passes with those credentials; wrong credentials and a missing database are reported
 * plainly by `-o`, on PostgreSQL and MariaDB.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { repoRoot } from '../support/corpus.js';
import { MYSQL_HOST, mysqlAdmin, PG_HOST, pgAdmin, setIniKeys, unavailable } from '../support/databases.js';

const DGATE = join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js');

function dgate(dir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [DGATE, `-w${dir}`, ...args], { encoding: 'utf8' });
}

for (const kind of ['postgres', 'mysql'] as const) {
  const why = await unavailable(kind);
  describe(`-esap and -o on ${kind}`, { skip: why }, () => {
    const dir = mkdtempSync(join(tmpdir(), `cq-esap-${kind}-`));
    const db = `cqts_esap_${process.pid}`;
    const user = `cqts_u${process.pid}`;
    after(async () => {
      if (kind === 'postgres') {
        await pgAdmin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await pgAdmin(`DROP ROLE IF EXISTS ${user}`);
      } else {
        await mysqlAdmin(`DROP DATABASE IF EXISTS ${db}`);
        await mysqlAdmin(`DROP USER IF EXISTS '${user}'@'%'`);
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('makes the database, the login and the tables; a second run changes nothing; -o passes', () => {
      loadConfig(dir);
      setIniKeys(dir, {
        SQLHost: kind === 'postgres' ? PG_HOST : MYSQL_HOST,
        SQLServer: db,
        Username: kind === 'postgres' ? 'postgres' : 'root',
        ...(kind === 'postgres' ? { PostGres: '1' } : { MySQL: '1' }),
        SQLite: '0',
      });
      const first = dgate(dir, '-e', db, user, 'pw-1');
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, new RegExp(`created database ${db}`));
      assert.match(first.stdout, new RegExp(`created user ${user}`));
      assert.match(first.stdout, /created the tables of dicom\.sql/);
      const again = dgate(dir, '-e', db, user, 'pw-1');
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /exists already/);
      assert.match(again.stdout, /tables present/);
      setIniKeys(dir, { Username: user, Password: 'pw-1' });
      const test = dgate(dir, '-o');
      assert.equal(test.status, 0, test.stdout + test.stderr);
      assert.match(test.stdout, /tables match dicom\.sql/);
      assert.match(test.stdout, /Succesful end of test/);
    });

    it('-o names the problem: wrong password, missing database', () => {
      setIniKeys(dir, { Username: user, Password: 'wrong' });
      const bad = dgate(dir, '-o');
      // Trust authentication (this machine's PostgreSQL) accepts any password: only MariaDB refuses it.
      if (kind === 'mysql') {
        assert.equal(bad.status, 1);
        assert.match(bad.stderr + bad.stdout, /refused the credentials/);
      }
      setIniKeys(dir, { Password: 'pw-1', SQLServer: `${db}_missing` });
      const missing = dgate(dir, '-o');
      assert.equal(missing.status, 1);
      assert.match(missing.stderr + missing.stdout, /does not exist|refused the credentials/);
    });
  });
}
