/**
 * The server process as a user runs it: `dgate` in an empty folder writes Conquest's first-install
 * configuration and serves; DCMTK and `dgate --echo/--forward` talk to it; a taken port and a broken
 * dicom.ini give clear messages; SIGTERM lets an in-flight store finish; a 1 GB object is stored with a
 * small resident set.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Dataset } from '../../src/dicom/dataset.js';
import { parseDicom } from '../../src/dicom/reader.js';
import { ExplicitVRLittleEndian } from '../../src/dicom/transfer-syntax.js';
import { writeDataset, writeDicomFile } from '../../src/dicom/writer.js';
import { DicomClient } from '../../src/net/client.js';
import { canonical } from '../support/canonical.js';
import { CORPUS_SKIP, corpusPath, repoRoot } from '../support/corpus.js';
import { DCMTK_SKIP, runStatus, storeAsIs } from '../support/dcmtk.js';
import { freePort } from '../support/ports.js';

const DGATE = join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js');
const SC = '1.2.840.10008.5.1.4.1.1.7';

interface Dgate {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDgate(dir: string, args: string[]): Dgate {
  const child = spawn(process.execPath, [DGATE, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(d: Dgate, pattern: RegExp, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!pattern.test(d.output())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}; output:\n${d.output()}`);
    if (d.child.exitCode !== null) throw new Error(`dgate exited (${d.child.exitCode}):\n${d.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** A small valid object whose Pixel Data is produced chunk by chunk (never held whole). */
function streamedObject(
  uid: string,
  pixelBytes: number,
  chunk = 1 << 20,
  pause?: Promise<void>,
): AsyncGenerator<Buffer> {
  const ds = new Dataset();
  ds.setStrings('SOPClassUID', SC);
  ds.setStrings('SOPInstanceUID', uid);
  ds.setStrings('PatientName', 'Large^Object');
  ds.setStrings('PatientID', 'BIG1');
  ds.setStrings('StudyInstanceUID', `${uid}.1`);
  ds.setStrings('SeriesInstanceUID', `${uid}.2`);
  const head = writeDataset(ds, ExplicitVRLittleEndian);
  const pixelHeader = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0, 0, 0, 0]);
  pixelHeader.writeUInt32LE(pixelBytes, 8);
  return (async function* () {
    yield head;
    yield pixelHeader;
    const block = Buffer.alloc(chunk, 0x5a);
    for (let sent = 0; sent < pixelBytes; sent += chunk) {
      if (pause && sent >= chunk) await pause;
      yield sent + chunk <= pixelBytes ? block : block.subarray(0, pixelBytes - sent);
    }
  })();
}

function peakRssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

