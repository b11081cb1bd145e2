/**
 * The codec worker pool: what comes out of a worker is what the in-process codecs give, errors keep their
 * class and fields, back-pressure holds callers while the queue is full, a dying worker fails only its job,
 * and close() ends the workers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodecError, type PixelDescription } from '../../src/codecs/codec.js';
import { describePixels, frameBytes } from '../../src/codecs/pixel-data.js';
import {
  CodecPool,
  CodecPoolClosedError,
  CodecWorkerError,
  closeSharedCodecPool,
  sharedCodecPool,
} from '../../src/codecs/pool.js';
import { decodeFrame, encodeFrame } from '../../src/codecs/registry.js';
import { transcodeDataset } from '../../src/codecs/transcode.js';
import { parseDicom, readDicomFile } from '../../src/dicom/reader.js';
import { writeDataset } from '../../src/dicom/writer.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';

const CRASH_WORKER = new URL('./pool-crash-worker.js', import.meta.url);
const JPEG_LS = '1.2.840.10008.1.2.4.80';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

const SOURCES = [
  'codec/jpegls_ll_ct16s.dcm',
  'codec/jpeg_ll_sv1_rgb.dcm',
  'codec/j2k_ll_mr12.dcm',
  'codec/jpeg_ll_sv1_nm16mf_bot.dcm',
  'codec/jpeg_baseline_rgb.dcm',
];
const TARGETS = [
  EXPLICIT_LE,
  '1.2.840.10008.1.2.5',
  '1.2.840.10008.1.2.4.70',
  JPEG_LS,
  '1.2.840.10008.1.2.4.50',
];

/** A corpus file as the store holds it: the raw data set bytes and its syntax. */
async function rawDataset(path: string): Promise<{ bytes: Buffer; ts: string }> {
  const file = await readDicomFile(corpusPath(path));
  const ts = file.transferSyntax.uid;
  return { bytes: writeDataset(file.dataset, ts), ts };
}

async function inProcess(bytes: Buffer, fromTs: string, toTs: string): Promise<Buffer> {
  const ds = parseDicom(bytes, { transferSyntax: fromTs }).dataset;
  return writeDataset(await transcodeDataset(ds, fromTs, toTs), toTs);
}

/** The bytes' hash, or the CodecError's class and message (a 16-bit source has no JPEG baseline). */
async function outcome(result: Promise<Buffer>): Promise<string> {
  try {
    return createHash('sha256')
      .update(await result)
      .digest('hex');
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    return `CodecError ${e.transferSyntaxUid} ${e.frame}: ${e.message}`;
  }
}

/** WASM exception messages name a pointer, which differs from thread to thread. */
const withoutPointer = (message: string): string => message.replace(/\(pointer \d+\)/, '(pointer)');

function ramp(rows: number, columns: number): { pixels: Buffer; description: PixelDescription } {
  const pixels = Buffer.alloc(rows * columns * 2);
  for (let i = 0; i < rows * columns; i++) pixels.writeUInt16LE((i * 37 + (i >> 7) * 11) & 0x0fff, i * 2);
  const description: PixelDescription = {
    rows,
    columns,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
    numberOfFrames: 1,
  };
  return { pixels, description };
}

