/**
 * The seed's Appendix 1 test at our scale (`npm run bench archive`; BENCH_ARCHIVE_COUNT=1000000 for the
 * million): an index of synthetic headers shaped like the manual's database (14,700 patients, 36,000
 * studies, 195,000 series, 4.375 M images: 2.45 studies per patient, 5.4 series per study, 22.4 images
 * per series), written through the archive's indexer (group commit, row cache) without file I/O; then a
 * smaller run with file I/O (each object written by the object store, fsync on and off); then the query
 * fit: the image lists of 2,000 patients through the C-FIND query path (SQL built from an identifier, rows
 * turned into response data sets), fitted as "setup ms + ms per record"; then database bytes per image.
 * The manual's SQLite figures are the anchor: 170 images/s, 68 ms + 0.33 ms/record, 0.7 GB per million.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchiveIndexer } from '../src/archive/indexer.js';
import { buildQuery, resultToDataset } from '../src/archive/query.js';
import { DicomSql, defaultDicomSqlText } from '../src/db/dicom-sql.js';
import { openSqliteIndex } from '../src/db/sqlite.js';
import { Dataset } from '../src/dicom/dataset.js';
import { ExplicitVRLittleEndian } from '../src/dicom/transfer-syntax.js';
import { encodeFileHead, writeDataset } from '../src/dicom/writer.js';
import { silentLogger } from '../src/logging/logger.js';
import { MemoryObjectLocator, ObjectStore } from '../src/storage/object-store.js';

const IMAGES_PER_SERIES = 22;
const SERIES_PER_STUDY = 5;
const STUDIES_PER_PATIENT = 2;

function shape(i: number): { patient: number; study: number; series: number } {
  const series = Math.floor(i / IMAGES_PER_SERIES);
  const study = Math.floor(series / SERIES_PER_STUDY);
  return { patient: Math.floor(study / STUDIES_PER_PATIENT), study, series };
}

/** A header with what a CT image's header carries that the index reads. */
function header(i: number): Dataset {
  const { patient, study, series } = shape(i);
  const d = new Dataset();
  d.setStrings('SOPClassUID', '1.2.840.10008.5.1.4.1.1.2');
  d.setStrings('SOPInstanceUID', `1.2.826.0.1.3680043.2.1143.3.${i}`);
  d.setStrings('StudyDate', `2019${String((study % 12) + 1).padStart(2, '0')}15`);
  d.setStrings('StudyTime', '101500');
  d.setStrings('AccessionNumber', `A${study}`);
  d.setStrings('Modality', 'CT');
  d.setStrings('ReferringPhysicianName', 'DOCTOR^REFERRING');
  d.setStrings('StudyDescription', 'CHEST ABDOMEN');
  d.setStrings('SeriesDescription', `SERIES ${series % SERIES_PER_STUDY}`);
  d.setStrings('PatientName', `PATIENT^NUMBER${patient}`);
  d.setStrings('PatientID', `BP${patient}`);
  d.setStrings('PatientBirthDate', '19600101');
  d.setStrings('PatientSex', patient % 2 ? 'F' : 'M');
  d.setStrings('StudyInstanceUID', `1.2.826.0.1.3680043.2.1143.1.${study}`);
  d.setStrings('SeriesInstanceUID', `1.2.826.0.1.3680043.2.1143.2.${series}`);
  d.setStrings('StudyID', String(study));
  d.setStrings('SeriesNumber', String(series % SERIES_PER_STUDY));
  d.setStrings('InstanceNumber', String(i % IMAGES_PER_SERIES));
  d.setNumbers('Rows', 512, 'US');
  d.setNumbers('Columns', 512, 'US');
  return d;
}

async function inFlight(n: number, window: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < n) await one(next++);
    }),
  );
}

function fit(points: readonly { records: number; ms: number }[]): { setup: number; perRecord: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.records, 0) / n;
  const my = points.reduce((s, p) => s + p.ms, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.records - mx) * (p.ms - my);
    sxx += (p.records - mx) ** 2;
  }
  const perRecord = sxx > 0 ? sxy / sxx : 0;
  return { setup: my - perRecord * mx, perRecord };
}

