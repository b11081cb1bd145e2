/**
 * Issue 6: the maintenance operations on every driver — add files, --query, delete a study, regen after
 * --initializetables — give the same rows on SQLite, PostgreSQL and MariaDB; the NULL driver stores files,
 * indexes nothing and answers every query with nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Archive, openArchive } from '../../../src/archive/archive.js';
import { deleteFromArchive } from '../../../src/archive/maintenance/delete.js';
import { addFile } from '../../../src/archive/maintenance/import.js';
import { regenAll } from '../../../src/archive/maintenance/regen.js';
import { runSqlQuery } from '../../../src/archive/maintenance/sql-query.js';
import { initializeTables } from '../../../src/archive/maintenance/tables.js';
import { loadConfig } from '../../../src/config/config.js';
import { quoteIdentifier } from '../../../src/db/schema.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { CORPUS_SKIP } from '../../support/corpus.js';
import {
  createTestDatabase,
  setIniKeys,
  TEST_DATABASE_KINDS,
  type TestDatabase,
  unavailable,
  useDatabase,
} from '../../support/databases.js';
import { deviceFiles, studyFiles } from './support.js';

const log = silentLogger;

async function counts(archive: Archive): Promise<number[]> {
  const ix = archive.index!;
  const out: number[] = [];
  for (const level of ['Patient', 'Study', 'Series', 'Image'] as const) {
    const t = ix.schema.levels[level]!.table;
    const q = (n: string) => quoteIdentifier(ix.driver.dialect, n);
    out.push(Number((await ix.driver.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${q(t)}`))!.n));
  }
  return out;
}

/** What each driver must end with, from the SQLite run (the reference). */
const results = new Map<string, unknown>();

for (const kind of TEST_DATABASE_KINDS) {
  const why = CORPUS_SKIP || (await unavailable(kind));
  describe(`maintenance on the ${kind} index`, { skip: why }, () => {
    const dir = mkdtempSync(join(tmpdir(), `cq-maint-${kind}-`));
    let db: TestDatabase;
    let archive: Archive | undefined;
    after(async () => {
      await archive?.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('add, query, delete, initialize and regen give the same rows as on SQLite', async () => {
      loadConfig(dir);
      db = await createTestDatabase(kind, dir);
      useDatabase(dir, db);
      archive = await openArchive(loadConfig(dir, { writeDefaults: false }), { log });
      const files = studyFiles();
      for (const f of files) await addFile(archive, f, { log });
      const added = await counts(archive);
      assert.equal(added[3], files.length);
      const query = await runSqlQuery(archive, {
        table: 'DICOMPatients',
        fields: 'PatientID,PatientNam',
        where: "PatientID LIKE 'PAT%'",
        format: '%s=%s',
      });
      const patients = query.trim().split('\n').sort();
      // The first study of the first patient, by SQL every dialect takes.
      const study = await archive.index!.driver.get<{ s: string }>(
        'SELECT StudyInsta AS s FROM DICOMStudies ORDER BY StudyInsta LIMIT 1',
      );
      const deleted = await deleteFromArchive(archive, { studyUid: study!.s }, { log });
      const afterDelete = await counts(archive);
      assert.equal(afterDelete[3], files.length - deleted.images);
      assert.equal(deviceFiles(archive).length, afterDelete[3], 'files and rows agree after the delete');
      await initializeTables(archive, 0, { log });
      assert.deepEqual(await counts(archive), [0, 0, 0, 0]);
      const regen = await regenAll(archive, { log });
      assert.equal(regen.failed, 0);
      const regenerated = await counts(archive);
      assert.deepEqual(regenerated, afterDelete, 'regen gives back what was there');
      const summary = { added, patients, deleted: { ...deleted }, afterDelete, regenerated };
      if (kind === 'sqlite') results.set('reference', summary);
      else if (results.has('reference')) assert.deepEqual(summary, results.get('reference'));
    });
  });
}

describe('the NULL driver', { skip: CORPUS_SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cq-maint-null-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stores files, indexes nothing, finds nothing', async () => {
    loadConfig(dir);
    setIniKeys(dir, { SQLServer: '' });
    const archive = await openArchive(loadConfig(dir, { writeDefaults: false }), { log });
    try {
      assert.equal(archive.index?.kind, 'null');
      const files = studyFiles().slice(0, 5);
      for (const f of files) await addFile(archive, f, { log });
      assert.equal(deviceFiles(archive).length, files.length);
      assert.equal(archive.indexer!.stats.indexed, files.length);
      const q = await runSqlQuery(archive, { table: 'DICOMImages', fields: '*', where: '', format: '' });
      assert.equal(q, '');
    } finally {
      await archive.close();
    }
  });
});
