/**
 * RLE Lossless: PackBits runs and segment layout on synthetic frames, malformed segments as CodecErrors,
 * every RLE corpus file decodes to its MANIFEST hash, encode → decode is exact on every native corpus
 * image, and DCMTK's dcmdrle decodes what we encode to the same pixel hash.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CodecError, type PixelDescription } from '../../src/codecs/codec.js';
import { allFrameBytes, describePixels, encapsulate } from '../../src/codecs/pixel-data.js';
import { decodeRle, encodeRle, RLE_LOSSLESS, rleCodec } from '../../src/codecs/rle.js';
import { DataElement } from '../../src/dicom/element.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { writeDicomFile } from '../../src/dicom/writer.js';
import { CORPUS_SKIP, corpusManifest, corpusPath, type ManifestEntry } from '../support/corpus.js';
import { hasTool } from '../support/dcmtk.js';
import { pixelHash, readNativeFrames } from '../support/pixel-hash.js';

const PIXEL_DATA = 0x7fe00010;

function desc(over: Partial<PixelDescription>): PixelDescription {
  return {
    rows: 1,
    columns: 8,
    samplesPerPixel: 1,
    bitsAllocated: 8,
    bitsStored: 8,
    highBit: 7,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
    numberOfFrames: 1,
    ...over,
  };
}

/** An RLE frame from hand-written segments. */
function rleFrame(segments: number[][]): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32LE(segments.length, 0);
  let at = 64;
  segments.forEach((s, i) => {
    header.writeUInt32LE(at, 4 + 4 * i);
    at += s.length;
  });
  return Buffer.concat([header, ...segments.map((s) => Buffer.from(s))]);
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof CodecError && pattern.test(e.message));
}

describe('RLE decode', () => {
  it('reads literal, replicate and no-op runs', () => {
    // 2 literal bytes, 5 × 9, a no-op, 1 literal.
    const frame = rleFrame([[1, 3, 4, 256 - 4, 9, 128, 0, 7]]);
    assert.deepEqual([...decodeRle(frame, desc({}))], [3, 4, 9, 9, 9, 9, 9, 7]);
  });

  it('puts the most significant byte plane first and interleaves or keeps planes', () => {
    const d16 = desc({ columns: 2, bitsAllocated: 16, bitsStored: 16, highBit: 15 });
    assert.deepEqual(
      [
        ...decodeRle(
          rleFrame([
            [1, 0x12, 0x34],
            [1, 0x56, 0x78],
          ]),
          d16,
        ),
      ],
      [0x56, 0x12, 0x78, 0x34],
    );
    const rgb = desc({ columns: 2, samplesPerPixel: 3, photometricInterpretation: 'RGB' });
    const segs = [
      [1, 1, 2],
      [1, 3, 4],
      [1, 5, 6],
    ];
    assert.deepEqual([...decodeRle(rleFrame(segs), rgb)], [1, 3, 5, 2, 4, 6]);
    assert.deepEqual([...decodeRle(rleFrame(segs), { ...rgb, planarConfiguration: 1 })], [1, 2, 3, 4, 5, 6]);
  });

  it('names the segment and offset of malformed data', () => {
    const d = desc({});
    rejects(() => decodeRle(rleFrame([[3, 1, 2]]), d), /segment 1, offset 64: literal run of 4 bytes passes/);
    rejects(() => decodeRle(rleFrame([[256 - 2, 1]]), d), /segment 1, offset 66: segment ends after 3 of 8/);
    rejects(() => decodeRle(rleFrame([[256 - 9, 1]]), d), /replicate run of 10 bytes overflows/);
    rejects(
      () =>
        decodeRle(
          rleFrame([
            [256 - 7, 1],
            [256 - 7, 1],
          ]),
          d,
        ),
      /declares 2 segments; .* needs 1/,
    );
    const wild = rleFrame([[256 - 7, 1]]);
    wild.writeUInt32LE(5000, 4);
    rejects(() => decodeRle(wild, d), /segment 1 has offset 5000/);
    rejects(() => decodeRle(Buffer.alloc(10), d), /shorter than its 64-byte header/);
    rejects(() => decodeRle(wild, desc({ bitsAllocated: 1, bitsStored: 1, highBit: 0 })), /Bits Allocated/);
  });
});

describe('RLE encode', () => {
  it('writes runs per row, at most 128 long, and even segments', () => {
    const d = desc({ rows: 2, columns: 300 });
    const pixels = Buffer.concat([
      Buffer.alloc(300, 7),
      Buffer.from([...Array(300).keys()].map((i) => i & 0xff)),
    ]);
    const frame = encodeRle(pixels, d);
    assert.equal(frame.readUInt32LE(0), 1);
    assert.equal(frame.readUInt32LE(4), 64);
    assert.equal((frame.length - 64) % 2, 0);
    // Row 1: 128 + 128 + 44 sevens; row 2 starts a literal of 128.
    assert.deepEqual([...frame.subarray(64, 71)], [129, 7, 129, 7, 213, 7, 127]);
    assert.deepEqual(decodeRle(frame, d), pixels);
  });

  it('round-trips 16-bit signed and planar RGB frames', async () => {
    const d16 = desc({
      rows: 3,
      columns: 5,
      bitsAllocated: 16,
      bitsStored: 12,
      highBit: 11,
      pixelRepresentation: 1,
    });
    const px16 = Buffer.alloc(30);
    for (let i = 0; i < 15; i++) px16.writeInt16LE(i % 4 === 0 ? -1 : i * 100, i * 2);
    const enc = await rleCodec.encode!(px16, d16, RLE_LOSSLESS);
    assert.deepEqual((await rleCodec.decode(enc.data, d16, RLE_LOSSLESS)).pixels, px16);
    const rgb = desc({
      rows: 2,
      columns: 3,
      samplesPerPixel: 3,
      planarConfiguration: 1,
      photometricInterpretation: 'RGB',
    });
    const px = Buffer.from([...Array(18).keys()]);
    const back = await rleCodec.decode(encodeRle(px, rgb), rgb, RLE_LOSSLESS);
    assert.deepEqual(back, { pixels: px, photometricInterpretation: 'RGB', planarConfiguration: 1 });
  });
});

