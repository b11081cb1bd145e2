/**
 * Codec throughput (issue 5's benchmark): encode and decode MB/s of native pixels per codec, on ten
 * 512×512 16-bit CT images (gen-ct.mjs, 12 bits stored) and ten 512×512 8-bit RGB images (generated here),
 * beside DCMTK's dcmcjpeg/dcmdjpeg, dcmcjpls/dcmdjpls and dcmcrle/dcmdrle on the same files in the same run;
 * then the worker pool's scaling: 20 JPEG-LS encodes with 1 worker and with 2.
 *
 * Ours: frame codec calls in this thread (encodeFrame/decodeFrame), repeated for at least a second, after
 * one warm-up call (the WASM module loads once). DCMTK: one process per file over the ten files; a process
 * start, read and write costs as much as `dcmconv` on the same input, so the codec's share is the tool's
 * time minus dcmconv's, each the best of three rounds (the subtraction is stated in the output). A fast
 * codec's share is then a few milliseconds out of ~300: those DCMTK figures are rough.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PixelDescription } from '../src/codecs/codec.js';
import { describePixels, frameBytes } from '../src/codecs/pixel-data.js';
import { CodecPool } from '../src/codecs/pool.js';
import { decodeFrame, encodeFrame } from '../src/codecs/registry.js';
import { Dataset } from '../src/dicom/dataset.js';
import { generateUid } from '../src/dicom/implementation.js';
import { readDicomFileSync } from '../src/dicom/reader.js';
import { ExplicitVRLittleEndian } from '../src/dicom/transfer-syntax.js';
import { writeDicomFile } from '../src/dicom/writer.js';

const GEN_CT = '/work/shared/bench/gen-ct.mjs';
const IMAGES = 10;

interface Codec {
  readonly label: string;
  readonly ts: string;
  /** DCMTK encoder and decoder with their options, when DCMTK has this syntax. */
  readonly dcmtk?: { readonly encode: readonly string[]; readonly decode: readonly string[] };
  /** Only for 8-bit images. */
  readonly eightBitOnly?: boolean;
}

const CODECS: readonly Codec[] = [
  {
    label: 'RLE',
    ts: '1.2.840.10008.1.2.5',
    dcmtk: { encode: ['dcmcrle'], decode: ['dcmdrle'] },
  },
  {
    label: 'JPEG lossless SV1 (.70)',
    ts: '1.2.840.10008.1.2.4.70',
    dcmtk: { encode: ['dcmcjpeg', '+e1'], decode: ['dcmdjpeg'] },
  },
  {
    label: 'JPEG-LS lossless (.80)',
    ts: '1.2.840.10008.1.2.4.80',
    dcmtk: { encode: ['dcmcjpls', '+el'], decode: ['dcmdjpls'] },
  },
  {
    label: 'JPEG baseline q90 (.50)',
    ts: '1.2.840.10008.1.2.4.50',
    dcmtk: { encode: ['dcmcjpeg', '+eb', '+q', '90'], decode: ['dcmdjpeg'] },
    eightBitOnly: true,
  },
  { label: 'JPEG 2000 lossless (.90)', ts: '1.2.840.10008.1.2.4.90' },
];

interface Image {
  readonly name: string;
  readonly files: readonly string[];
  readonly pixels: Buffer;
  readonly description: PixelDescription;
}

