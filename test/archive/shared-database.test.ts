/**
 * Issue 6: several servers on one PostgreSQL or MariaDB index and one shared MAG0 ("multi-headed archive").
 *
 * - 3 server processes, 4 storescu each, at once; every object is sent twice, through two different
 *   servers, and the senders' objects interleave within each series: the index ends with exactly one row
 *   per patient, study, series and image, one file per image, and every server's C-FIND sees everything.
 * - The database goes away in the middle of a store burst (a proxy between server and database drops every
 *   connection and refuses new ones for 3 s, as a restart does): afterwards no file lacks its row and no row
 *   its file, and every object the sender was told is stored is there.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import type { DbDriver } from '../../src/db/driver.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { ExplicitVRLittleEndian } from '../../src/dicom/transfer-syntax.js';
import { encodeFileHead, writeDataset } from '../../src/dicom/writer.js';
import { DicomClient } from '../../src/net/client.js';
import { repoRoot } from '../support/corpus.js';
import {
  createTestDatabase,
  MYSQL_HOST,
  openTestIndexDriver,
  PG_HOST,
  setIniKeys,
  type TestDatabase,
  unavailable,
  useDatabase,
} from '../support/databases.js';
import { DCMTK_SKIP, runStatus } from '../support/dcmtk.js';
import { freePort } from '../support/ports.js';

const DGATE = join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js');
const SC = '1.2.840.10008.5.1.4.1.1.7';
const ROOT = '1.2.826.0.1.3680043.2.1143.66';

interface Shape {
  patients: number;
  studies: number;
  series: number;
  images: number;
}

function object(tag: string, p: number, st: number, se: number, im: number): Dataset {
  const ds = new Dataset();
  ds.setStrings('SOPClassUID', SC);
  ds.setStrings('SOPInstanceUID', `${ROOT}.${tag}.${p}.${st}.${se}.${im}`);
  ds.setStrings('PatientName', `Shared^${tag}${p}`);
  ds.setStrings('PatientID', `SH${tag}${p}`);
  ds.setStrings('StudyInstanceUID', `${ROOT}.${tag}.${p}.${st}`);
  ds.setStrings('StudyDate', `2024010${st + 1}`);
  ds.setStrings('SeriesInstanceUID', `${ROOT}.${tag}.${p}.${st}.${se}`);
  ds.setStrings('Modality', se % 2 ? 'CT' : 'MR');
  ds.setNumbers('Rows', 8, 'US');
  ds.setNumbers('Columns', 8, 'US');
  ds.setNumbers('BitsAllocated', 8, 'US');
  ds.setBytes('PixelData', 'OB', Buffer.alloc(64, im & 0xff));
  return ds;
}

/** Part 10 files of a patients × studies × series × images set, in the order of their images. */
function writeObjects(
  dir: string,
  tag: string,
  shape: Omit<Shape, 'images'> & { perSeries: number },
): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let p = 0; p < shape.patients; p++)
    for (let st = 0; st < shape.studies; st++)
      for (let se = 0; se < shape.series; se++)
        for (let im = 0; im < shape.perSeries; im++) {
          const ds = object(tag, p, st, se, im);
          const file = join(dir, `${p}-${st}-${se}-${im}.dcm`);
          writeFileSync(
            file,
            Buffer.concat([
              encodeFileHead(undefined, ds, ExplicitVRLittleEndian.uid),
              writeDataset(ds, ExplicitVRLittleEndian),
            ]),
          );
          files.push(file);
        }
  return files;
}

interface RunningServer {
  child: ChildProcess;
  port: number;
  output: () => string;
}