// ---- corpus -----------------------------------------------------------------------------------------

const NATIVE = new Set([
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.1.99',
]);

function entries(filter: (e: ManifestEntry) => boolean): ManifestEntry[] {
  return CORPUS_SKIP ? [] : corpusManifest().filter(filter);
}

/** RLE has byte planes only for 8/16/32-bit integer containers and full chroma (not native 4:2:2). */
function rleEncodable(d: PixelDescription, e: ManifestEntry): boolean {
  return d.bitsAllocated >= 8 && e['pixel_hash_layout'] === 'interleaved';
}

describe('corpus: RLE', { skip: CORPUS_SKIP }, () => {
  it('every RLE file decodes to its MANIFEST pixel hash', async () => {
    const rle = entries((e) => e.transferSyntaxUid === RLE_LOSSLESS && e.pixelSha256 !== '');
    assert.ok(rle.length >= 15, `${rle.length} files`);
    for (const e of rle) {
      const file = await readDicomFile(corpusPath(e));
      const d = describePixels(file.dataset, RLE_LOSSLESS);
      const frames = [];
      for (const f of allFrameBytes(file.dataset, RLE_LOSSLESS))
        frames.push((await rleCodec.decode(f, d, RLE_LOSSLESS)).pixels);
      assert.equal(pixelHash(frames, d), e.pixelSha256, e.path);
    }
  });

  it('a header with offsets beyond the fragment is a CodecError', async () => {
    const file = await readDicomFile(corpusPath('bad/corrupt_rle_header.dcm'));
    const d = describePixels(file.dataset, RLE_LOSSLESS);
    const frame = allFrameBytes(file.dataset, RLE_LOSSLESS)[0]!;
    await assert.rejects(rleCodec.decode(frame, d, RLE_LOSSLESS), CodecError);
  });

  it('encode → decode is exact on every native image', async () => {
    const native = entries((e) => e.pixelSha256 !== '' && NATIVE.has(e.transferSyntaxUid));
    let checked = 0;
    for (const e of native) {
      const { frames, d } = await readNativeFrames(corpusPath(e));
      if (!rleEncodable(d, e)) continue;
      for (const [i, f] of frames.entries()) {
        const back = decodeRle(encodeRle(f, d), d);
        assert.ok(back.equals(f), `${e.path} frame ${i}`);
      }
      checked++;
    }
    assert.ok(checked > 250, `${checked} files`);
  });
});

const DCMDRLE_SKIP = CORPUS_SKIP || (hasTool('dcmdrle') ? false : 'dcmdrle (DCMTK) not installed');

describe('DCMTK dcmdrle reads what we encode', { skip: DCMDRLE_SKIP }, () => {
  const files = [
    'ts/mono8_explicit_le.dcm',
    'ts/ct16s_explicit_be.dcm',
    'ts/odd8_explicit_le.dcm',
    'pixel/rgb_planar1_explicit_be.dcm',
    'ts/rgb8_explicit_le.dcm',
    'objects/rtdose.dcm',
    'pixel/us_rgb_10f.dcm',
    'pixel/sc_mf_word_12f_odd.dcm',
  ];

  for (const path of files)
    it(`dcmdrle decodes our RLE of ${path} to its pixel hash`, async () => {
      const entry = corpusManifest().find((e) => e.path === path);
      assert.ok(entry, `${path} is in the MANIFEST`);
      const src = await readDicomFile(corpusPath(path));
      const { frames, d } = await readNativeFrames(corpusPath(path));
      const ds = src.dataset;
      ds.delete('ExtendedOffsetTable');
      ds.delete('ExtendedOffsetTableLengths');
      ds.set(
        DataElement.ofFragments(
          PIXEL_DATA,
          'OB',
          encapsulate(
            frames.map((f) => encodeRle(f, d)),
            true,
          ),
        ),
      );
      const dir = mkdtempSync(join(tmpdir(), 'rle-'));
      try {
        const encoded = join(dir, 'rle.dcm');
        const decoded = join(dir, 'decoded.dcm');
        writeFileSync(encoded, writeDicomFile(src.meta, ds, RLE_LOSSLESS));
        const r = spawnSync('dcmdrle', [encoded, decoded], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const back = await readNativeFrames(decoded);
        assert.equal(pixelHash(back.frames, back.d), entry.pixelSha256);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