function ctImages(dir: string): Image {
  const run = spawnSync(
    process.execPath,
    [GEN_CT, '--out', dir, '--tag', 'codecs', '--size', '512', '--patients', '1', '--studies', '1'].concat([
      '--series',
      '1',
      '--images',
      String(IMAGES),
    ]),
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`gen-ct.mjs failed: ${run.stderr}`);
  const files = listFiles(dir).filter((f) => f.endsWith('.dcm'));
  return fromFile('CT 512×512 16-bit (12 stored)', files);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

function fromFile(name: string, files: string[]): Image {
  const file = readDicomFileSync(files[0]!);
  const ts = file.transferSyntax.uid;
  return {
    name,
    files,
    pixels: frameBytes(file.dataset, 0, ts),
    description: describePixels(file.dataset, ts),
  };
}

/** A smooth colour field with some noise, like a photo or a rendered secondary capture. */
function rgbImages(dir: string): Image {
  const size = 512;
  const pixels = Buffer.alloc(size * size * 3);
  let seed = 12345;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const noise = (seed >>> 28) - 8;
      const o = (y * size + x) * 3;
      pixels[o] = clamp(x / 2 + noise);
      pixels[o + 1] = clamp(y / 2 + noise);
      pixels[o + 2] = clamp(128 + 100 * Math.sin((x + y) / 40) + noise);
    }
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const ds = new Dataset();
    ds.setStrings('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
    ds.setStrings('SOPInstanceUID', generateUid());
    ds.setStrings('StudyInstanceUID', generateUid());
    ds.setStrings('SeriesInstanceUID', generateUid());
    ds.setStrings('PatientID', 'BENCHRGB');
    ds.setStrings('Modality', 'OT');
    ds.setNumbers('SamplesPerPixel', 3);
    ds.setStrings('PhotometricInterpretation', 'RGB');
    ds.setNumbers('PlanarConfiguration', 0);
    ds.setNumbers('Rows', size);
    ds.setNumbers('Columns', size);
    ds.setNumbers('BitsAllocated', 8);
    ds.setNumbers('BitsStored', 8);
    ds.setNumbers('HighBit', 7);
    ds.setNumbers('PixelRepresentation', 0);
    ds.setBytes('PixelData', 'OB', pixels);
    const path = join(dir, `rgb${i}.dcm`);
    writeFileSync(path, writeDicomFile(undefined, ds, ExplicitVRLittleEndian));
    files.push(path);
  }
  return fromFile('RGB 512×512 8-bit', files);
}

const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

/** Calls per second of `fn`, repeated for at least `ms`, after one warm-up call. */
async function rate(fn: () => Promise<unknown>, ms = 1000): Promise<number> {
  await fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    await fn();
    n++;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

const ROUNDS = 3;
const NOISE_MS = 5;

/**
 * Wall time (ms) of running the tool once per input file, writing to outDir: the best of ROUNDS rounds
 * (process start-up varies by milliseconds, as much as a small image's coding takes).
 */
function timeTool(command: readonly string[], inputs: readonly string[], outDir: string): number {
  mkdirSync(outDir, { recursive: true });
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    inputs.forEach((input, i) => {
      const run = spawnSync(command[0]!, [...command.slice(1), input, join(outDir, `${i}.dcm`)], {
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`${command.join(' ')} failed: ${run.stderr}`);
    });
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

interface Row {
  image: string;
  codec: string;
  ratio: number;
  encode: number;
  decode: number;
  dcmtkEncode?: number;
  dcmtkDecode?: number;
  /** DCMTK's codec time over all files after the subtraction, ms. */
  dcmtkEncodeMs?: number;
  dcmtkDecodeMs?: number;
}

const mb = (bytes: number): number => bytes / 1e6;

async function measure(image: Image, codec: Codec, work: string): Promise<Row> {
  const { pixels, description, files } = image;
  const encoded = await encodeFrame(pixels, description, codec.ts);
  const decodeDescription: PixelDescription = {
    ...description,
    photometricInterpretation: encoded.photometricInterpretation,
  };
  const size = mb(pixels.length);
  const encode = size * (await rate(() => encodeFrame(pixels, description, codec.ts)));
  const decode = size * (await rate(() => decodeFrame(encoded.data, decodeDescription, codec.ts)));
  const row: Row = {
    image: image.name,
    codec: codec.label,
    ratio: pixels.length / encoded.data.length,
    encode,
    decode,
  };
  if (!codec.dcmtk) return row;
  // DCMTK: codec time = tool time − dcmconv's time on the same inputs (start-up, read, write).
  const tag = codec.ts.replace(/\W/g, '_');
  const encDir = join(work, `${tag}-enc`);
  const plainEnc = timeTool(['dcmconv', '+te'], files, join(work, `${tag}-conv1`));
  const enc = timeTool(codec.dcmtk.encode, files, encDir);
  const encodedFiles = listFiles(encDir);
  const plainDec = timeTool(['dcmconv'], encodedFiles, join(work, `${tag}-conv2`));
  const dec = timeTool(codec.dcmtk.decode, encodedFiles, join(work, `${tag}-dec`));
  const total = size * files.length;
  row.dcmtkEncodeMs = enc - plainEnc;
  row.dcmtkDecodeMs = dec - plainDec;
  // Below NOISE_MS the codec's share is lost in process start-up jitter: no figure.
  if (row.dcmtkEncodeMs >= NOISE_MS) row.dcmtkEncode = total / (row.dcmtkEncodeMs / 1000);
  if (row.dcmtkDecodeMs >= NOISE_MS) row.dcmtkDecode = total / (row.dcmtkDecodeMs / 1000);
  return row;
}

/** Wall time (ms) of 20 JPEG-LS encodes of the CT frame through a pool of `size` workers (warmed up first). */
async function poolWall(image: Image, size: number): Promise<number> {
  const pool = new CodecPool({ size });
  const ts = '1.2.840.10008.1.2.4.80';
  try {
    const opts = { keepInput: true };
    await Promise.all(
      Array.from({ length: size }, () => pool.encodeFrame(image.pixels, image.description, ts, opts)),
    );
    const start = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, () => pool.encodeFrame(image.pixels, image.description, ts, opts)),
    );
    return performance.now() - start;
  } finally {
    await pool.close();
  }
}

const f1 = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(1));
const dcmtk = (rate: number | undefined, ms: number | undefined): string =>
  ms === undefined
    ? '–'
    : rate === undefined
      ? `below noise (${ms.toFixed(0)} ms)`
      : `${rate.toFixed(1)} (${ms.toFixed(0)} ms)`;
