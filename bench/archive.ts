/**
 * The seed's Appendix 1 test at our scale (`npm run bench archive`; BENCH_ARCHIVE_COUNT=1000000 for the
 * million), on every index driver in the same run (BENCH_ARCHIVE_DRIVERS=sqlite,postgres,mysql,null; default
 * all, a server that does not answer is reported as not run): an index of synthetic headers shaped like the
 * manual's database (14,700 patients, 36,000 studies, 195,000 series, 4.375 M images: 2.45 studies per
 * patient, 5.4 series per study, 22.4 images per series), written through the archive's indexer (group
 * commit, row cache) without file I/O into a fresh database per driver (openIndexDatabase; PostgreSQL and
 * MariaDB databases made and dropped through admin connections); then the query fit: the image lists of
 * 2,000 patients through the C-FIND query path (SQL built from an identifier, rows turned into response data
 * sets), fitted as "setup ms + ms per record"; then database bytes per image. A profiling wrapper around
 * the driver counts the writer's statements and their time (round trips per image, BEGIN + COMMIT).
 * For SQLite, a smaller run with file I/O follows (each object written by the object store, fsync on and off).
 * Then the manual's own measurement: --clonedb of BENCH_ARCHIVE_CLONE records (default 20,000; 0 skips it)
 * from a SQLite server in this process into an empty index of each driver, over C-FIND on the loopback.
 * The manual's figures are the anchors: write 170 (SQLite), 610 (PostgreSQL), 135 (MariaDB), 1050 (NULL)
 * images/s; reads 68 ms + 0.33, 77 ms + 0.067, 8 ms + 0.067 ms/record; 0.7 GB per million (SQLite).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../src/archive/archive.js';
import { ArchiveIndexer } from '../src/archive/indexer.js';
import { cloneDb, PATIENT_ROOT_FIND, STUDY_ROOT_FIND } from '../src/archive/maintenance/clonedb.js';
import { buildQuery, resultToDataset } from '../src/archive/query.js';
import { loadConfig } from '../src/config/config.js';
import { DicomSql, defaultDicomSqlText } from '../src/db/dicom-sql.js';
import { type IndexConnection, openIndexDatabase } from '../src/db/open-index.js';
import { quoteIdentifier } from '../src/db/schema.js';
import { openSqliteIndex } from '../src/db/sqlite.js';
import { Dataset } from '../src/dicom/dataset.js';
import { ExplicitVRLittleEndian } from '../src/dicom/transfer-syntax.js';
import { encodeFileHead, writeDataset } from '../src/dicom/writer.js';
import { silentLogger } from '../src/logging/logger.js';
import { DicomClient } from '../src/net/client.js';
import { type RunningServer, startServer } from '../src/server.js';
import { MemoryObjectLocator, ObjectStore } from '../src/storage/object-store.js';
import {
  createTestDatabase,
  MYSQL_ADMIN,
  MYSQL_HOST,
  mysqlAdmin,
  PG_ADMIN,
  PG_HOST,
  pgAdmin,
  setIniKeys,
  type TestDatabase,
  unavailable,
} from '../test/support/databases.js';
import { ProfilingDriver } from './db-profile.js';

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

type Kind = 'sqlite' | 'postgres' | 'mysql' | 'null';
const KINDS: readonly Kind[] = ['sqlite', 'postgres', 'mysql', 'null'];
const NAMES: Record<Kind, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  mysql: 'MariaDB',
  null: 'NULL',
};
/** The manual's Appendix 1 figures (Conquest 1.4.19 clonedb of 4.375 M images, a 2015 i5 with an SSD). */
const ANCHORS: Record<Kind, { write: number; read?: string }> = {
  sqlite: { write: 170, read: '68 ms + 0.33 ms/record' },
  postgres: { write: 610, read: '77 ms + 0.067 ms/record' },
  mysql: { write: 135, read: '8 ms + 0.067 ms/record' },
  null: { write: 1050 },
};

