/**
 * C-STORE throughput (issue 3's benchmark): 2,000 CT images of 512×512×16 bit and 2,000 of 64×64,
 * generated here, sent by DCMTK storescu on one association and on four at once into our server, beside
 * DCMTK storescp writing to disk (the reference) and storescp --ignore (the ceiling), in the same run;
 * then our SCU sending the same set to storescp. Images/s, MB/s, peak RSS of the receiving process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset } from '../src/dicom/dataset.js';
import { generateUid } from '../src/dicom/implementation.js';
import { ExplicitVRLittleEndian } from '../src/dicom/transfer-syntax.js';
import { writeDicomFile } from '../src/dicom/writer.js';
import { contextsForFiles, DicomClient, describeFile } from '../src/net/client.js';
import { freePort } from '../test/support/ports.js';
import { DGATE } from './data-layer.js';

const COUNT = Number(process.env['BENCH_STORE_COUNT'] ?? 2000);
const CT = '1.2.840.10008.5.1.4.1.1.2';

function generate(dir: string, rows: number, count: number): { files: string[]; bytes: number } {
  mkdirSync(dir, { recursive: true });
  const pixels = Buffer.alloc(rows * rows * 2);
  for (let i = 0; i < pixels.length; i += 2) pixels.writeUInt16LE((i * 7) & 0x0fff, i);
  const study = generateUid();
  const files: string[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const ds = new Dataset();
    ds.setStrings('SpecificCharacterSet', 'ISO_IR 100');
    ds.setStrings('SOPClassUID', CT);
    ds.setStrings('SOPInstanceUID', generateUid());
    ds.setStrings('StudyDate', '20261203');
    ds.setStrings('Modality', 'CT');
    ds.setStrings('PatientName', `Bench^${Math.floor(i / 50)}`);
    ds.setStrings('PatientID', `BENCH${Math.floor(i / 500)}`);
    ds.setStrings('StudyInstanceUID', study);
    ds.setStrings('SeriesInstanceUID', `${study}.${Math.floor(i / 100)}`);
    ds.setNumbers('SeriesNumber', Math.floor(i / 100), 'IS');
    ds.setNumbers('InstanceNumber', i + 1, 'IS');
    ds.setNumbers('SamplesPerPixel', 1);
    ds.setStrings('PhotometricInterpretation', 'MONOCHROME2');
    ds.setNumbers('Rows', rows);
    ds.setNumbers('Columns', rows);
    ds.setNumbers('BitsAllocated', 16);
    ds.setNumbers('BitsStored', 12);
    ds.setNumbers('HighBit', 11);
    ds.setNumbers('PixelRepresentation', 0);
    ds.setBytes('PixelData', 'OW', pixels);
    const out = writeDicomFile(undefined, ds, ExplicitVRLittleEndian);
    const path = join(dir, `${String(i).padStart(5, '0')}.dcm`);
    writeFileSync(path, out);
    files.push(path);
    bytes += out.length;
  }
  return { files, bytes };
}

function peakRssMB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const ENV = { ...process.env, TCP_NODELAY: '1' };

function runStorescu(port: number, files: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // The paths go as arguments (2,000 short paths fit the limit).
    const child = spawn(
      'storescu',
      ['-aet', 'BENCHSCU', '-aec', 'CONQUESTSRV1', '127.0.0.1', String(port), ...files],
      { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`storescu exited ${code}: ${err.slice(0, 500)}`));
    });
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

interface Receiver {
  name: string;
  port: number;
  child: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Kind = 'ours' | 'ours-nosync' | 'ours-js' | 'ours-jk' | 'storescp' | 'ignore';

/** dicom.ini of the variants of our server measured (absent: the first-install defaults). */
const VARIANT_INI: Partial<Record<Kind, string>> = {
  'ours-nosync': 'FsyncStoredFiles = 0',
  // IncomingCompression: every object read back and recompressed in the codec worker pool.
  'ours-js': 'IncomingCompression = js',
  'ours-jk': 'IncomingCompression = jk',
};

