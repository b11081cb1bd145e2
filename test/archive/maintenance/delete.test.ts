/**
 * Deleting at each level (image, series, study, patient, studies by date): rows and files go together, and
 * upper rows left without children go too; "from db only" leaves the files.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Archive } from '../../../src/archive/archive.js';
import {
  deleteFromArchive,
  deleteImageFile,
  deleteSummary,
  parseDateRange,
} from '../../../src/archive/maintenance/delete.js';
import { loadAndDeleteDir } from '../../../src/archive/maintenance/import.js';
import { regenAll } from '../../../src/archive/maintenance/regen.js';
import { quoteIdentifier } from '../../../src/db/schema.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { CORPUS_SKIP } from '../../support/corpus.js';
import {
  count,
  deviceFiles,
  openTestArchive,
  rowFiles,
  sqliteOf,
  studyFiles,
  tempServerDir,
} from './support.js';

const log = silentLogger;

function column(
  archive: Archive,
  level: 'Study' | 'Series' | 'Image',
  sql: string,
  params: string[],
): string[] {
  const index = archive.index!;
  const m = index.schema.levels[level]!;
  const q = (n: string) => quoteIdentifier('sqlite', n);
  return sqliteOf(archive)
    .allSync<{ v: string }>(`SELECT ${q(m.key.column)} AS v FROM ${q(m.table)} WHERE ${sql}`, params)
    .map((r) => r.v);
}

/** No file without a row, no row without a file. */
function assertConsistent(archive: Archive): void {
  assert.deepEqual(rowFiles(archive), deviceFiles(archive));
}

describe('deleting from the archive', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  let archive: Archive;
  const all = CORPUS_SKIP ? [] : studyFiles();
  before(() => {
    dir = tempServerDir('cq-delete-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    // A fresh archive with the whole corpus study for each case.
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    archive = await openTestArchive(dir);
    const drop = join(dir, 'drop');
    for (const f of all) {
      const to = join(drop, basename(dirname(dirname(f))), basename(dirname(f)), basename(f));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(f, to);
    }
    const r = await loadAndDeleteDir(archive, drop, { log });
    assert.equal(r.loaded, all.length);
  });

  const close = async () => {
    await archive.close();
  };

  it('a patient: its rows and files, nothing of the others', async () => {
    try {
      const before = count(archive, 'Image');
      const r = await deleteFromArchive(archive, { patientId: 'PAT001' }, { log });
      assert.equal(r.images, studyFiles('PAT001').length);
      assert.equal(r.files, r.images);
      assert.deepEqual([r.studies, r.patients], [2, 1]);
      assert.equal(count(archive, 'Image'), before - r.images);
      assert.equal(count(archive, 'Patient'), 2);
      assert.equal(count(archive, 'Study'), 4);
      assert.ok(!deviceFiles(archive).some((f) => f.includes('PAT001')));
      assertConsistent(archive);
      assert.match(deleteSummary(r), /^deleted 62 images \(62 files\), 5 series, 2 studies, 1 patient$/);
    } finally {
      await close();
    }
  });

  it('a study, then a series, then an image; upper rows go when emptied', async () => {
    try {
      const [study] = column(archive, 'Study', 'StudyDate = ?', ['20200630']);
      const r1 = await deleteFromArchive(archive, { patientId: 'PAT002', studyUid: study! }, { log });
      assert.deepEqual([r1.studies, r1.patients], [1, 0]);
      assert.equal(count(archive, 'Study'), 5);
      assertConsistent(archive);

      const [series] = column(archive, 'Series', 'Modality = ?', ['MR']);
      const images = column(archive, 'Image', 'SeriesInst = ?', [series!]);
      const r2 = await deleteFromArchive(archive, { seriesUid: series! }, { log });
      assert.deepEqual([r2.images, r2.series], [images.length, 1]);
      assert.equal(column(archive, 'Series', 'SeriesInst = ?', [series!]).length, 0);
      assertConsistent(archive);

      const [sop] = column(archive, 'Image', '1 = 1 ORDER BY SOPInstanc LIMIT 1', []);
      const r3 = await deleteFromArchive(archive, { sopUid: sop! }, { log });
      assert.equal(r3.images, 1);
      assert.equal(r3.files, 1);
      assertConsistent(archive);
      // A wrong patient ID matches nothing.
      const [other] = column(archive, 'Image', '1 = 1 LIMIT 1', []);
      const r4 = await deleteFromArchive(archive, { sopUid: other!, patientId: 'NOBODY' }, { log });
      assert.equal(r4.images, 0);
    } finally {
      await close();
    }
  });

  it('studies by date range: only those, and patients left without studies', async () => {
    try {
      const r = await deleteFromArchive(archive, { studyDate: '20200101-20221231' }, { log });
      // 20200630 and 20211111 (PAT002) and 20221231 (PAT003).
      assert.equal(r.studies, 3);
      assert.equal(r.patients, 1);
      assert.deepEqual(
        column(archive, 'Study', 'StudyDate >= ? AND StudyDate <= ?', ['20200101', '20221231']),
        [],
      );
      assert.equal(count(archive, 'Study'), 3);
      assertConsistent(archive);
      const single = await deleteFromArchive(archive, { studyDate: '20190115' }, { log });
      assert.equal(single.studies, 1);
      assertConsistent(archive);
    } finally {
      await close();
    }
  });

  it('"from db only" removes the rows and leaves the files, which a regen brings back', async () => {
    try {
      const file = deviceFiles(archive)[0]!;
      const r = await deleteImageFile(archive, file, { log, keepFiles: true });
      assert.equal(r.images, 1);
      assert.equal(r.files, 0);
      assert.ok(existsSync(file));
      assert.ok(!rowFiles(archive).includes(file));
      const rp = await deleteFromArchive(archive, { patientId: 'PAT003' }, { log, keepFiles: true });
      assert.ok(rp.images > 0);
      assert.ok(deviceFiles(archive).some((f) => f.includes('PAT003')));
      await regenAll(archive, { log });
      assert.equal(count(archive, 'Image'), all.length);
      assertConsistent(archive);
    } finally {
      await close();
    }
  });

  it('--deleteimagefile removes the file and its row', async () => {
    try {
      const file = deviceFiles(archive).at(-1)!;
      const r = await deleteImageFile(archive, file, { log });
      assert.deepEqual([r.images, r.files], [1, 1]);
      assert.ok(!existsSync(file));
      assertConsistent(archive);
    } finally {
      await close();
    }
  });

  it('date arguments: single day, ranges, open ends; nonsense refused', () => {
    assert.deepEqual(parseDateRange('20200101'), ['20200101', '20200101']);
    assert.deepEqual(parseDateRange('20200101-20201231'), ['20200101', '20201231']);
    assert.deepEqual(parseDateRange('20200101-'), ['20200101', '']);
    assert.deepEqual(parseDateRange('-20200101'), ['', '20200101']);
    for (const bad of ['', '-', '2020', '2020010120201231', 'today'])
      assert.throws(() => parseDateRange(bad), /not a date/);
    // not touching the archive
    return close();
  });
});
