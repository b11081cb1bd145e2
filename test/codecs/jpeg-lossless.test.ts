import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CodecError, type PixelDescription } from '../../src/codecs/codec.js';
import { encodeJpegLossless, jpegLosslessCodec } from '../../src/codecs/jpeg/index.js';
import { allFrameBytes, describePixels, encapsulate } from '../../src/codecs/pixel-data.js';
import { DataElement } from '../../src/dicom/element.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { writeDicomFile } from '../../src/dicom/writer.js';
import { CORPUS_SKIP, corpusManifest, corpusPath } from '../support/corpus.js';
import { pixelHash, readNativeFrames } from '../support/pixel-hash.js';

const LL57 = '1.2.840.10008.1.2.4.57';
const LL70 = '1.2.840.10008.1.2.4.70';

function hasDcmdjpeg(): boolean {
  try {
    execFileSync('dcmdjpeg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const DCMDJPEG_SKIP = hasDcmdjpeg() ? false : 'dcmdjpeg (DCMTK) not installed';

function desc(over: Partial<PixelDescription>): PixelDescription {
  return {
    rows: 5,
    columns: 7,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
    numberOfFrames: 1,
    ...over,
  };
}

/** Deterministic pseudo-random native pixels filling Bits Stored. */
function noise(d: PixelDescription, seed: number): Buffer {
  const n = d.rows * d.columns * d.samplesPerPixel;
  const bytes = d.bitsAllocated / 8;
  const out = Buffer.alloc(n * bytes);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const v = (s >>> 8) & ((1 << d.bitsStored) - 1);
    if (bytes === 1) out[i] = v;
    else out.writeUInt16LE(v, i * 2);
  }
  return out;
}

async function decodeFile(path: string) {
  const file = await readDicomFile(path);
  const ts = file.transferSyntax.uid;
  const d = describePixels(file.dataset, ts);
  const frames: Buffer[] = [];
  for (const f of allFrameBytes(file.dataset, ts))
    frames.push((await jpegLosslessCodec.decode(f, d, ts)).pixels);
  return { file, ts, d, frames };
}

const lossless = CORPUS_SKIP
  ? []
  : corpusManifest().filter(
      (e) => e.path.startsWith('codec/') && (e.transferSyntaxUid === LL57 || e.transferSyntaxUid === LL70),
    );

describe('JPEG lossless decoding of the corpus', { skip: CORPUS_SKIP }, () => {
  it('covers .57 and .70 files', () => assert.ok(lossless.length >= 20));
  for (const entry of lossless) {
    it(`${entry.path} decodes to its pixel_sha256`, async () => {
      const { d, frames } = await decodeFile(corpusPath(entry));
      assert.equal(pixelHash(frames, d), entry.pixelSha256);
    });
  }
});

describe('JPEG lossless round trip', () => {
  const shapes: Partial<PixelDescription>[] = [
    { bitsAllocated: 8, bitsStored: 8, highBit: 7 },
    { bitsAllocated: 8, bitsStored: 2, highBit: 1 },
    { bitsStored: 12, highBit: 11 },
    { bitsStored: 16, highBit: 15, pixelRepresentation: 1 },
    { samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8, highBit: 7, photometricInterpretation: 'RGB' },
    { samplesPerPixel: 3, bitsStored: 16, highBit: 15, photometricInterpretation: 'RGB' },
    { rows: 1, columns: 1 },
  ];
  for (const shape of shapes) {
    for (let sv = 1; sv <= 7; sv++) {
      it(`predictor ${sv}, ${JSON.stringify(shape)}`, async () => {
        const d = desc(shape);
        const pixels = noise(d, sv * 7 + d.bitsStored);
        const enc = encodeJpegLossless(pixels, d, sv);
        const dec = await jpegLosslessCodec.decode(enc.data, d, sv === 1 ? LL70 : LL57);
        assert.deepEqual(dec.pixels, pixels);
      });
    }
  }

  it('encodes planar RGB and decodes it interleaved', async () => {
    const d = desc({
      samplesPerPixel: 3,
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      planarConfiguration: 1,
    });
    const planar = noise(d, 3);
    const n = d.rows * d.columns;
    const enc = await jpegLosslessCodec.encode!(planar, d, LL70);
    const dec = await jpegLosslessCodec.decode(enc.data, { ...d, planarConfiguration: 0 }, LL70);
    assert.equal(dec.planarConfiguration, 0);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < 3; c++) assert.equal(dec.pixels[i * 3 + c], planar[c * n + i]);
  });

  it('ignores bits above High Bit', async () => {
    const d = desc({ bitsStored: 12, highBit: 11 });
    const clean = noise(d, 5);
    const dirty = Buffer.from(clean);
    for (let i = 0; i < dirty.length; i += 2) dirty[i + 1] = dirty[i + 1]! | 0xf0;
    const enc = encodeJpegLossless(dirty, d, 4);
    assert.deepEqual((await jpegLosslessCodec.decode(enc.data, d, LL57)).pixels, clean);
  });

  it('round-trips every native-decodable corpus image of the lossless files, smaller with optimal tables', {
    skip: CORPUS_SKIP,
  }, async () => {
    for (const entry of lossless) {
      const { d, frames } = await decodeFile(corpusPath(entry));
      for (const frame of frames) {
        const enc = encodeJpegLossless(frame, d, 1);
        assert.deepEqual((await jpegLosslessCodec.decode(enc.data, d, LL70)).pixels, frame, entry.path);
      }
    }
  });

  it('rejects predictors outside 1..7 and Bits Stored above 16', () => {
    assert.throws(() => encodeJpegLossless(Buffer.alloc(70), desc({}), 8), CodecError);
    assert.throws(
      () =>
        encodeJpegLossless(Buffer.alloc(140), desc({ bitsAllocated: 32, bitsStored: 32, highBit: 31 }), 1),
      CodecError,
    );
  });
});

describe('JPEG lossless on corrupt data', () => {
  const d = desc({ bitsStored: 12, highBit: 11 });
  const good = encodeJpegLossless(noise(d, 9), d, 1).data;

  it('names a missing SOI', async () => {
    const bad = Buffer.from(good);
    bad[0] = 0;
    bad[1] = 0;
    await assert.rejects(
      jpegLosslessCodec.decode(bad, d, LL70),
      (e: Error) => e instanceof CodecError && /SOI.*offset 0/.test(e.message),
    );
  });

  it('reports a truncated stream with its offset', async () => {
    await assert.rejects(
      jpegLosslessCodec.decode(good.subarray(0, good.length - 20), d, LL70),
      (e: Error) => e instanceof CodecError && /offset \d+/.test(e.message),
    );
  });

  it('fails cleanly (never hangs) on every truncation and on flipped bytes', async () => {
    for (let len = 0; len < good.length - 2; len += 3) {
      await assert.rejects(jpegLosslessCodec.decode(good.subarray(0, len), d, LL70), CodecError);
    }
    for (let i = 2; i < good.length; i += 5) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0xa5;
      try {
        await jpegLosslessCodec.decode(bad, d, LL70);
      } catch (e) {
        assert.ok(e instanceof CodecError, String(e));
      }
    }
  });

  it('rejects a frame whose size differs from the data set', async () => {
    await assert.rejects(
      jpegLosslessCodec.decode(good, desc({ rows: 6, bitsStored: 12, highBit: 11 }), LL70),
      /7x5.*7x6/,
    );
  });
});

