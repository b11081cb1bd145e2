import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CodecError, type FrameCodec, type PixelDescription } from '../../src/codecs/codec.js';
import { htj2kCodec } from '../../src/codecs/htj2k.js';
import { jpeg2000Codec } from '../../src/codecs/jpeg-2000.js';
import { jpegBaselineCodec, readJpegFrameHeader } from '../../src/codecs/jpeg-baseline.js';
import { jpegLsCodec } from '../../src/codecs/jpeg-ls.js';
import { allFrameBytes, describePixels, encapsulate } from '../../src/codecs/pixel-data.js';
import { loadOpenJPH } from '../../src/codecs/wasm/modules.js';
import { DataElement } from '../../src/dicom/element.js';
import { readDicomFileSync } from '../../src/dicom/reader.js';
import { writeDicomFile } from '../../src/dicom/writer.js';
import { CORPUS_SKIP, corpusManifest, corpusPath } from '../support/corpus.js';
import { hasTool, run } from '../support/dcmtk.js';
import { canonical, pixelHash } from '../support/pixel-hash.js';

const PIXEL_DATA = 0x7fe00010;
const CODECS: readonly FrameCodec[] = [jpegLsCodec, jpeg2000Codec, jpegBaselineCodec, htj2kCodec];
const LOSSLESS = new Set(['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.90']);

function codecFor(uid: string): FrameCodec | undefined {
  return CODECS.find((c) => c.transferSyntaxUids.includes(uid));
}

function load(path: string): { d: PixelDescription; frames: Buffer[]; uid: string } {
  const file = readDicomFileSync(path);
  const uid = file.transferSyntax.uid;
  return { d: describePixels(file.dataset, uid), frames: allFrameBytes(file.dataset, uid), uid };
}

async function decodeAll(codec: FrameCodec, frames: Buffer[], d: PixelDescription, uid: string) {
  const out: Buffer[] = [];
  let photometric = d.photometricInterpretation;
  for (const f of frames) {
    const r = await codec.decode(f, d, uid);
    out.push(r.pixels);
    photometric = r.photometricInterpretation;
  }
  return {
    frames: out,
    d: { ...d, photometricInterpretation: photometric, planarConfiguration: 0 as const },
  };
}

/** Largest sample difference between two decodings of the same frames (hash form). */
function maxAbsDiff(a: readonly Buffer[], b: readonly Buffer[], d: PixelDescription): number {
  let max = 0;
  const bytes = d.bitsAllocated / 8;
  a.forEach((fa, i) => {
    const ca = canonical(fa, d);
    const cb = canonical(b[i]!, d);
    for (let p = 0; p < ca.length; p += bytes) {
      const va = bytes === 1 ? ca[p]! : ca.readUInt16LE(p);
      const vb = bytes === 1 ? cb[p]! : cb.readUInt16LE(p);
      max = Math.max(max, Math.abs(va - vb));
    }
  });
  return max;
}

function psnr(a: Buffer, b: Buffer): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255 * a.length) / se);
}

/** Decodes a file with a DCMTK tool and returns its native frames. */
async function dcmtkDecode(tool: string, path: string, dir: string): Promise<Buffer[]> {
  const out = join(dir, `dcmtk-${Math.random().toString(36).slice(2)}.dcm`);
  await run(tool, [path, out]);
  return load(out).frames;
}

const corpusEntries = CORPUS_SKIP
  ? []
  : corpusManifest().filter((e) => e.category !== 'bad' && e.pixelSha256 && codecFor(e.transferSyntaxUid));