async function startReceiver(kind: Kind): Promise<Receiver> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `cq-bench-${kind}-`));
  let child: ChildProcess;
  // ours-nosync: without fsync per object, as Conquest and storescp.
  const variant = VARIANT_INI[kind];
  if (variant)
    writeFileSync(
      join(dir, 'dicom.ini'),
      `[sscscp]\nMyACRNema = CONQUESTSRV1\nFileNameSyntax = 4\n${variant}\n`,
    );
  if (kind.startsWith('ours'))
    child = spawn(process.execPath, [DGATE, `-p${port}`, '-l'], { cwd: dir, stdio: 'ignore', env: ENV });
  else if (kind === 'storescp')
    child = spawn('storescp', ['-od', dir, '-uf', String(port)], { stdio: 'ignore', env: ENV });
  else child = spawn('storescp', ['--ignore', String(port)], { stdio: 'ignore', env: ENV });
  await waitForPort(port);
  const names: Record<Kind, string> = {
    ours: 'Conquest TS',
    'ours-nosync': 'Conquest TS, FsyncStoredFiles=0',
    'ours-js': 'Conquest TS, IncomingCompression=js',
    'ours-jk': 'Conquest TS, IncomingCompression=jk',
    storescp: 'storescp -od',
    ignore: 'storescp --ignore',
  };
  const name = names[kind];
  return {
    name,
    port,
    child,
    dir,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Row {
  set: string;
  receiver: string;
  sender: string;
  assocs: number;
  seconds: number;
  images: number;
  bytes: number;
  rssMB: number;
}

async function storeRun(
  kind: Kind,
  set: { name: string; files: string[]; bytes: number },
  assocs: number,
): Promise<Row> {
  const r = await startReceiver(kind);
  try {
    const parts = Array.from({ length: assocs }, (_, k) => set.files.filter((_, i) => i % assocs === k));
    const seconds = await timed(async () => {
      await Promise.all(parts.map((p) => runStorescu(r.port, p)));
    });
    return {
      set: set.name,
      receiver: r.name,
      sender: 'storescu',
      assocs,
      seconds,
      images: set.files.length,
      bytes: set.bytes,
      rssMB: peakRssMB(r.child.pid!),
    };
  } finally {
    await r.stop();
  }
}

async function ourScuRun(set: { name: string; files: string[]; bytes: number }): Promise<Row> {
  const r = await startReceiver('storescp');
  try {
    const described = await Promise.all(set.files.slice(0, 1).map((f) => describeFile(f)));
    const seconds = await timed(async () => {
      const client = await DicomClient.connect(
        { host: '127.0.0.1', port: r.port, callingAETitle: 'BENCHSCU', calledAETitle: 'STORESCP' },
        contextsForFiles(described),
      );
      for (const f of set.files) {
        const d = await describeFile(f);
        const status = await client.storeFile(d);
        if (status !== 0) throw new Error(`store of ${f} answered 0x${status.toString(16)}`);
      }
      await client.release();
    });
    return {
      set: set.name,
      receiver: r.name,
      sender: 'Conquest TS SCU',
      assocs: 1,
      seconds,
      images: set.files.length,
      bytes: set.bytes,
      rssMB: Number.NaN,
    };
  } finally {
    await r.stop();
  }
}

export async function storeBench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cq-bench-data-'));
  try {
    const big = { name: `${COUNT} CT 512x512x16`, ...generate(join(root, 'big'), 512, COUNT) };
    const small = { name: `${COUNT} CT 64x64x16`, ...generate(join(root, 'small'), 64, COUNT) };
    const rows: Row[] = [];
    for (const set of [big, small]) {
      for (const assocs of [1, 4]) {
        for (const kind of ['ours', 'ours-nosync', 'storescp', 'ignore'] as const)
          rows.push(await storeRun(kind, set, assocs));
        // Compression on store (issue 5): 512x512 only; with 4 associations the pool uses every core.
        if (set === big)
          for (const kind of ['ours-js', 'ours-jk'] as const) rows.push(await storeRun(kind, set, assocs));
      }
      rows.push(await ourScuRun(set));
    }
    console.log(
      `\n## C-STORE (${COUNT} images per set; TCP_NODELAY=1 for DCMTK; ratio = images/s ÷ storescp -od, same set and associations)\n`,
    );
    console.log('| set | sender → receiver | assocs | images/s | MB/s | ratio | peak RSS MB |');
    console.log('|---|---|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      const ref = rows.find(
        (x) =>
          x.set === row.set &&
          x.assocs === row.assocs &&
          x.receiver === 'storescp -od' &&
          x.sender === 'storescu',
      );
      const rate = row.images / row.seconds;
      const ratio = ref ? rate / (ref.images / ref.seconds) : Number.NaN;
      console.log(
        `| ${row.set} | ${row.sender} → ${row.receiver} | ${row.assocs} | ${rate.toFixed(0)} | ${(row.bytes / 1e6 / row.seconds).toFixed(0)} | ${ratio.toFixed(2)} | ${Number.isNaN(row.rssMB) ? '' : row.rssMB.toFixed(0)} |`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