describe('codec pool', () => {
  const pools: CodecPool[] = [];
  const pool = (options: ConstructorParameters<typeof CodecPool>[0] = {}): CodecPool => {
    const p = new CodecPool(options);
    pools.push(p);
    return p;
  };
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await closeSharedCodecPool();
  });

  it('transcodes corpus files to the same bytes as the in-process transcoder', {
    skip: CORPUS_SKIP,
  }, async () => {
    const p = pool({ size: 2 });
    const differ: string[] = [];
    for (const path of SOURCES) {
      const { bytes, ts } = await rawDataset(path);
      for (const target of TARGETS) {
        const expected = await outcome(inProcess(bytes, ts, target));
        const got = await outcome(p.transcode(bytes, ts, target, { keepInput: true }));
        if (got !== expected) differ.push(`${path} -> ${target}: ${got} != ${expected}`);
      }
    }
    assert.deepEqual(differ, []);
  });

  it('accepts a Part 10 file, whose meta header names the syntax', { skip: CORPUS_SKIP }, async () => {
    const p = pool({ size: 1 });
    const file = await readDicomFile(corpusPath(SOURCES[0]!));
    const { bytes, ts } = await rawDataset(SOURCES[0]!);
    const part10 = await p.transcode(readFileSync(corpusPath(SOURCES[0]!)), ts, EXPLICIT_LE);
    assert.equal(file.transferSyntax.uid, JPEG_LS);
    assert.ok(part10.equals(await inProcess(bytes, ts, EXPLICIT_LE)));
  });

  it('decodes and encodes single frames like the registry', { skip: CORPUS_SKIP }, async () => {
    const p = pool({ size: 1 });
    const file = await readDicomFile(corpusPath('codec/jpeg_ll_sv1_rgb.dcm'));
    const ts = file.transferSyntax.uid;
    const d = describePixels(file.dataset, ts);
    const frame = frameBytes(file.dataset, 0, ts);
    const local = await decodeFrame(frame, d, ts);
    const remote = await p.decodeFrame(frame, d, ts);
    assert.ok(remote.pixels.equals(local.pixels));
    assert.equal(remote.photometricInterpretation, local.photometricInterpretation);
    assert.equal(remote.planarConfiguration, local.planarConfiguration);
    const localJpeg = await encodeFrame(local.pixels, d, '1.2.840.10008.1.2.4.50', { quality: 80 });
    const remoteJpeg = await p.encodeFrame(local.pixels, d, '1.2.840.10008.1.2.4.50', { quality: 80 });
    assert.ok(remoteJpeg.data.equals(localJpeg.data));
    assert.equal(remoteJpeg.photometricInterpretation, localJpeg.photometricInterpretation);
    assert.deepEqual(remoteJpeg.lossy, localJpeg.lossy);
  });

  it('a corrupt file fails with a CodecError that keeps its fields', { skip: CORPUS_SKIP }, async () => {
    const p = pool({ size: 1 });
    for (const path of ['bad/corrupt_jpegls_dimensions.dcm', 'bad/corrupt_rle_header.dcm']) {
      const { bytes, ts } = await rawDataset(path);
      const local = await inProcess(bytes, ts, EXPLICIT_LE).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(local instanceof CodecError, `${path} fails in process`);
      await assert.rejects(p.transcode(bytes, ts, EXPLICIT_LE), (e: unknown) => {
        assert.ok(e instanceof CodecError, `${path}: ${String(e)}`);
        assert.equal(e.name, 'CodecError');
        assert.equal(withoutPointer(e.message), withoutPointer(local.message));
        assert.equal(e.transferSyntaxUid, local.transferSyntaxUid);
        assert.equal(e.frame, local.frame);
        assert.match(e.stack ?? '', /in codec worker/);
        return true;
      });
    }
  });

  it('20 jobs at once all complete, callers waiting while the queue is full', async () => {
    const p = pool({ size: 2, maxQueue: 3 });
    const { pixels, description } = ramp(256, 256);
    const expected = (await encodeFrame(pixels, description, JPEG_LS)).data;
    const jobs = Array.from({ length: 20 }, () =>
      p.encodeFrame(pixels, description, JPEG_LS, { keepInput: true }),
    );
    await new Promise((r) => setImmediate(r));
    const s = p.stats();
    assert.equal(s.workers, 2);
    assert.equal(s.queued, 3, 'the queue holds maxQueue jobs');
    assert.ok(s.waiting >= 15, `${s.waiting} callers wait for room`);
    const results = await Promise.all(jobs);
    assert.equal(results.length, 20);
    for (const r of results) assert.ok(r.data.equals(expected));
    assert.equal(pixels.length, 256 * 256 * 2, 'keepInput leaves the caller its Buffer');
    assert.deepEqual(
      { ...p.stats(), size: 0, workers: 0 },
      { size: 0, workers: 0, busy: 0, queued: 0, waiting: 0 },
    );
  });

  it('transfers a Buffer that owns its memory and copies one from the shared pool', async () => {
    const p = pool({ size: 1 });
    const { pixels, description } = ramp(64, 64);
    const owned = Buffer.from(new Uint8Array(pixels).buffer);
    const expected = (await encodeFrame(pixels, description, JPEG_LS)).data;
    assert.ok((await p.encodeFrame(owned, description, JPEG_LS)).data.equals(expected));
    assert.equal(owned.length, 0, 'transferred: the caller no longer holds the bytes');
    const small = ramp(8, 8);
    const pooled = Buffer.from(small.pixels.toString('latin1'), 'latin1'); // sliced from Node's Buffer pool
    assert.ok(pooled.buffer.byteLength > pooled.length);
    const again = await p.encodeFrame(pooled, small.description, JPEG_LS);
    assert.ok(again.data.equals((await encodeFrame(small.pixels, small.description, JPEG_LS)).data));
    assert.ok(pooled.equals(small.pixels), 'a pooled Buffer is copied, not detached');
  });

  for (const how of ['throw', 'exit'] as const) {
    it(`a worker that dies (${how}) fails its job only; the pool goes on`, async () => {
      const p = pool({ size: 1, workerUrl: CRASH_WORKER });
      const { pixels, description } = ramp(64, 64);
      const doomed = p.decodeFrame(pixels, description, `test:${how}`, { keepInput: true });
      const next = p.encodeFrame(pixels, description, JPEG_LS, { keepInput: true });
      await assert.rejects(doomed, (e: unknown) => {
        assert.ok(e instanceof CodecWorkerError);
        assert.ok(e instanceof CodecError);
        assert.equal(e.transferSyntaxUid, `test:${how}`);
        if (how === 'exit') {
          assert.equal(e.exitCode, 7);
          assert.match(e.message, /codec worker exited with code 7/);
        } else assert.match(e.message, /codec worker crashed: forced crash in the codec worker/);
        return true;
      });
      const r = await next;
      assert.ok(r.data.equals((await encodeFrame(pixels, description, JPEG_LS)).data));
      assert.equal(p.stats().workers, 1, 'a new worker replaced the dead one');
    });
  }

  it('close() ends the workers: running and later jobs fail, the process exits', async () => {
    const poolUrl = new URL('../../src/codecs/pool.js', import.meta.url).href;
    const script = `
      import { CodecPool, CodecPoolClosedError } from ${JSON.stringify(poolUrl)};
      const pool = new CodecPool({ size: 2, workerUrl: new URL(${JSON.stringify(CRASH_WORKER.href)}) });
      const d = { rows: 1, columns: 1, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8, highBit: 7,
        pixelRepresentation: 0, planarConfiguration: 0, photometricInterpretation: 'MONOCHROME2', numberOfFrames: 1 };
      const hanging = pool.decodeFrame(Buffer.alloc(1), d, 'test:hang').catch((e) => e);
      await new Promise((r) => setTimeout(r, 200));
      await pool.close();
      const e = await hanging;
      const later = await pool.decodeFrame(Buffer.alloc(1), d, 'test:hang').catch((x) => x);
      console.log(JSON.stringify({ hanging: e instanceof CodecPoolClosedError, later: later instanceof CodecPoolClosedError, workers: pool.stats().workers }));
    `;
    // A file, not --eval: workers inherit execArgv, and --input-type is refused in a worker.
    const dir = mkdtempSync(join(tmpdir(), 'codec-pool-'));
    const file = join(dir, 'close.mjs');
    writeFileSync(file, script);
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(run.signal, null, 'the process exited by itself (a hanging worker would keep it alive)');
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { hanging: true, later: true, workers: 0 });
  });

  it('the shared pool is one instance until closed', async () => {
    const a = sharedCodecPool();
    assert.equal(sharedCodecPool(), a);
    assert.ok(a.size >= 1);
    await closeSharedCodecPool();
    await assert.rejects(
      a.decodeFrame(Buffer.alloc(1), ramp(1, 1).description, JPEG_LS),
      CodecPoolClosedError,
    );
    assert.notEqual(sharedCodecPool(), a);
  });
});