/** A fresh, empty database of the kind (dropped by `drop`), or why there can be none. */
async function freshDatabase(
  kind: Kind,
  dir: string,
): Promise<{ connection: IndexConnection; drop(): Promise<void>; bytes(): Promise<number> } | string> {
  if (kind === 'null') return { connection: { kind }, drop: async () => {}, bytes: async () => 0 };
  if (kind === 'sqlite') {
    const file = join(dir, 'conquest.db3');
    const bytes = async (): Promise<number> =>
      ['', '-wal', '-shm'].reduce((sum, x) => {
        try {
          return sum + statSync(file + x).size;
        } catch {
          return sum;
        }
      }, 0);
    return { connection: { kind, file }, drop: async () => {}, bytes };
  }
  const why = await unavailable(kind);
  if (why) return why;
  const name = `cqts_bench_${process.pid}_${Date.now() % 100000}`;
  if (kind === 'postgres') {
    await pgAdmin(`CREATE DATABASE ${name}`);
    return {
      connection: { kind, host: PG_HOST, database: name, user: PG_ADMIN, password: '' },
      drop: async () => void (await pgAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
      bytes: async () =>
        Number(((await pgAdmin(`SELECT pg_database_size('${name}') AS n`)) as { n: string }[])[0]?.n ?? 0),
    };
  }
  await mysqlAdmin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  return {
    connection: { kind, host: MYSQL_HOST, database: name, user: MYSQL_ADMIN, password: '' },
    drop: async () => void (await mysqlAdmin(`DROP DATABASE IF EXISTS ${name}`)),
    bytes: async () => {
      // InnoDB's sizes in information_schema are statistics: refreshed first.
      const tables = (await mysqlAdmin(
        `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = '${name}'`,
      )) as { t: string }[];
      for (const { t } of tables) await mysqlAdmin(`ANALYZE TABLE \`${name}\`.\`${t}\``);
      const rows = (await mysqlAdmin(
        `SELECT SUM(data_length + index_length) AS n FROM information_schema.tables WHERE table_schema = '${name}'`,
      )) as { n: string | number | null }[];
      return Number(rows[0]?.n ?? 0);
    },
  };
}

interface DriverFigures {
  kind: Kind;
  writeRate?: number;
  fit?: { setup: number; perRecord: number; points: number; records: number };
  bytesPerImage?: number;
  profile?: string;
  notRun?: string;
}

/** Writes n synthetic image records into a fresh database of the kind, then fits the query cost. */
async function indexOnly(kind: Kind, n: number): Promise<DriverFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'cqts-bench-archive-'));
  const db = await freshDatabase(kind, dir);
  if (typeof db === 'string') {
    rmSync(dir, { recursive: true, force: true });
    return { kind, notRun: db };
  }
  try {
    const opened = await openIndexDatabase({
      connection: db.connection,
      dicomSql: DicomSql.parse(defaultDicomSqlText()),
    });
    const empty = await db.bytes();
    const profiled = new ProfilingDriver(opened.driver);
    const indexer = new ArchiveIndexer({ schema: opened.schema, driver: profiled, devices: [dir] });
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
    const writeRate = n / (writeMs / 1000);
    const last = shape(n - 1);
    console.log(
      `| ${NAMES[kind]}: index ${n.toLocaleString('en')} images (${(last.patient + 1).toLocaleString('en')} patients, ${(last.study + 1).toLocaleString('en')} studies, ${(last.series + 1).toLocaleString('en')} series), no file I/O | ` +
        `${writeRate.toFixed(0)} images/s | ${(writeRate / ANCHORS[kind].write).toFixed(1)}× the manual's ${ANCHORS[kind].write} |`,
    );
    const profile = profiled.summary(n, writeMs);

    // Query fit: the image list of 2,000 patients (IMAGE level, Patient Root, by PatientID), as C-FIND does it.
    const patients = last.patient + 1;
    // After a bulk load the planner's statistics are still those of the empty tables; refreshed here as
    // autovacuum (PostgreSQL) or InnoDB's statistics (MariaDB) would do soon after such a load.
    if (kind === 'postgres') await opened.driver.run('ANALYZE');
    if (kind === 'mysql')
      for (const t of opened.schema.tables)
        await opened.driver.run(`ANALYZE TABLE ${quoteIdentifier('mysql', t.name)}`);
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
        dialect: opened.driver.dialect,
      });
      const rows = await opened.driver.all(q.sql, q.params as never);
      for (const row of rows) writeDataset(resultToDataset(row, q.columns, id, {}), ExplicitVRLittleEndian);
      points.push({ records: rows.length, ms: performance.now() - t });
    }
    const f = fit(points);
    const recs = points.reduce((s, p) => s + p.records, 0);
    console.log(
      `| ${NAMES[kind]}: image lists of ${points.length} patients (whole patient, one study or one series: ${recs.toLocaleString('en')} records) | ` +
        (recs > 0
          ? `${f.setup.toFixed(3)} ms + ${f.perRecord.toFixed(4)} ms/record`
          : `${f.setup.toFixed(3)} ms per query, no records (the NULL driver finds nothing)`) +
        ` | ${ANCHORS[kind].read ? `manual: ${ANCHORS[kind].read}` : '—'} |`,
    );
    await opened.driver.close();
    let bytesPerImage: number | undefined;
    if (kind !== 'null') {
      // The networked databases' fixed catalog (an empty database is several MB) is left out.
      const bytes = (await db.bytes()) - (kind === 'sqlite' ? 0 : empty);
      bytesPerImage = bytes / n;
      const how =
        kind === 'sqlite'
          ? 'file size'
          : kind === 'postgres'
            ? 'pg_database_size, less the empty database'
            : 'data_length + index_length, less the empty tables';
      console.log(
        `| ${NAMES[kind]}: database size (${how}) | ${bytesPerImage.toFixed(0)} bytes/image = ${((bytesPerImage * 1e6) / 1e9).toFixed(2)} GB per million | ` +
          `${kind === 'sqlite' ? 'manual: 0.7 GB per million; Conquest on bench.sh: 631 bytes/image' : `manual: ${kind === 'postgres' ? '2.9 GB' : '3.7 GB'} for 4.375 M = ${kind === 'postgres' ? '0.66' : '0.85'} GB per million`} |`,
      );
    }
    return {
      kind,
      writeRate,
      ...(recs > 0 ? { fit: { ...f, points: points.length, records: recs } } : {}),
      ...(bytesPerImage !== undefined ? { bytesPerImage } : {}),
      profile,
    };
  } finally {
    await db.drop().catch((e: unknown) => console.error(`dropping the ${kind} bench database: ${String(e)}`));
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

/**
 * The manual's own test: --clonedb of a server holding n records (SQLite, filled through its indexer) into
 * an empty index of each driver, over C-FIND on the loopback — every level queried, every record entered
 * through the indexer. Both servers in this process, as the manual ran both on one machine.
 */
async function cloneBench(kinds: readonly Kind[], n: number): Promise<Map<Kind, number>> {
  const rates = new Map<Kind, number>();
  const dirA = mkdtempSync(join(tmpdir(), 'cqts-bench-clone-a-'));
  let source: RunningServer | undefined;
  try {
    loadConfig(dirA);
    const filling = await openArchive(loadConfig(dirA, { writeDefaults: false }), { log: silentLogger });
    await inFlight(n, 64, async (i) => {
      await filling.indexer!.index({
        header: header(i),
        objectFile: `BP${shape(i).patient}/${i}.dcm`,
        deviceName: 'MAG0',
      });
    });
    await filling.close();
    source = await startServer({
      dir: dirA,
      port: 0,
      aeTitle: 'BENCHSRC',
      host: '127.0.0.1',
      log: silentLogger,
    });
    for (const kind of kinds) {
      const dirB = mkdtempSync(join(tmpdir(), 'cqts-bench-clone-b-'));
      let db: TestDatabase | undefined;
      try {
        loadConfig(dirB);
        if (kind === 'null') setIniKeys(dirB, { SQLServer: '' });
        else {
          if (await unavailable(kind)) continue;
          db = await createTestDatabase(kind, dirB);
          setIniKeys(dirB, db.ini);
        }
        const target = await openArchive(loadConfig(dirB, { writeDefaults: false }), { log: silentLogger });
        const client = await DicomClient.connect(
          { host: '127.0.0.1', port: source.port, callingAETitle: 'BENCHDST', calledAETitle: 'BENCHSRC' },
          [PATIENT_ROOT_FIND, STUDY_ROOT_FIND].map((abstractSyntax) => ({
            abstractSyntax,
            transferSyntaxes: ['1.2.840.10008.1.2.1'],
          })),
        );
        try {
          const r = await cloneDb(target, client, {
            log: silentLogger,
            remoteAE: 'BENCHSRC',
            ourAE: 'BENCHDST',
          });
          if (r.indexed !== n)
            throw new Error(`${NAMES[kind]}: clonedb entered ${r.indexed} of ${n} records`);
          const rate = r.indexed / (r.ms / 1000);
          rates.set(kind, rate);
          console.log(
            `| ${NAMES[kind]}: --clonedb of ${n.toLocaleString('en')} images from a SQLite server (C-FIND per level, records only) | ` +
              `${rate.toFixed(0)} images/s | ${(rate / ANCHORS[kind].write).toFixed(1)}× the manual's ${ANCHORS[kind].write} |`,
          );
        } finally {
          await client.release();
          await target.close();
        }
      } finally {
        await db?.drop();
        rmSync(dirB, { recursive: true, force: true });
      }
    }
  } finally {
    await source?.close(1000);
    rmSync(dirA, { recursive: true, force: true });
  }
  return rates;
}

/** BENCH_ARCHIVE_DRIVERS=sqlite,postgres,mysql,null (default: all; those without a server are reported). */
function selectedKinds(): Kind[] {
  const env = process.env['BENCH_ARCHIVE_DRIVERS'];
  if (!env) return [...KINDS];
  const wanted = env
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .map((s) => (s === 'mariadb' ? 'mysql' : s === 'pg' ? 'postgres' : s));
  const bad = wanted.filter((w) => !KINDS.includes(w as Kind));
  if (bad.length)
    throw new Error(`BENCH_ARCHIVE_DRIVERS: ${bad.join(', ')} is not one of ${KINDS.join(', ')}`);
  return KINDS.filter((k) => wanted.includes(k));
}

export async function archiveBench(): Promise<void> {
  const n = Number(process.env['BENCH_ARCHIVE_COUNT'] ?? 100_000);
  const files = Number(process.env['BENCH_ARCHIVE_FILES'] ?? 10_000);
  const clone = Number(process.env['BENCH_ARCHIVE_CLONE'] ?? 20_000);
  const kinds = selectedKinds();
  console.log(`\n## Archive (manual Appendix 1 shape, ${kinds.map((k) => NAMES[k]).join(', ')})\n`);
  console.log('| measurement | result | anchor |');
  console.log('|---|---|---|');
  const figures: DriverFigures[] = [];
  for (const kind of kinds) figures.push(await indexOnly(kind, n));
  if (kinds.includes('sqlite')) {
    await withFiles(files, false);
    await withFiles(files, true);
  }
  const clones = clone > 0 ? await cloneBench(kinds, clone) : new Map<Kind, number>();

  console.log(`\n### Per driver (${n.toLocaleString('en')} images)\n`);
  console.log(
    `| driver | write (indexer) | --clonedb${clone > 0 ? ` (${clone.toLocaleString('en')})` : ' (not run)'} | manual write | query fit | manual query fit | bytes/image |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const f of figures) {
    const a = ANCHORS[f.kind];
    if (f.notRun) {
      console.log(`| ${NAMES[f.kind]} | not run: ${f.notRun} | | ${a.write} | | ${a.read ?? '—'} | |`);
      continue;
    }
    console.log(
      `| ${NAMES[f.kind]} | ${f.writeRate!.toFixed(0)} img/s | ${clones.has(f.kind) ? `${clones.get(f.kind)!.toFixed(0)} img/s` : '—'} | ${a.write} img/s | ` +
        `${f.fit ? `${f.fit.setup.toFixed(3)} ms + ${f.fit.perRecord.toFixed(4)} ms/record` : '—'} | ${a.read ?? '—'} | ` +
        `${f.bytesPerImage !== undefined ? f.bytesPerImage.toFixed(0) : '—'} |`,
    );
  }
  console.log('\n### Where the writer spends its time\n');
  for (const f of figures) if (f.profile) console.log(`- ${NAMES[f.kind]}: ${f.profile}`);
}