async function startServer(dir: string): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [DGATE, `-p${port}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((res, rej) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/listening on port/.test(out)) res();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => rej(new Error(`dgate exited (${code}): ${out}`)));
  });
  return { child, port, output: () => out };
}

async function stopServer(s: RunningServer): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

async function counts(db: DbDriver): Promise<Shape> {
  const n = async (table: string): Promise<number> =>
    Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n);
  return {
    patients: await n('DICOMPatients'),
    studies: await n('DICOMStudies'),
    series: await n('DICOMSeries'),
    images: await n('DICOMImages'),
  };
}

/** Stored object files on a MAG folder (not the journal, temporary files or the database). */
function objectFiles(mag: string): string[] {
  if (!existsSync(mag)) return [];
  return readdirSync(mag, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !/[/\\]\.(incoming|journal)([/\\]|$)/.test(`${e.parentPath}/`))
    .map((e) => resolve(e.parentPath, e.name))
    .sort();
}

async function rowFiles(db: DbDriver, mag: string): Promise<string[]> {
  const rows = await db.all<{ f: string }>('SELECT ObjectFile AS f FROM DICOMImages');
  return rows.map((r) => resolve(mag, r.f)).sort();
}

async function studyCount(port: number): Promise<number> {
  const client = await DicomClient.connect(
    { host: '127.0.0.1', port, callingAETitle: 'FINDSCU', calledAETitle: 'CONQUESTSRV1' },
    [{ abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: ['1.2.840.10008.1.2.1'] }],
  );
  const q = new Dataset();
  q.setStrings('QueryRetrieveLevel', 'STUDY');
  q.setStrings('StudyInstanceUID', '');
  try {
    const r = await client.findAll('1.2.840.10008.5.1.4.1.2.2.1', q);
    assert.equal(r.status, 0);
    return r.matches.length;
  } finally {
    await client.release();
  }
}

/** A server configuration folder on the test database with MAG0 at `mag`. */
function serverDir(
  root: string,
  name: string,
  db: TestDatabase,
  mag: string,
  extra: Record<string, string> = {},
): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  loadConfig(dir);
  useDatabase(dir, db);
  setIniKeys(dir, { MAGDevice0: `${mag}/`, WebPort: '0', ...extra });
  return dir;
}

for (const kind of ['postgres', 'mysql'] as const) {
  const why = DCMTK_SKIP || (await unavailable(kind));

  describe(`3 servers on one ${kind} index and one MAG0`, { skip: why }, () => {
    let root: string;
    let db: TestDatabase;
    let index: DbDriver;
    const servers: RunningServer[] = [];
    before(async () => {
      root = mkdtempSync(join(tmpdir(), `cq-shared-${kind}-`));
      db = await createTestDatabase(kind, root);
      index = openTestIndexDriver(db);
    });
    after(async () => {
      await Promise.all(servers.map(stopServer));
      await index?.close();
      await db?.drop();
      rmSync(root, { recursive: true, force: true });
    });

    it('12 senders, every object twice through two servers: exact counts, one file each', async () => {
      const mag = join(root, 'mag0');
      const shape = { patients: 4, studies: 2, series: 2, perSeries: 9 };
      const files = writeObjects(join(root, 'in'), kind.slice(0, 2), shape);
      // Three servers starting together on an empty database: all make the tables at once.
      servers.push(
        ...(await Promise.all([0, 1, 2].map((i) => startServer(serverDir(root, `s${i}`, db, mag))))),
      );
      // Sender s (0..11) is on server floor(s/4) and sends the files f with f % 6 == s % 6: each file by
      // senders s and s+6, which are on different servers; each series is spread over six senders.
      const senders = Array.from({ length: 12 }, (_, s) => {
        const mine = files.filter((_, f) => f % 6 === s % 6);
        return runStatus('storescu', [
          '-aet',
          `SEND${s}`,
          '127.0.0.1',
          String(servers[Math.floor(s / 4)]!.port),
          ...mine,
        ]);
      });
      const results = await Promise.all(senders);
      for (const [s, r] of results.entries())
        assert.equal(r.code, 0, `sender ${s}: ${r.output.slice(-1500)}`);
      const total = shape.patients * shape.studies * shape.series * shape.perSeries;
      const problems = servers
        .flatMap((s) => s.output().split('\n'))
        .filter((l) => /!!!|\*\*\*|error/i.test(l) && !/retrying/.test(l));
      assert.deepEqual(problems, [], 'no server reported a problem');
      assert.deepEqual(await counts(index), {
        patients: shape.patients,
        studies: shape.patients * shape.studies,
        series: shape.patients * shape.studies * shape.series,
        images: total,
      });
      const onDisk = objectFiles(mag);
      assert.deepEqual(await rowFiles(index, mag), onDisk, 'every row names a file that is there');
      assert.equal(onDisk.length, total, 'one file per image');
      for (const s of servers) assert.equal(await studyCount(s.port), shape.patients * shape.studies);
      // The modality lists merged from both series of each study, whichever server wrote last.
      const mods = await index.all<{ m: string }>('SELECT StudyModal AS m FROM DICOMStudies');
      for (const { m } of mods) assert.deepEqual(m.split('\\').sort(), ['CT', 'MR'], m);
    });
  });

  describe(`the ${kind} index goes away during a store burst`, { skip: why }, () => {
    let root: string;
    let db: TestDatabase;
    let index: DbDriver;
    let server: RunningServer | undefined;
    let proxy: Outage | undefined;
    before(async () => {
      root = mkdtempSync(join(tmpdir(), `cq-outage-${kind}-`));
      db = await createTestDatabase(kind, root);
      index = openTestIndexDriver(db);
    });
    after(async () => {
      if (server) await stopServer(server);
      await proxy?.close();
      await index?.close();
      await db?.drop();
      rmSync(root, { recursive: true, force: true });
    });

    it('no file without its row, no row without its file; every acknowledged object is stored', async () => {
      const mag = join(root, 'mag0');
      proxy = await startOutageProxy(
        kind === 'postgres' ? PG_HOST : MYSQL_HOST,
        kind === 'postgres' ? 5432 : 3306,
      );
      const dir = serverDir(root, 's', db, mag, { SQLHost: `127.0.0.1:${proxy.port}` });
      server = await startServer(dir);
      const files = writeObjects(join(root, 'in'), `o${kind.slice(0, 1)}`, {
        patients: 2,
        studies: 2,
        series: 2,
        perSeries: 25,
      });
      const client = await DicomClient.connect(
        { host: '127.0.0.1', port: server.port, callingAETitle: 'BURST', calledAETitle: 'CONQUESTSRV1' },
        [{ abstractSyntax: SC, transferSyntaxes: [ExplicitVRLittleEndian.uid] }],
      );
      const acknowledged: string[] = [];
      const refused: string[] = [];
      const { describeFile } = await import('../../src/net/client.js');
      const burst = (async () => {
        // Four in flight at a time, so that the outage hits transactions, waiting stores and new ones.
        for (let i = 0; i < files.length; i += 4) {
          await Promise.all(
            files.slice(i, i + 4).map(async (f) => {
              const d = await describeFile(f);
              const status = await client.storeFile(d);
              (status === 0 ? acknowledged : refused).push(d.sopInstanceUid);
            }),
          );
        }
      })();
      await new Promise((r) => setTimeout(r, 150));
      await proxy.outage(3000);
      await burst;
      await client.release();
      assert.ok(proxy.dropped > 0, 'the outage cut live database connections');
      // Rows and files agree, whatever the senders were told.
      const onDisk = objectFiles(mag);
      assert.deepEqual(await rowFiles(index, mag), onDisk);
      // Every acknowledged object is in the index; a refused one is not (or arrived through a retry).
      const rows = new Set(
        (await index.all<{ u: string }>('SELECT SOPInstanc AS u FROM DICOMImages')).map((r) => r.u),
      );
      for (const uid of acknowledged) assert.ok(rows.has(uid), `acknowledged ${uid} has no row`);
      for (const uid of refused) assert.ok(!rows.has(uid), `refused ${uid} has a row`);
      assert.equal(acknowledged.length + refused.length, files.length);
      // The server waited through the outage instead of failing the stores.
      assert.ok(
        acknowledged.length >= files.length - 8,
        `${refused.length} of ${files.length} refused: ${server.output().slice(-2000)}`,
      );
    });
  });
}

interface Outage {
  port: number;
  /** Connections cut by outages. */
  dropped: number;
  /** Cuts every connection and refuses new ones for ms, then accepts again. */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy to the database that can play a server restart. */
async function startOutageProxy(host: string, port: number): Promise<Outage> {
  const live = new Set<Socket>();
  let down = false;
  let dropped = 0;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host, port });
    live.add(client);
    live.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const proxyPort = typeof address === 'object' && address ? address.port : 0;
  return {
    port: proxyPort,
    get dropped() {
      return dropped;
    },
    outage: async (ms) => {
      down = true;
      dropped += live.size / 2;
      for (const s of live) s.destroy();
      live.clear();
      await new Promise((r) => setTimeout(r, ms));
      down = false;
    },
    close: async () => {
      for (const s of live) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