describe('dgate as a server', () => {
  let dir: string;
  let port: number;
  let server: Dgate;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-dgate-'));
    port = await freePort();
    server = startDgate(dir, [`-p${port}`]);
    await waitFor(server, /listening on port/);
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the first-install configuration in an empty folder', () => {
    const ini = readFileSync(join(dir, 'dicom.ini'), 'utf8');
    assert.match(ini, /^\[sscscp\]/m);
    assert.match(ini, /^MyACRNema\s*=\s*CONQUESTSRV1/m);
    assert.match(ini, /^TCPPort\s*=\s*5678/m);
    assert.match(ini, /^FileNameSyntax\s*=\s*4/m);
    assert.match(readFileSync(join(dir, 'acrnema.map'), 'utf8'), /^CONQUESTSRV1\s+127\.0\.0\.1\s+5678/m);
    assert.match(
      readFileSync(join(dir, 'dgatesop.lst'), 'utf8'),
      /^CTImageStorage\s+1\.2\.840\.10008\.5\.1\.4\.1\.1\.2\s+sop/m,
    );
    assert.match(server.output(), /wrote first-install default .*dicom\.ini/);
  });

  it('answers echoscu and logs the association', { skip: DCMTK_SKIP }, async () => {
    const r = await runStatus('echoscu', ['-aet', 'TESTER', '127.0.0.1', String(port)]);
    assert.equal(r.code, 0, r.output);
    await waitFor(
      server,
      /association from TESTER \(127\.0\.0\.1\) to ANY-SCP: 1 of 1 presentation contexts accepted/,
    );
  });

  it('stores what storescu sends under MAG0 with FileNameSyntax 4', {
    skip: DCMTK_SKIP || CORPUS_SKIP,
  }, async () => {
    const file = corpusPath('study/PAT001/20190115_A1001/s01_CT/0001.dcm');
    const r = await runStatus('storescu', ['127.0.0.1', String(port), file]);
    assert.equal(r.code, 0, r.output);
    const stored = filesUnder(join(dir, 'data')).filter((f) => f.endsWith('.dcm'));
    assert.equal(stored.length, 1);
    assert.match(stored[0]!, /data\/PAT001\/[0-9.]+_\d{4}_\d{6}_\d+[0-9a-f]{4}\.dcm$/);
  });

  it('dgate --echo reaches it by AE@host:port, host:port and acrnema.map', () => {
    for (const spec of [`CONQUESTSRV1@127.0.0.1:${port}`, `127.0.0.1:${port}`]) {
      const r = spawnSync(process.execPath, [DGATE, `-w${dir}`, `--echo:${spec}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /C-ECHO to .* success/);
    }
    const mapDir = mkdtempSync(join(tmpdir(), 'cq-map-'));
    writeFileSync(
      join(mapDir, 'acrnema.map'),
      `/* test map */\nSELF   127.0.0.1   ${port}   un\nV*     *           ${port}   un\n`,
    );
    const byMap = spawnSync(process.execPath, [DGATE, `-w${mapDir}`, '--echo:SELF'], { encoding: 'utf8' });
    assert.equal(byMap.status, 0, byMap.stderr);
    const unknown = spawnSync(process.execPath, [DGATE, `-w${mapDir}`, '--echo:NOWHERE'], {
      encoding: 'utf8',
    });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /'NOWHERE' is not in acrnema\.map/);
    rmSync(mapDir, { recursive: true, force: true });
  });

  it('dgate --forward sends a file as it is', { skip: CORPUS_SKIP }, () => {
    const file = corpusPath('ts/ct16s_implicit_le.dcm');
    const r = spawnSync(
      process.execPath,
      [DGATE, `-w${dir}`, `--forward:${file},un,CONQUESTSRV1@127.0.0.1:${port}`],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /C-STORE of .* success/);
  });

  it('a second server on the same port exits with a clear message', async () => {
    const other = mkdtempSync(join(tmpdir(), 'cq-dgate2-'));
    const second = startDgate(other, [`-p${port}`]);
    const code = await second.exited;
    assert.equal(code, 1);
    assert.match(second.output(), /port .*already in use/);
    rmSync(other, { recursive: true, force: true });
  });
});

describe('dgate configuration errors', () => {
  it('a malformed dicom.ini names the file and the line, and nothing starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-badini-'));
    writeFileSync(join(dir, 'dicom.ini'), '[sscscp]\nMyACRNema = BADINI\nTCPPort = not-a-number\n');
    const d = startDgate(dir, []);
    assert.equal(await d.exited, 1);
    assert.match(d.output(), /dicom\.ini, line 3: TCPPort = not-a-number: expected a number/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('dgate shutdown and large objects', () => {
  it('SIGTERM lets an in-flight store finish before the process ends', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-term-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const d = startDgate(dir, [`-p${port}`]);
    await waitFor(d, /listening on port/);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const client = await DicomClient.connect(
      { host: '127.0.0.1', port, callingAETitle: 'TERM', calledAETitle: 'CONQUESTSRV1' },
      [{ abstractSyntax: SC, transferSyntaxes: [ExplicitVRLittleEndian.uid] }],
    );
    const storing = client.store(
      SC,
      '1.2.826.0.1.3680043.8.498.77',
      ExplicitVRLittleEndian.uid,
      streamedObject('1.2.826.0.1.3680043.8.498.77', 8 << 20, 1 << 20, gate),
    );
    await new Promise((r) => setTimeout(r, 300));
    d.child.kill('SIGTERM');
    await waitFor(d, /SIGTERM: finishing in-flight operations/);
    release();
    const rsp = await storing;
    assert.equal(rsp.command.status, 0);
    await client.release().catch(() => undefined);
    assert.equal(await d.exited, 0);
    assert.equal(filesUnder(join(dir, 'data')).filter((f) => f.endsWith('.dcm')).length, 1);
  });

  it('stores a 1 GB object with a small resident set', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-big-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const free = statfsSync(dir);
    if (free.bavail * free.bsize < 3 * 2 ** 30) {
      t.skip(`needs 3 GB free in ${tmpdir()}`);
      return;
    }
    const port = await freePort();
    const d = startDgate(dir, [`-p${port}`]);
    t.after(() => d.child.kill('SIGKILL'));
    await waitFor(d, /listening on port/);
    const client = await DicomClient.connect(
      { host: '127.0.0.1', port, callingAETitle: 'BIG', calledAETitle: 'CONQUESTSRV1' },
      [{ abstractSyntax: SC, transferSyntaxes: [ExplicitVRLittleEndian.uid] }],
    );
    const size = 2 ** 30;
    const rsp = await client.store(
      SC,
      '1.2.826.0.1.3680043.8.498.99',
      ExplicitVRLittleEndian.uid,
      streamedObject('1.2.826.0.1.3680043.8.498.99', size),
    );
    assert.equal(rsp.command.status, 0);
    await client.release();
    const rss = peakRssMB(d.child.pid!);
    t.diagnostic(`server peak RSS ${rss.toFixed(0)} MB for a ${size / 2 ** 20} MB object`);
    assert.ok(rss < 200, `peak RSS ${rss} MB`);
    const stored = filesUnder(join(dir, 'data')).filter((f) => f.endsWith('.dcm'));
    assert.equal(stored.length, 1);
    assert.ok(statSync(stored[0]!).size > size);
  });
});

describe('dgate FileNameSyntax', { skip: DCMTK_SKIP || CORPUS_SKIP }, () => {
  const file = () => corpusPath('study/PAT002/20200630_A3003/s01_CT/0001.dcm');

  async function storeWith(syntax: string): Promise<{ dir: string; stored: string[] }> {
    const dir = mkdtempSync(join(tmpdir(), 'cq-fns-'));
    writeFileSync(join(dir, 'dicom.ini'), `[sscscp]\nMyACRNema = CONQUESTSRV1\nFileNameSyntax = ${syntax}\n`);
    const port = await freePort();
    const d = startDgate(dir, [`-p${port}`]);
    try {
      await waitFor(d, /listening on port/);
      const r = await runStatus('storescu', ['127.0.0.1', String(port), file()]);
      assert.equal(r.code, 0, r.output);
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
    const stored = filesUnder(join(dir, 'data')).filter((f) => !f.includes('/.incoming/'));
    return { dir, stored };
  }

  it('syntax 9 stores study/series/instance.dcm as Part 10', async (t) => {
    const { dir, stored } = await storeWith('9');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    assert.equal(stored.length, 1);
    const sent = parseDicom(readFileSync(file()));
    const uid = (k: string): string => sent.dataset.string(k)!;
    assert.ok(
      stored[0]!.endsWith(
        `/data/${uid('StudyInstanceUID')}/${uid('SeriesInstanceUID')}/${uid('SOPInstanceUID')}.dcm`,
      ),
      stored[0],
    );
    assert.ok(parseDicom(readFileSync(stored[0]!)).preamble);
  });

  it('syntax 3 stores a raw Implicit VR LE .v2 file with the same data set', async (t) => {
    const { dir, stored } = await storeWith('3');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    assert.equal(stored.length, 1);
    assert.match(stored[0]!, /\/data\/PAT002\/[0-9.]+_\d{4}_\d{6}_\d+[0-9a-f]{4}\.v2$/);
    const v2 = parseDicom(readFileSync(stored[0]!));
    assert.equal(v2.preamble, undefined);
    assert.equal(v2.transferSyntax.uid, '1.2.840.10008.1.2');
    const sent = parseDicom(readFileSync(file()));
    assert.deepEqual(canonical(v2.dataset, { looseVR: true }), canonical(sent.dataset, { looseVR: true }));
  });

  it('a lua: FileNameSyntax is refused at start with a clear message', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-fnl-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'dicom.ini'), '[sscscp]\nFileNameSyntax = lua:Data.PatientID\n');
    const d = startDgate(dir, []);
    assert.equal(await d.exited, 1);
    assert.match(d.output(), /lua: file names need the scripting layer/);
  });
});

describe('dgate indexes what it stores (SQLite, dicom.sql)', { skip: DCMTK_SKIP || CORPUS_SKIP }, () => {
  interface Sqlite {
    prepare(sql: string): { get(...p: unknown[]): Record<string, number> };
    close(): void;
  }
  const openDb = (path: string): Sqlite => {
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (
      p: string,
      o: { readonly: boolean },
    ) => Sqlite;
    return new Database(path, { readonly: true });
  };
  const counts = (dir: string): number[] => {
    const db = openDb(join(dir, 'data', 'dbase', 'conquest.db3'));
    try {
      return ['DICOMPatients', 'DICOMStudies', 'DICOMSeries', 'DICOMImages'].map(
        (t) => db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get().n!,
      );
    } finally {
      db.close();
    }
  };

  it('the corpus study folder gives the patient/study/series/image rows; duplicates replace across restarts; a UID clash is refused', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-index-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    let d = startDgate(dir, [`-p${port}`]);
    await waitFor(d, /listening on port/);
    assert.ok(existsSync(join(dir, 'dicom.sql')));
    const studyFiles = filesUnder(corpusPath('study')).filter((f) => f.endsWith('.dcm'));
    assert.equal(studyFiles.length, 145);
    // Each file in its own transfer syntax (some are JPEG Lossless), as in the Storage SCP tests.
    const r = await storeAsIs(dir, port, studyFiles);
    assert.equal(r.code, 0, r.output.slice(0, 2000));
    assert.deepEqual(counts(dir), [3, 6, 15, 145]);

    // Restart: the index, not memory, now knows where each instance is.
    d.child.kill('SIGTERM');
    await d.exited;
    d = startDgate(dir, [`-p${port}`]);
    t.after(() => d.child.kill('SIGKILL'));
    await waitFor(d, /listening on port/);
    const again = await storeAsIs(dir, port, [studyFiles[0]!]);
    assert.equal(again.code, 0, again.output);
    assert.deepEqual(counts(dir), [3, 6, 15, 145]);
    assert.equal(filesUnder(join(dir, 'data')).filter((f) => f.endsWith('.dcm')).length, 145);

    // The same SOP Instance UID under another patient: refused, nothing stored.
    const clash = parseDicom(readFileSync(studyFiles[0]!));
    clash.dataset.setStrings('PatientID', 'SOMEONE_ELSE');
    const clashPath = join(dir, 'clash.dcm');
    writeFileSync(clashPath, writeDicomFile(clash.meta, clash.dataset, clash.transferSyntax));
    const refused = await storeAsIs(dir, port, [clashPath], ['-v']);
    assert.match(refused.output, /Received Store Response \((?!Success)/);
    assert.deepEqual(counts(dir), [3, 6, 15, 145]);
    assert.equal(filesUnder(join(dir, 'data')).filter((f) => f.endsWith('.dcm')).length, 145);
    // ...and the good copy on disk is untouched.
    const uid = clash.dataset.string('SOPInstanceUID')!;
    const onDisk = filesUnder(join(dir, 'data'))
      .filter((f) => f.endsWith('.dcm'))
      .map((f) => parseDicom(readFileSync(f), { stopBeforeTag: 0x00200000 }).dataset)
      .find((ds) => ds.string('SOPInstanceUID') === uid)!;
    assert.equal(
      onDisk.string('PatientID'),
      parseDicom(readFileSync(studyFiles[0]!)).dataset.string('PatientID'),
    );
  });
});