describe('WASM codecs decode the corpus', { skip: CORPUS_SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-codecs-'));
  for (const entry of corpusEntries) {
    const uid = entry.transferSyntaxUid;
    it(`${entry.path} decodes to its pixel_sha256${LOSSLESS.has(uid) ? '' : ' (lossy: or within dcmtk ±2)'}`, async (t) => {
      const { d, frames } = load(corpusPath(entry));
      const codec = codecFor(uid)!;
      if (codec === jpegBaselineCodec && d.bitsStored > 8) {
        await assert.rejects(
          codec.decode(frames[0]!, d, uid),
          (e) => e instanceof CodecError && /12-bit/.test(e.message),
        );
        t.diagnostic('12-bit JPEG refused with a CodecError (other decoder)');
        return;
      }
      const decoded = await decodeAll(codec, frames, d, uid);
      const hash = pixelHash(decoded.frames, decoded.d);
      if (LOSSLESS.has(uid) || hash === entry.pixelSha256) {
        assert.equal(hash, entry.pixelSha256);
        t.diagnostic('exact');
        return;
      }
      // Lossy and not bit-identical to the manifest's (dcmtk's) decoder: compare with dcmtk's own output.
      const tool = uid === '1.2.840.10008.1.2.4.81' ? 'dcmdjpls' : 'dcmdjpeg';
      if (uid.startsWith('1.2.840.10008.1.2.4.9')) assert.fail(`JPEG 2000 lossy hash differs: ${hash}`);
      const reference = await dcmtkDecode(tool, corpusPath(entry), dir);
      const diff = maxAbsDiff(decoded.frames, reference, decoded.d);
      t.diagnostic(`max |ours - ${tool}| = ${diff}`);
      assert.ok(diff <= 2, `differs from ${tool} by ${diff}`);
    });
  }
  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});

describe('WASM codecs fail cleanly on corrupt streams', { skip: CORPUS_SKIP }, () => {
  for (const path of [
    'bad/corrupt_jpegls_dimensions.dcm',
    'bad/corrupt_j2k_truncated.dcm',
    'bad/corrupt_jpeg_entropy.dcm',
    'bad/corrupt_jpeg_no_soi.dcm',
    'bad/corrupt_jpeg_truncated_stream.dcm',
  ]) {
    it(`${path} gives a CodecError`, async () => {
      const { d, frames, uid } = load(corpusPath(path));
      const codec = codecFor(uid)!;
      await assert.rejects(codec.decode(frames[0]!, d, uid), CodecError);
    });
  }
});

const NATIVE = [
  'pixel/mono2_u8.dcm',
  'pixel/mono2_u16_bs12_mr.dcm',
  'pixel/mono2_s16_ct.dcm',
  'pixel/mono2_s16_full.dcm',
  'pixel/mono2_u16_bs16_full.dcm',
  'pixel/mono2_s12_in16_signext.dcm',
  'pixel/rgb_planar0.dcm',
  'pixel/rgb_planar1.dcm',
  'pixel/rgb_odd_127x93.dcm',
  'pixel/tiny_1x1_u16.dcm',
];

describe('lossless encode → decode round trips', { skip: CORPUS_SKIP }, () => {
  for (const [codec, uid] of [
    [jpegLsCodec, '1.2.840.10008.1.2.4.80'],
    [jpeg2000Codec, '1.2.840.10008.1.2.4.90'],
  ] as const) {
    for (const path of NATIVE) {
      it(`${uid} ${path}`, async () => {
        const { d, frames } = load(corpusPath(path));
        const enc = await codec.encode!(frames[0]!, d, uid);
        assert.equal(enc.lossy, undefined);
        assert.equal(enc.data.length % 2, 0);
        const dd = {
          ...d,
          photometricInterpretation: enc.photometricInterpretation,
          planarConfiguration: 0 as const,
        };
        const dec = await codec.decode(enc.data, dd, uid);
        assert.equal(
          pixelHash([dec.pixels], { ...dd, photometricInterpretation: dec.photometricInterpretation }),
          pixelHash([frames[0]!], d),
        );
        if (d.samplesPerPixel === 3 && codec === jpeg2000Codec)
          assert.equal(enc.photometricInterpretation, 'YBR_RCT');
      });
    }
  }
});

