/**
 * Regen: the index rebuilt from the files on the MAG devices answers C-FIND as the one built while storing;
 * one image row per file; what is not DICOM by name is skipped quietly, an unreadable DICOM file reported.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { regenAll, regenDevice, regenDir, regenFile } from '../../../src/archive/maintenance/regen.js';
import { quoteIdentifier } from '../../../src/db/schema.js';
import { LineLogger, silentLogger } from '../../../src/logging/logger.js';
import { contextsForFiles, DicomClient, describeFile } from '../../../src/net/client.js';
import { startServer } from '../../../src/server.js';
import { CORPUS_SKIP } from '../../support/corpus.js';
import {
  count,
  deviceFiles,
  findAll,
  openTestArchive,
  rowFiles,
  sqliteOf,
  studyFiles,
  tempServerDir,
} from './support.js';

async function storeAll(port: number, files: string[]): Promise<void> {
  const described = await Promise.all(files.map((f) => describeFile(f)));
  const client = await DicomClient.connect(
    { host: '127.0.0.1', port, callingAETitle: 'STORESCU', calledAETitle: 'CONQUESTSRV1' },
    contextsForFiles(described),
  );
  try {
    for (const f of described) assert.equal(await client.storeFile(f), 0, f.path);
  } finally {
    await client.release();
  }
}

async function answers(port: number): Promise<Record<string, string[]>> {
  return {
    patients: await findAll(port, 'PATIENT', { PatientID: '', PatientName: '', PatientBirthDate: '' }),
    studies: await findAll(port, 'STUDY', {
      StudyInstanceUID: '',
      PatientID: '',
      StudyDate: '',
      AccessionNumber: '',
      StudyDescription: '',
      ModalitiesInStudy: '',
    }),
    series: await findAll(port, 'SERIES', {
      SeriesInstanceUID: '',
      StudyInstanceUID: '',
      Modality: '',
      SeriesNumber: '',
    }),
    images: await findAll(port, 'IMAGE', { SOPInstanceUID: '', SeriesInstanceUID: '', InstanceNumber: '' }),
  };
}

function collectingLog(): { log: LineLogger; lines: string[] } {
  const lines: string[] = [];
  return { log: new LineLogger((l) => lines.push(l)), lines };
}

describe('regen', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  const files = CORPUS_SKIP ? [] : studyFiles();
  before(() => {
    dir = tempServerDir('cq-regen-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('after the database is deleted, --regen gives the same C-FIND answers, one image per file', async () => {
    let server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
    let stored: Record<string, string[]>;
    try {
      await storeAll(server.port, files);
      stored = await answers(server.port);
    } finally {
      await server.close(1000);
    }
    assert.equal(stored.images!.length, files.length);
    assert.equal(stored.patients!.length, 3);
    assert.equal(stored.studies!.length, 6);
    for (const f of ['conquest.db3', 'conquest.db3-wal', 'conquest.db3-shm'])
      rmSync(join(dir, 'data', 'dbase', f), { force: true });

    const archive = await openTestArchive(dir);
    const { log, lines } = collectingLog();
    try {
      assert.equal(count(archive, 'Image'), 0);
      const r = await regenAll(archive, { log });
      assert.equal(r.indexed, files.length);
      assert.equal(r.failed, 0);
      assert.equal(count(archive, 'Image'), deviceFiles(archive).length);
      assert.deepEqual(rowFiles(archive), deviceFiles(archive));
      assert.match(
        lines.at(-1)!,
        new RegExp(`regen: \\d+ files, ${files.length} indexed, \\d+ skipped, 0 failed`),
      );
    } finally {
      await archive.close();
    }
    server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
    try {
      assert.deepEqual(await answers(server.port), stored);
    } finally {
      await server.close(1000);
    }
  });

  it('skips non-DICOM names quietly and reports an unreadable DICOM file, then goes on', async () => {
    const archive = await openTestArchive(dir);
    const mag0 = archive.devices[0]!;
    mkdirSync(join(mag0, 'junk'), { recursive: true });
    writeFileSync(join(mag0, 'junk', 'notes.txt'), 'not an image');
    writeFileSync(join(mag0, 'junk', 'broken.dcm'), 'DICM but not really');
    mkdirSync(join(mag0, 'incoming'), { recursive: true });
    writeFileSync(join(mag0, 'incoming', 'dropped.dcm'), 'never looked at');
    const { log, lines } = collectingLog();
    try {
      const r = await regenDevice(archive, 'MAG0', { log });
      assert.equal(r.indexed, files.length);
      assert.equal(r.failed, 1);
      assert.ok(r.skipped >= 1);
      const failures = lines.filter((l) => l.includes('-FAILED'));
      assert.equal(failures.length, 1);
      assert.match(failures[0]!, /broken\.dcm -FAILED: /);
      assert.ok(!lines.some((l) => l.includes('notes.txt') || l.includes('dropped.dcm')));
      assert.equal(count(archive, 'Image'), files.length);
    } finally {
      rmSync(join(mag0, 'junk'), { recursive: true, force: true });
      rmSync(join(mag0, 'incoming'), { recursive: true, force: true });
      await archive.close();
    }
  });

  it('--regendir and --regenfile add back what a device holds, leaving other rows alone', async () => {
    const archive = await openTestArchive(dir);
    try {
      const index = archive.index!;
      const image = quoteIdentifier('sqlite', index.schema.levels.Image!.table);
      sqliteOf(archive).runSync(`DELETE FROM ${image}`);
      archive.indexer!.clearCache();
      const r = await regenDir(archive, 'MAG0', 'PAT002', { log: silentLogger });
      assert.equal(r.indexed, studyFiles('PAT002').length);
      assert.equal(count(archive, 'Image'), r.indexed);
      const one = deviceFiles(archive).find((f) => f.includes('PAT001'))!;
      await regenFile(archive, one, { log: silentLogger });
      assert.equal(count(archive, 'Image'), r.indexed + 1);
      await assert.rejects(regenFile(archive, files[0]!, { log: silentLogger }), /not on a MAG device/);
      await assert.rejects(
        regenDir(archive, 'MAG0', '../..', { log: silentLogger }),
        /is not a folder of MAG0/,
      );
      await assert.rejects(regenDevice(archive, 'MAG7', { log: silentLogger }), /MAG7 is not configured/);
    } finally {
      await archive.close();
    }
  });
});
