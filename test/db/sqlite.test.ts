import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DicomSql, defaultDicomSqlText } from '../../src/db/dicom-sql.js';
import { buildSchema, createStatements, schemaFingerprint } from '../../src/db/schema.js';
import {
  META_TABLE,
  openSqliteIndex,
  SchemaChangedError,
  SqliteDriver,
  splitStatements,
} from '../../src/db/sqlite.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cqts-sqlite-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const defaultSql = () => DicomSql.parse(defaultDicomSqlText());

describe('SqliteDriver', () => {
  it('runs parameterised statements, WAL and synchronous=NORMAL, SQLiteStartup after ours', async () => {
    const db = new SqliteDriver(join(tempDir(), 'x.db3'), {
      startup: 'PRAGMA cache_size=-4000; PRAGMA temp_store=2',
    });
    assert.equal(db.getSync<{ journal_mode: string }>('PRAGMA journal_mode')?.journal_mode, 'wal');
    assert.equal(db.getSync<{ synchronous: number }>('PRAGMA synchronous')?.synchronous, 1);
    assert.equal(db.getSync<{ cache_size: number }>('PRAGMA cache_size')?.cache_size, -4000);
    await db.run('CREATE TABLE t (a varchar(10), b int)');
    await db.run('INSERT INTO t (a, b) VALUES (?, ?)', ["it's; -- not SQL", 3]);
    assert.deepEqual(await db.all('SELECT a, b FROM t'), [{ a: "it's; -- not SQL", b: 3 }]);
    await db.close();
  });

  it('commits a transaction when fn resolves and rolls it back when it throws', async () => {
    const file = join(tempDir(), 't.db3');
    const db = new SqliteDriver(file);
    await db.run('CREATE TABLE t (a int)');
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (a) VALUES (?)', [1]);
    });
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (a) VALUES (?)', [2]);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await db.all('SELECT a FROM t'), [{ a: 1 }]);
    assert.equal(db.commits, 1);
    await db.close();
  });

  it('splits SQLiteStartup at semicolons outside quotes', () => {
    assert.deepEqual(splitStatements("PRAGMA a=1; SELECT ';x' ;;"), ['PRAGMA a=1', "SELECT ';x'"]);
    assert.deepEqual(splitStatements(''), []);
  });
});

describe('openSqliteIndex', () => {
  it('creates folders, the file, the tables of dicom.sql and CQTS_META on a fresh database', async () => {
    const file = join(tempDir(), 'data', 'dbase', 'conquest.db3');
    const opened = openSqliteIndex({ file, dicomSql: defaultSql() });
    assert.equal(opened.created, true);
    assert.equal(opened.schemaChanged, undefined);
    assert.ok(existsSync(file));
    const tables = opened.driver
      .allSync<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .map((r) => r.name);
    for (const t of [
      'DICOMPatients',
      'DICOMStudies',
      'DICOMSeries',
      'DICOMImages',
      'DICOMWorkList',
      'UIDMODS',
      META_TABLE,
    ])
      assert.ok(tables.includes(t), `${t} in ${tables.join(', ')}`);
    const indices = opened.driver
      .allSync<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index'")
      .map((r) => r.name);
    for (const i of ['images_lnk', 'images_pat', 'idx_seriesinst_sopinstanc', 'study_lnk', 'series_pat'])
      assert.ok(indices.includes(i), i);
    const fp = opened.driver.getSync<{ value: string }>(`SELECT value FROM ${META_TABLE} WHERE key = ?`, [
      'schema_fingerprint',
    ]);
    assert.equal(fp?.value, schemaFingerprint(buildSchema(defaultSql())));
    await opened.driver.close();

    const again = openSqliteIndex({ file, dicomSql: defaultSql() });
    assert.equal(again.created, false);
    assert.equal(again.schemaChanged, undefined);
    await again.driver.close();
  });

  it('detects a changed dicom.sql at open, reports that a regen is needed, and drops nothing', async () => {
    const file = join(tempDir(), 'c.db3');
    const first = openSqliteIndex({ file, dicomSql: defaultSql() });
    await first.driver.run('INSERT INTO DICOMPatients (PatientID, PatientNam) VALUES (?, ?)', ['P1', 'A^B']);
    await first.driver.close();

    const edited = defaultSql();
    edited.setField('Patient', 1, { length: 128 });
    const second = openSqliteIndex({ file, dicomSql: edited });
    assert.ok(second.schemaChanged instanceof SchemaChangedError);
    assert.match(second.schemaChanged.message, /dicom\.sql changed: a regen is needed/);
    assert.equal((await second.driver.all('SELECT PatientID FROM DICOMPatients')).length, 1);
    await second.driver.close();

    assert.throws(
      () => openSqliteIndex({ file, dicomSql: edited, onSchemaChange: 'error' }),
      SchemaChangedError,
    );

    // A DT_STR ↔ DT_ISTR change needs no regen (manual 7.3).
    const istr = defaultSql();
    istr.setField('Patient', 1, { dicomType: 'DT_ISTR' });
    const third = openSqliteIndex({ file, dicomSql: istr });
    assert.equal(third.schemaChanged, undefined);
    await third.driver.close();
  });

  it('accepts a database Conquest made (no CQTS_META) when its columns match, else reports the difference', async () => {
    const schema = buildSchema(defaultSql());
    const file = join(tempDir(), 'conquest.db3');
    const raw = new SqliteDriver(file);
    for (const s of createStatements(schema, 'sqlite')) raw.exec(s);
    await raw.close();
    const opened = openSqliteIndex({ file, dicomSql: defaultSql() });
    assert.equal(opened.schemaChanged, undefined);
    assert.ok(opened.driver.getSync(`SELECT value FROM ${META_TABLE} WHERE key = 'schema_fingerprint'`));
    await opened.driver.close();

    const file2 = join(tempDir(), 'conquest2.db3');
    const raw2 = new SqliteDriver(file2);
    for (const s of createStatements(schema, 'sqlite')) raw2.exec(s);
    raw2.exec('ALTER TABLE DICOMSeries ADD COLUMN Extra varchar(10)');
    await raw2.close();
    const opened2 = openSqliteIndex({ file: file2, dicomSql: defaultSql() });
    assert.ok(opened2.schemaChanged);
    assert.match(opened2.schemaChanged.message, /DICOMSeries: column extra not in dicom\.sql/);
    await opened2.driver.close();
  });
});
