/**
 * The archive maintenance commands end to end through dgate: without a server (they run in dgate's own
 * process) and with one (sent over the server-command channel and run inside it), and the switches.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';
import { freePort } from '../support/ports.js';

const DGATE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'dgate.js');

function dgate(
  dir: string,
  port: number,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DGATE, `-w${dir}`, `-p${port}`, ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function storedFiles(dir: string): string[] {
  const data = join(dir, 'data');
  if (!existsSync(data)) return [];
  return readdirSync(data, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.dcm') && !e.parentPath.includes('.incoming'))
    .map((e) => join(e.parentPath, e.name));
}

const CT1 = 'study/PAT001/20190115_A1001/s01_CT/0001.dcm';
const CT2 = 'study/PAT001/20190115_A1001/s01_CT/0002.dcm';
const MR1 = 'study/PAT001/20240229_A2002/s01_MR/0001.dcm';

describe('archive commands without a server (run in dgate)', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-archcmd-local-'));
    loadConfig(dir);
    port = await freePort(); // nobody listens there: the commands run locally
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--addimagefile with a patid, --query shows it, -z deletes it with its file', async () => {
    const add = await dgate(dir, port, [`--addimagefile:${corpusPath(CT1)},LOCAL1`]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /^Modified patient ID to: LOCAL1\nAdded file: .*LOCAL1.*\.dcm\n$/);
    const q = await dgate(dir, port, ['--query:DICOMPatients|PatientID,PatientNam||%s=%s']);
    assert.equal(q.stdout, 'LOCAL1=DOE^JOHN\n');
    const z = await dgate(dir, port, ['-zLOCAL1']);
    assert.equal(z.code, 0, z.stderr);
    assert.equal(
      z.stdout,
      'Deleting patient: LOCAL1\ndeleted 1 image (1 file), 1 series, 1 study, 1 patient\n',
    );
    assert.deepEqual(storedFiles(dir), []);
  });

  it('-faFILE adds, -fpID removes the rows only, -r initializes and regenerates them back', async () => {
    assert.equal((await dgate(dir, port, [`-fa${corpusPath(CT2)}`])).code, 0);
    const fp = await dgate(dir, port, ['-fpPAT001']);
    assert.equal(
      fp.stdout,
      'Deleting database entries for patient: PAT001\ndeleted 1 image (files kept), 1 series, 1 study, 1 patient\n',
    );
    assert.equal(storedFiles(dir).length, 1);
    assert.equal((await dgate(dir, port, ['--query:DICOMImages|SOPInstanc||'])).stdout, '');
    const r = await dgate(dir, port, ['-r']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^initialized DICOMWorkList, DICOMPatients, DICOMStudies, DICOMSeries, DICOMImages, UIDMODS\n/,
    );
    assert.match(r.stdout, /regen: \d+ files, 1 indexed, \d+ skipped, 0 failed\n$/);
    const q2 = await dgate(dir, port, ['--query2:DICOMImages|ImagePat,SOPInstanc||%s %0.0s*|10|']);
    assert.equal(q2.stdout, 'PAT001 ');
  });

  it('wrong arguments are usage errors (exit 2) with the right form', async () => {
    const d = await dgate(dir, port, ['--deletestudies:yesterday']);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /YYYYMMDD-YYYYMMDD/);
    const i = await dgate(dir, port, ['--initializetables:7']);
    assert.equal(i.code, 2);
    const q = await dgate(dir, port, ['--query:DICOMPatients|PatientID|1=1; DROP TABLE DICOMPatients|']);
    assert.equal(q.code, 1);
    assert.match(q.stderr, /may not contain ;/);
  });
});

describe('archive commands with a running server (run in the server)', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  let port: number;
  let server: ChildProcess;
  let log = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-archcmd-server-'));
    port = await freePort();
    server = spawn(process.execPath, [DGATE, `-w${dir}`, `-p${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
    });
    server.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const end = Date.now() + 15_000;
    while (!/listening on port/.test(log)) {
      if (Date.now() > end) throw new Error(`server did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds, queries and deletes through the server, which logs each command', async () => {
    for (const f of [CT1, CT2, MR1]) {
      const r = await dgate(dir, port, [`--addimagefile:${corpusPath(f)}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Added file: /);
    }
    assert.match(log, /server command --addimagefile:/);
    const regen = await dgate(dir, port, ['--regen:']);
    assert.match(regen.stdout, /^regen: \d+ files, 3 indexed, \d+ skipped, 0 failed\n$/);
    assert.match(log, /server command --regen:/);
    const q = await dgate(dir, port, ["--query:DICOMStudies|StudyDate,StudyModal|PatientID = 'PAT001'|"]);
    assert.deepEqual(q.stdout.split('\n').sort(), ['', '20190115 CT ', '20240229 MR ']);
    const series = await dgate(dir, port, ["--query:DICOMSeries|SeriesInst|Modality = 'MR'|%s*"]);
    const del = await dgate(dir, port, [`--deleteseries:PAT001:${series.stdout}`]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(
      del.stdout,
      `Deleting series: ${series.stdout}\ndeleted 1 image (1 file), 1 series, 1 study, 0 patients\n`,
    );
    assert.match(log, /server command --deleteseries:/);
    assert.equal(storedFiles(dir).length, 2);
    const study = await dgate(dir, port, ['--deletestudies:20190115']);
    assert.match(study.stdout, /deleted 2 images \(2 files\), 1 series, 1 study, 1 patient\n$/);
    assert.deepEqual(storedFiles(dir), []);
  });

  it('a failing command reports its error from the server', async () => {
    const r = await dgate(dir, port, ['--regendevice:MAG9']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\*\*\* device MAG9 is not configured/);
  });
});