describe('lossy encodes', { skip: CORPUS_SKIP }, () => {
  it('JPEG-LS near-lossless keeps |error| <= NEAR', async () => {
    const { d, frames } = load(corpusPath('pixel/mono2_u16_bs12_mr.dcm'));
    const enc = await jpegLsCodec.encode!(frames[0]!, d, '1.2.840.10008.1.2.4.81', { quality: 3 });
    assert.equal(enc.lossy?.method, 'ISO_14495_1');
    const dec = await jpegLsCodec.decode(enc.data, d, '1.2.840.10008.1.2.4.81');
    assert.ok(maxAbsDiff([dec.pixels], frames, d) <= 3);
  });
  it('JPEG 2000 irreversible RGB is YBR_ICT and decodes to RGB close to the source', async () => {
    const { d, frames } = load(corpusPath('pixel/rgb_planar0.dcm'));
    const enc = await jpeg2000Codec.encode!(frames[0]!, d, '1.2.840.10008.1.2.4.91');
    assert.equal(enc.photometricInterpretation, 'YBR_ICT');
    assert.equal(enc.lossy?.method, 'ISO_15444_1');
    assert.ok(enc.lossy!.ratio > 5, `ratio ${enc.lossy!.ratio}`);
    const dec = await jpeg2000Codec.decode(
      enc.data,
      { ...d, photometricInterpretation: 'YBR_ICT' },
      '1.2.840.10008.1.2.4.91',
    );
    assert.equal(dec.photometricInterpretation, 'RGB');
    assert.ok(maxAbsDiff([dec.pixels], frames, d) < 64);
  });
  it('JPEG baseline refuses 12-bit and signed input', async () => {
    const { d, frames } = load(corpusPath('pixel/mono2_u16_bs12_mr.dcm'));
    await assert.rejects(jpegBaselineCodec.encode!(frames[0]!, d, '1.2.840.10008.1.2.4.50'), CodecError);
  });
});

/** Writes `source` with encoded frames as an encapsulated file (empty BOT) and returns its path. */
function writeEncapsulated(
  source: string,
  dir: string,
  uid: string,
  data: Buffer,
  photometric: string,
): string {
  const file = readDicomFileSync(source);
  const ds = file.dataset;
  const el = new DataElement(PIXEL_DATA, 'OB');
  el.fragments = encapsulate([data], false);
  el.undefinedLength = true;
  ds.set(el);
  ds.setStrings('PhotometricInterpretation', photometric);
  if (photometric !== 'MONOCHROME2' && photometric !== 'MONOCHROME1') ds.setNumbers('PlanarConfiguration', 0);
  const out = join(dir, `ours-${Math.random().toString(36).slice(2)}.dcm`);
  writeFileSync(out, writeDicomFile(file.meta, ds, uid));
  return out;
}