async function indexOnly(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cqts-bench-archive-'));
  try {
    const file = join(dir, 'conquest.db3');
    const opened = openSqliteIndex({ file, dicomSql: DicomSql.parse(defaultDicomSqlText()) });
    const indexer = new ArchiveIndexer({ schema: opened.schema, driver: opened.driver, devices: [dir] });
    const t0 = performance.now();
    // As a server sees them: many stores in flight (64 associations).
    await inFlight(n, 64, async (i) => {
      await indexer.index({
        header: header(i),
        objectFile: `BP${shape(i).patient}/${i}.dcm`,
        deviceName: 'MAG0',
      });
    });
    const writeMs = performance.now() - t0;
    const last = shape(n - 1);
    console.log(
      `| index ${n.toLocaleString('en')} images (${(last.patient + 1).toLocaleString('en')} patients, ${(last.study + 1).toLocaleString('en')} studies, ${(last.series + 1).toLocaleString('en')} series), no file I/O | ` +
        `${(n / (writeMs / 1000)).toFixed(0)} images/s | ${(n / (writeMs / 1000) / 170).toFixed(0)}× the manual's 170 |`,
    );

    // Query fit: the image list of 2,000 patients (IMAGE level, Patient Root, by PatientID), as C-FIND does it.
    const patients = last.patient + 1;
    const points: { records: number; ms: number }[] = [];
    const step = Math.max(1, Math.floor(patients / 2000));
    for (let p = 0; p < patients && points.length < 2000; p += step) {
      // Vary the record count (for the fit): all of a patient's images, one study's, or one series'.
      const id = new Dataset();
      id.setStrings('QueryRetrieveLevel', 'IMAGE');
      id.setStrings('PatientID', `BP${p}`);
      const study = p * STUDIES_PER_PATIENT;
      const variant = points.length % 3;
      if (variant >= 1) id.setStrings('StudyInstanceUID', `1.2.826.0.1.3680043.2.1143.1.${study}`);
      if (variant === 2)
        id.setStrings('SeriesInstanceUID', `1.2.826.0.1.3680043.2.1143.2.${study * SERIES_PER_STUDY}`);
      id.setStrings('SOPInstanceUID', '');
      id.setStrings('InstanceNumber', '');
      const t = performance.now();
      const q = buildQuery(opened.schema, {
        model: 'PATIENT',
        level: 'IMAGE',
        identifier: id,
        dialect: 'sqlite',
      });
      const rows = await opened.driver.all(q.sql, q.params as never);
      for (const row of rows) writeDataset(resultToDataset(row, q.columns, id, {}), ExplicitVRLittleEndian);
      points.push({ records: rows.length, ms: performance.now() - t });
    }
    const f = fit(points);
    const recs = points.reduce((s, p) => s + p.records, 0);
    console.log(
      `| image lists of ${points.length} patients (whole patient, one study or one series: ${recs.toLocaleString('en')} records) | ${f.setup.toFixed(3)} ms + ${f.perRecord.toFixed(4)} ms/record | manual: 68 ms + 0.33 ms/record |`,
    );
    await opened.driver.close();
    const bytes = ['', '-wal', '-shm'].reduce((s, x) => {
      try {
        return s + statSync(file + x).size;
      } catch {
        return s;
      }
    }, 0);
    console.log(
      `| database size | ${(bytes / n).toFixed(0)} bytes/image = ${(((bytes / n) * 1e6) / 1e9).toFixed(2)} GB per million | manual: 0.7 GB per million; Conquest on bench.sh: 631 bytes/image |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withFiles(n: number, durable: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cqts-bench-archive-'));
  try {
    const opened = openSqliteIndex({
      file: join(dir, 'conquest.db3'),
      dicomSql: DicomSql.parse(defaultDicomSqlText()),
    });
    const indexer = new ArchiveIndexer({ schema: opened.schema, driver: opened.driver, devices: [dir] });
    const store = new ObjectStore({
      devices: [dir],
      fileNameSyntax: '4',
      fullThresholdMB: 0,
      durable,
      locator: new MemoryObjectLocator(),
      log: silentLogger,
    });
    const t0 = performance.now();
    await inFlight(n, 16, async (i) => {
      const h = header(i);
      const w = store.begin(encodeFileHead(undefined, h, ExplicitVRLittleEndian.uid));
      w.add(writeDataset(h, ExplicitVRLittleEndian));
      const placed = await w.commit(h, h.string('SOPInstanceUID')!, {
        transferSyntaxUid: ExplicitVRLittleEndian.uid,
        callingAE: 'BENCH',
        calledAE: 'CONQUESTSRV1',
      });
      await indexer.index({ header: h, path: placed.path });
      placed.settle();
    });
    const ms = performance.now() - t0;
    console.log(
      `| index ${n.toLocaleString('en')} images with their files (FsyncStoredFiles ${durable ? 1 : 0}) | ${(n / (ms / 1000)).toFixed(0)} images/s | ${(n / (ms / 1000) / 170).toFixed(0)}× the manual's 170 |`,
    );
    store.close();
    await indexer.close();
    await opened.driver.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function archiveBench(): Promise<void> {
  const n = Number(process.env['BENCH_ARCHIVE_COUNT'] ?? 100_000);
  const files = Number(process.env['BENCH_ARCHIVE_FILES'] ?? 10_000);
  console.log('\n## Archive (manual Appendix 1 shape, SQLite)\n');
  console.log('| measurement | result | anchor |');
  console.log('|---|---|---|');
  await indexOnly(n);
  await withFiles(files, false);
  await withFiles(files, true);
}
