/**
 * `npm run bench`: the data layer's throughput, beside DCMTK on the same files in the same run.
 *
 * In-process figures (operations/s over a fixed time budget) for header-only parse, full parse and write of a
 * 512×512 16-bit CT image and of a 100-frame object; then process-level figures — `dgate --dump_header` and
 * `--dump_json` against `dcmdump` and `dcm2json`, each run as a fresh process per file — reported as ratios,
 * because these machines are shared and noisy. Nothing here is asserted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dataset } from '../src/dicom/dataset.js';
import { generateUid } from '../src/dicom/implementation.js';
import { parseDicom } from '../src/dicom/reader.js';
import { ExplicitVRLittleEndian } from '../src/dicom/transfer-syntax.js';
import { writeDicomFile } from '../src/dicom/writer.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const DGATE = resolve(here, '..', 'src', 'cli', 'dgate.js');
const BUDGET_MS = Number(process.env['BENCH_MS'] ?? 1500);

function image(rows: number, cols: number, frames: number, bits: 8 | 16): Buffer {
  const ds = new Dataset();
  ds.setStrings('SpecificCharacterSet', 'ISO_IR 100');
  ds.setStrings('ImageType', ['ORIGINAL', 'PRIMARY', 'AXIAL']);
  ds.setStrings('SOPClassUID', frames > 1 ? '1.2.840.10008.5.1.4.1.1.12.1' : '1.2.840.10008.5.1.4.1.1.2');
  ds.setStrings('SOPInstanceUID', generateUid());
  ds.setStrings('StudyDate', '20261203');
  ds.setStrings('Modality', frames > 1 ? 'XA' : 'CT');
  ds.setStrings('PatientName', 'Bench^Mark');
  ds.setStrings('PatientID', 'BENCH01');
  ds.setStrings('StudyInstanceUID', generateUid());
  ds.setStrings('SeriesInstanceUID', generateUid());
  for (let i = 0; i < 30; i++) ds.setStrings(0x00091000 + 0x10 + i, `private value ${i}`, 'LO');
  ds.setStrings(0x00090010, 'BENCH CREATOR', 'LO');
  ds.setNumbers('SamplesPerPixel', 1);
  ds.setStrings('PhotometricInterpretation', 'MONOCHROME2');
  if (frames > 1) ds.setNumbers('NumberOfFrames', frames, 'IS');
  ds.setNumbers('Rows', rows);
  ds.setNumbers('Columns', cols);
  ds.setNumbers('BitsAllocated', bits);
  ds.setNumbers('BitsStored', bits === 16 ? 12 : 8);
  ds.setNumbers('HighBit', bits === 16 ? 11 : 7);
  ds.setNumbers('PixelRepresentation', 0);
  const pixels = Buffer.alloc(rows * cols * frames * (bits / 8));
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31) & 0xff;
  ds.setBytes('PixelData', bits === 16 ? 'OW' : 'OB', pixels);
  return writeDicomFile(undefined, ds, ExplicitVRLittleEndian);
}

function rate(fn: () => void): number {
  for (let i = 0; i < 20; i++) fn(); // warm-up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < BUDGET_MS) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

function processRate(cmd: string, args: (file: string) => string[], file: string, runs: number): number {
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(cmd, args(file), { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  }
  return (runs * 1000) / (performance.now() - start);
}

function has(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function dataLayerBench(): void {
  const dir = mkdtempSync(join(tmpdir(), 'cq-bench-'));
  try {
    const cases = [
      { name: 'CT 512x512x16', bytes: image(512, 512, 1, 16) },
      { name: 'XA 100 frames 512x512x8', bytes: image(512, 512, 100, 8) },
    ];
    console.log(`# Data layer benchmark (${BUDGET_MS} ms per figure, node ${process.version})\n`);
    console.log('| object | size | header-only parse/s | full parse/s | write/s | full parse MB/s |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const c of cases) {
      const header = rate(() => parseDicom(c.bytes, { stopBeforeTag: 0x7fe00010 }));
      const full = rate(() => parseDicom(c.bytes));
      const file = parseDicom(c.bytes);
      const write = rate(() => writeDicomFile(file.meta, file.dataset, file.transferSyntax));
      const mb = (full * c.bytes.length) / 1e6;
      console.log(
        `| ${c.name} | ${(c.bytes.length / 1e6).toFixed(1)} MB | ${header.toFixed(0)} | ${full.toFixed(0)} | ${write.toFixed(0)} | ${mb.toFixed(0)} |`,
      );
    }
    if (!has('dcmdump') || !has('dcm2json')) {
      console.log('\nDCMTK not installed: process-level comparison skipped (apt-get install dcmtk).');
      return;
    }
    console.log('\n## Process level: one process per file (includes start-up), ratio = ours / DCMTK\n');
    console.log(
      '| object | dgate --dump_header/s | dcmdump/s | ratio | dgate --dump_json/s | dcm2json/s | ratio |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    const runs = Number(process.env['BENCH_RUNS'] ?? 20);
    for (const c of cases) {
      const path = join(dir, `${c.name.replace(/\W+/g, '_')}.dcm`);
      writeFileSync(path, c.bytes);
      const ours = processRate(process.execPath, (f) => [DGATE, `--dump_header:${f}`], path, runs);
      const dcm = processRate('dcmdump', (f) => ['-q', f], path, runs);
      const oursJson = processRate(process.execPath, (f) => [DGATE, `--dump_json:${f}`], path, runs);
      const dcmJson = processRate('dcm2json', (f) => [f], path, runs);
      console.log(
        `| ${c.name} | ${ours.toFixed(1)} | ${dcm.toFixed(1)} | ${(ours / dcm).toFixed(2)} | ${oursJson.toFixed(1)} | ${dcmJson.toFixed(1)} | ${(oursJson / dcmJson).toFixed(2)} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