describe('DCMTK decodes what we encode', {
  skip: CORPUS_SKIP || (!hasTool('dcmdjpls') && 'dcmdjpls not installed'),
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-enc-'));
  for (const path of [
    'pixel/mono2_u8.dcm',
    'pixel/mono2_u16_bs12_mr.dcm',
    'pixel/mono2_s16_full.dcm',
    'pixel/rgb_planar0.dcm',
  ]) {
    it(`dcmdjpls decodes our JPEG-LS of ${path} exactly`, async () => {
      const { d, frames } = load(corpusPath(path));
      const enc = await jpegLsCodec.encode!(frames[0]!, d, '1.2.840.10008.1.2.4.80');
      const file = writeEncapsulated(
        corpusPath(path),
        dir,
        '1.2.840.10008.1.2.4.80',
        enc.data,
        enc.photometricInterpretation,
      );
      const back = await dcmtkDecode('dcmdjpls', file, dir);
      assert.equal(pixelHash(back, d), pixelHash(frames, d));
    });
  }
  for (const path of ['pixel/mono2_u8.dcm', 'pixel/rgb_planar0.dcm']) {
    it(`dcmdjpeg decodes our JPEG baseline of ${path} to what we decode (±2)`, async (t) => {
      const { d, frames } = load(corpusPath(path));
      const enc = await jpegBaselineCodec.encode!(frames[0]!, d, '1.2.840.10008.1.2.4.50');
      assert.equal(enc.photometricInterpretation, d.samplesPerPixel === 3 ? 'YBR_FULL_422' : 'MONOCHROME2');
      const file = writeEncapsulated(
        corpusPath(path),
        dir,
        '1.2.840.10008.1.2.4.50',
        enc.data,
        enc.photometricInterpretation,
      );
      const theirs = await dcmtkDecode('dcmdjpeg', file, dir);
      const ours = await jpegBaselineCodec.decode(
        enc.data,
        { ...d, photometricInterpretation: enc.photometricInterpretation },
        '1.2.840.10008.1.2.4.50',
      );
      // dcmdjpeg converts YBR to RGB by default (+cp is not given), so both sides are RGB.
      const rgb = { ...d, photometricInterpretation: ours.photometricInterpretation };
      assert.ok(maxAbsDiff([ours.pixels], theirs, rgb) <= 2);
      // Quality 95 with 4:2:2 chroma: sharp synthetic colour edges lose chroma, so judge by PSNR.
      const db = psnr(ours.pixels, frames[0]!);
      t.diagnostic(`PSNR vs source ${db.toFixed(1)} dB`);
      assert.ok(db > 30, `PSNR ${db}`);
      assert.equal(readJpegFrameHeader(enc.data)?.marker, 0xc0, 'a baseline (SOF0) stream');
    });
  }
  it('JPEG 2000 cross-check with gdcmconv --raw', {
    skip: hasTool('gdcmconv') ? false : 'gdcmconv not installed: JPEG 2000 cross-check skipped',
  }, async () => {
    const path = 'pixel/mono2_s16_ct.dcm';
    const { d, frames } = load(corpusPath(path));
    const enc = await jpeg2000Codec.encode!(frames[0]!, d, '1.2.840.10008.1.2.4.90');
    const file = writeEncapsulated(
      corpusPath(path),
      dir,
      '1.2.840.10008.1.2.4.90',
      enc.data,
      enc.photometricInterpretation,
    );
    const out = join(dir, 'gdcm-raw.dcm');
    await run('gdcmconv', ['--raw', file, out]);
    assert.equal(pixelHash(load(out).frames, d), pixelHash(frames, d));
  });
  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});

describe('HTJ2K', () => {
  it('decodes a 12-bit lossless codestream made by the OpenJPH encoder', async () => {
    const openjph = await loadOpenJPH();
    const source = new Uint16Array(16 * 8).map((_, i) => (i * 31) % 4096);
    const encoder = new openjph.HTJ2KEncoder();
    const info = {
      width: 16,
      height: 8,
      bitsPerSample: 12,
      componentCount: 1,
      isSigned: false,
      isUsingColorTransform: false,
    };
    encoder.getDecodedBuffer(info).set(new Uint8Array(source.buffer));
    encoder.setQuality(true, 0);
    encoder.encode();
    const stream = Buffer.from(encoder.getEncodedBuffer());
    encoder.delete();
    const d: PixelDescription = {
      rows: 8,
      columns: 16,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 12,
      highBit: 11,
      pixelRepresentation: 0,
      planarConfiguration: 0,
      photometricInterpretation: 'MONOCHROME2',
      numberOfFrames: 1,
    };
    const decoded = await htj2kCodec.decode(stream, d, '1.2.840.10008.1.2.4.201');
    assert.deepEqual(decoded.pixels, Buffer.from(source.buffer));
    await assert.rejects(htj2kCodec.decode(stream, { ...d, rows: 9 }, '1.2.840.10008.1.2.4.201'), CodecError);
  });
  it('rejects a non-HTJ2K stream with a CodecError', async () => {
    const d: PixelDescription = {
      rows: 4,
      columns: 4,
      samplesPerPixel: 1,
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      pixelRepresentation: 0,
      planarConfiguration: 0,
      photometricInterpretation: 'MONOCHROME2',
      numberOfFrames: 1,
    };
    await assert.rejects(
      htj2kCodec.decode(Buffer.from([0xff, 0x4f, 0xff, 0x51, 0, 0]), d, '1.2.840.10008.1.2.4.201'),
      CodecError,
    );
  });
});
