/**
 * Adding files: a copy is stored and indexed, the original untouched; with a new patient ID only the copy
 * changes (Pixel Data byte for byte the same); loading a folder deletes what was stored and keeps what
 * could not be read.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Archive } from '../../../src/archive/archive.js';
import { addFile, loadAndDeleteDir } from '../../../src/archive/maintenance/import.js';
import { Dataset } from '../../../src/dicom/dataset.js';
import { parseDicom } from '../../../src/dicom/reader.js';
import { ImplicitVRLittleEndian } from '../../../src/dicom/transfer-syntax.js';
import { writeDataset } from '../../../src/dicom/writer.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { CORPUS_SKIP, corpusPath } from '../../support/corpus.js';
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
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('adding files', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  let archive: Archive;
  before(async () => {
    dir = tempServerDir('cq-import-');
    archive = await openTestArchive(dir);
  });
  after(async () => {
    await archive.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--addimagefile with a new patid: the copy has it, the original is untouched', async () => {
    const original = corpusPath('study/PAT001/20190115_A1001/s01_CT/0001.dcm');
    const before = sha(original);
    const added = await addFile(archive, original, { log, patientId: 'NEWPAT7' });
    assert.equal(sha(original), before);
    assert.ok(added.path.includes('NEWPAT7'), added.path);
    const copy = parseDicom(readFileSync(added.path));
    const orig = parseDicom(readFileSync(original));
    assert.equal(copy.dataset.string('PatientID'), 'NEWPAT7');
    assert.equal(orig.dataset.string('PatientID'), 'PAT001');
    assert.equal(copy.dataset.string('SOPInstanceUID'), orig.dataset.string('SOPInstanceUID'));
    assert.ok(copy.dataset.bytes('PixelData')!.equals(orig.dataset.bytes('PixelData')!));
    assert.equal(copy.transferSyntax.uid, orig.transferSyntax.uid);
    const row = sqliteOf(archive).getSync<{ p: string }>(
      'SELECT ImagePat AS p FROM DICOMImages WHERE SOPInstanc = ?',
      [added.sopInstanceUid],
    );
    assert.equal(row?.p, 'NEWPAT7');
  });

  it('--addimagefile without patid: an exact copy of the data set, indexed', async () => {
    const original = corpusPath('study/PAT003/20221231_A5005');
    const file = join(original, readdirSync(original)[0]!, '0001.dcm');
    const added = await addFile(archive, file, { log });
    const a = parseDicom(readFileSync(added.path));
    const b = parseDicom(readFileSync(file));
    assert.ok(
      readFileSync(added.path).subarray(a.datasetOffset).equals(readFileSync(file).subarray(b.datasetOffset)),
    );
    assert.ok(rowFiles(archive).includes(added.path));
    // Again: the same instance replaces its copy.
    const again = await addFile(archive, file, { log });
    assert.equal(again.path, added.path);
    assert.ok(again.replaced);
  });

  it('a raw .v2 file (no meta) is stored as Part 10 and indexed', async () => {
    const ds = new Dataset();
    ds.setStrings('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
    ds.setStrings('SOPInstanceUID', '1.2.3.4.5.6.7.8.1');
    ds.setStrings('PatientID', 'RAW1');
    ds.setStrings('PatientName', 'Raw^Object');
    ds.setStrings('StudyInstanceUID', '1.2.3.4.5.6.7.8.2');
    ds.setStrings('SeriesInstanceUID', '1.2.3.4.5.6.7.8.3');
    const raw = join(dir, 'object.v2');
    writeFileSync(raw, writeDataset(ds, ImplicitVRLittleEndian));
    const added = await addFile(archive, raw, { log });
    const stored = parseDicom(readFileSync(added.path));
    assert.equal(stored.meta.string(0x00020010), ImplicitVRLittleEndian.uid);
    assert.equal(stored.dataset.string('PatientID'), 'RAW1');
  });

  it('an unreadable file is refused with the reason and leaves nothing behind', async () => {
    const junk = join(dir, 'junk.dcm');
    writeFileSync(junk, 'not DICOM at all');
    const before = deviceFiles(archive).length;
    await assert.rejects(addFile(archive, junk, { log }), /not a DICOM file|DICOM/);
    assert.equal(deviceFiles(archive).length, before);
  });

  it('--loadanddeletedir: stored files go from the folder, a non-DICOM file stays and is reported', async () => {
    const drop = join(dir, 'drop');
    const files = studyFiles('PAT002/20211111_A4004');
    files.forEach((f, i) => {
      const sub = join(drop, `sub${i % 3}`);
      mkdirSync(sub, { recursive: true });
      copyFileSync(f, join(sub, `${i}-${basename(f)}`));
    });
    writeFileSync(join(drop, 'README.txt'), 'a note beside the images');
    const before = count(archive, 'Image');
    const r = await loadAndDeleteDir(archive, drop, { log });
    assert.equal(r.loaded, files.length);
    assert.equal(r.failed, 1);
    assert.equal(r.failures[0]!.file, join(drop, 'README.txt'));
    assert.deepEqual(readdirSync(drop), ['README.txt']);
    assert.equal(count(archive, 'Image'), before + files.length);
    assert.ok(existsSync(join(drop, 'README.txt')));
    assert.deepEqual(rowFiles(archive), deviceFiles(archive));
  });
});