const f2 = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(2));

export async function codecsBench(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-codecs-'));
  try {
    const images = [ctImages(join(work, 'ct')), rgbImages(join(work, 'rgb'))];
    const rows: Row[] = [];
    for (const image of images)
      for (const codec of CODECS) {
        if (codec.eightBitOnly && image.description.bitsAllocated !== 8) continue;
        rows.push(await measure(image, codec, join(work, 'out', String(rows.length))));
      }
    console.log(`# Codec benchmark (node ${process.version}, ${IMAGES} images per kind)\n`);
    console.log('MB/s of native pixels; ratio = ours / DCMTK. Ours: frame calls in one thread, no file I/O.');
    console.log(
      'DCMTK: one process per file, best of 3 rounds; dcmconv on the same files (start-up, read, write)',
    );
    console.log(`subtracted (the figure shows the subtracted time: a few ms means a rough figure).\n`);
    console.log(
      '| image | codec | compression | encode MB/s | DCMTK encode | ratio | decode MB/s | DCMTK decode | ratio |',
    );
    console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const er = r.dcmtkEncode ? r.encode / r.dcmtkEncode : undefined;
      const dr = r.dcmtkDecode ? r.decode / r.dcmtkDecode : undefined;
      console.log(
        `| ${r.image} | ${r.codec} | ${r.ratio.toFixed(2)}:1 | ${f1(r.encode)} | ${dcmtk(r.dcmtkEncode, r.dcmtkEncodeMs)} | ${f2(er)} | ${f1(r.decode)} | ${dcmtk(r.dcmtkDecode, r.dcmtkDecodeMs)} | ${f2(dr)} |`,
      );
    }
    const one = await poolWall(images[0]!, 1);
    const two = await poolWall(images[0]!, 2);
    console.log('\n## Worker pool: 20 JPEG-LS encodes of the CT frame (pool warmed up, WASM loaded)\n');
    console.log('| workers | wall ms | speed-up |');
    console.log('|---:|---:|---:|');
    console.log(`| 1 | ${one.toFixed(0)} | 1.00 |`);
    console.log(`| 2 | ${two.toFixed(0)} | ${(one / two).toFixed(2)} |`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