describe('DCMTK decodes our JPEG lossless files', { skip: CORPUS_SKIP || DCMDJPEG_SKIP }, () => {
  const sources = [
    'codec/jpeg_ll_sv1_ct16s.dcm',
    'codec/jpeg_ll_sv1_rgb.dcm',
    'codec/jpeg_ll_sv1_nm16mf_bot.dcm',
    'codec/jpeg_ll_p14_sv6_mr12.dcm',
  ];
  for (const path of sources) {
    for (const [ts, sv] of [
      [LL70, 1],
      [LL57, 6],
    ] as const) {
      it(`${path} as ${ts} (SV${sv})`, async () => {
        const entry = corpusManifest().find((e) => e.path === path)!;
        const { file, d, frames } = await decodeFile(corpusPath(entry));
        const encoded = frames.map((f) => encodeJpegLossless(f, d, sv).data);
        const ds = file.dataset;
        const el = new DataElement(0x7fe00010, 'OB');
        el.fragments = encapsulate(encoded, false);
        el.undefinedLength = true;
        ds.set(el);
        const dir = mkdtempSync(join(tmpdir(), 'jpeg-ll-'));
        try {
          const ours = join(dir, 'ours.dcm');
          const out = join(dir, 'out.dcm');
          writeFileSync(ours, writeDicomFile(undefined, ds, ts));
          execFileSync('dcmdjpeg', [ours, out], { stdio: 'pipe' });
          const back = await readNativeFrames(out);
          assert.equal(pixelHash(back.frames, back.d), entry.pixelSha256);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
