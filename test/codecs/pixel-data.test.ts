/**
 * Pixel description and frame extraction: header defaults and errors, native slices (incl. 1-bit frames
 * that do not start on a byte), encapsulated frames from the Extended / Basic Offset Table, fragment counts
 * or codestream markers, and the corpus: every native and deflated image decodes to its MANIFEST hash, every
 * encapsulated file yields Number of Frames frames (bad/ files: frames or a CodecError).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError } from '../../src/codecs/codec.js';
import {
  allFrameBytes,
  describePixels,
  encapsulate,
  frameBytes,
  frameCount,
  realignBits,
} from '../../src/codecs/pixel-data.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { DataElement } from '../../src/dicom/element.js';
import { DicomParseError } from '../../src/dicom/errors.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { findTransferSyntax } from '../../src/dicom/transfer-syntax.js';
import { CORPUS_SKIP, corpusManifest, corpusPath, type ManifestEntry } from '../support/corpus.js';
import { pixelHash, readNativeFrames } from '../support/pixel-hash.js';

const PIXEL_DATA = 0x7fe00010;
const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

function header(fields: Record<string, number | undefined>, photometric = 'MONOCHROME2'): Dataset {
  const ds = new Dataset();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) ds.setNumbers(k, v, 'US');
  ds.setStrings('PhotometricInterpretation', photometric);
  return ds;
}

const MONO8 = { Rows: 2, Columns: 3, BitsAllocated: 8, BitsStored: 8, HighBit: 7, SamplesPerPixel: 1 };

function withFragments(ds: Dataset, fragments: Buffer[], frames: number): Dataset {
  ds.setStrings('NumberOfFrames', String(frames), 'IS');
  ds.set(DataElement.ofFragments(PIXEL_DATA, 'OB', fragments));
  return ds;
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof CodecError && pattern.test(e.message));
}

describe('describePixels', () => {
  it('fills in the standard defaults', () => {
    const d = describePixels(header({ Rows: 4, Columns: 5, BitsAllocated: 16 }));
    assert.deepEqual(d, {
      rows: 4,
      columns: 5,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 16,
      highBit: 15,
      pixelRepresentation: 0,
      planarConfiguration: 0,
      photometricInterpretation: 'MONOCHROME2',
      numberOfFrames: 1,
    });
  });

  it('names what is wrong in the header', () => {
    rejects(
      () => describePixels(header({ ...MONO8, BitsAllocated: 12 })),
      /Bits Allocated \(0028,0100\) is 12/,
    );
    rejects(() => describePixels(header({ ...MONO8, Rows: undefined })), /Rows \(0028,0010\) is missing/);
    rejects(() => describePixels(header({ ...MONO8, Rows: 0 })), /Rows \(0028,0010\) is 0/);
    rejects(() => describePixels(header({ ...MONO8, BitsStored: 9 })), /Bits Stored .* is 9/);
    rejects(() => describePixels(header({ ...MONO8, BitsStored: 4, HighBit: 2 })), /High Bit .* is 2/);
    rejects(() => describePixels(header({ ...MONO8, PixelRepresentation: 2 })), /Pixel Representation/);
  });

  it('counts frames, 1 by default', () => {
    const ds = header(MONO8);
    assert.equal(frameCount(ds), 1);
    ds.setStrings('NumberOfFrames', '7', 'IS');
    assert.equal(frameCount(ds), 7);
    ds.setStrings('NumberOfFrames', '0', 'IS');
    rejects(() => frameCount(ds), /Number of Frames .* is 0/);
  });
});

describe('frameBytes, native', () => {
  it('slices frame i and refuses frames the data does not hold', () => {
    const ds = header(MONO8);
    ds.setStrings('NumberOfFrames', '3', 'IS');
    ds.setBytes('PixelData', 'OB', Buffer.from([...Array(16).keys()]));
    assert.deepEqual([...frameBytes(ds, 1, EXPLICIT_LE)], [6, 7, 8, 9, 10, 11]);
    rejects(() => frameBytes(ds, 2, EXPLICIT_LE), /holds 16 bytes; frame 3 of 3/);
    rejects(() => frameBytes(ds, 3, EXPLICIT_LE), /frame 3 does not exist/);
  });

  it('realigns 1-bit frames that start inside a byte', () => {
    // 3 frames of 2x3 = 6 bits: frame 1 is bits 6..11.
    const ds = header({ ...MONO8, BitsAllocated: 1, BitsStored: 1, HighBit: 0 });
    ds.setStrings('NumberOfFrames', '3', 'IS');
    ds.setBytes('PixelData', 'OB', Buffer.from([0b11000000, 0b00001010, 0b00000011]));
    assert.deepEqual([...frameBytes(ds, 0, EXPLICIT_LE)], [0b000000]);
    assert.deepEqual([...frameBytes(ds, 1, EXPLICIT_LE)], [0b101011]);
    assert.deepEqual([...frameBytes(ds, 2, EXPLICIT_LE)], [0b110000]);
    assert.deepEqual([...realignBits(Buffer.from([0xff, 0x01]), 7, 2)], [0b11]);
  });
});

describe('frameBytes, encapsulated', () => {
  const soi = (tag: number, n: number): Buffer => Buffer.from([0xff, 0xd8, 0xff, tag, ...Array(n).fill(tag)]);

  it('uses a Basic Offset Table whose entries are item starts', () => {
    const frames = [Buffer.from([1, 2]), Buffer.from([3, 4, 5, 6]), Buffer.from([7, 8])];
    const items = encapsulate(frames, true);
    assert.deepEqual([...items[0]!], [0, 0, 0, 0, 10, 0, 0, 0, 22, 0, 0, 0]);
    const ds = withFragments(header(MONO8), items, 3);
    assert.deepEqual(allFrameBytes(ds, JPEG_LOSSLESS), frames);
  });

  it('joins the fragments of a frame found through the Basic Offset Table', () => {
    const frags = [Buffer.from([1, 1]), Buffer.from([2, 2]), Buffer.from([3, 3])];
    const bot = Buffer.alloc(8);
    bot.writeUInt32LE(0, 0);
    bot.writeUInt32LE(20, 4); // frame 2 starts at the third fragment
    const ds = withFragments(header(MONO8), [bot, ...frags], 2);
    assert.deepEqual([...frameBytes(ds, 0, JPEG_LOSSLESS)], [1, 1, 2, 2]);
    assert.deepEqual([...frameBytes(ds, 1, JPEG_LOSSLESS)], [3, 3]);
  });

  it('prefers the Extended Offset Table and its lengths', () => {
    const frags = [Buffer.from([1, 1, 0, 0]), Buffer.from([2, 2, 2, 0])];
    const ds = withFragments(header(MONO8), [Buffer.alloc(0), ...frags], 2);
    const offsets = Buffer.alloc(16);
    offsets.writeBigUInt64LE(0n, 0);
    offsets.writeBigUInt64LE(12n, 8);
    const lengths = Buffer.alloc(16);
    lengths.writeBigUInt64LE(2n, 0);
    lengths.writeBigUInt64LE(3n, 8);
    ds.setBytes('ExtendedOffsetTable', 'OV', offsets);
    ds.setBytes('ExtendedOffsetTableLengths', 'OV', lengths);
    assert.deepEqual(allFrameBytes(ds, JPEG_LOSSLESS), [Buffer.from([1, 1]), Buffer.from([2, 2, 2])]);
  });

  it('ignores a wrong Basic Offset Table and splits on JPEG and JPEG 2000 start markers', () => {
    const j2k = Buffer.from([0xff, 0x4f, 0xff, 0x51, 9, 9]);
    const frags = [soi(1, 2), Buffer.from([1, 1]), j2k, soi(3, 4), Buffer.from([3, 3])];
    const bot = Buffer.from([0, 0, 0, 0, 7, 0, 0, 0, 99, 0, 0, 0]);
    const ds = withFragments(header(MONO8), [bot, ...frags], 3);
    const got = allFrameBytes(ds, JPEG_LOSSLESS);
    assert.deepEqual(got, [Buffer.concat(frags.slice(0, 2)), j2k, Buffer.concat(frags.slice(3))]);
  });

  it('takes one fragment per frame when the counts match', () => {
    const frags = [Buffer.from([5, 5]), Buffer.from([6, 6])];
    const ds = withFragments(header(MONO8), [Buffer.alloc(0), ...frags], 2);
    assert.deepEqual(allFrameBytes(ds, '1.2.840.10008.1.2.5'), frags);
  });

  it('reports frames that the fragments do not hold', () => {
    // Two codestreams, the second continued in a third fragment, for four frames.
    const frags = [soi(1, 2), soi(2, 2), Buffer.from([0, 0])];
    const ds = withFragments(header(MONO8), [Buffer.alloc(0), ...frags], 4);
    assert.deepEqual(frameBytes(ds, 1, JPEG_LOSSLESS), Buffer.concat(frags.slice(1)));
    rejects(() => frameBytes(ds, 2, JPEG_LOSSLESS), /frame 3 of 4 is not in the Pixel Data/);
    const none = withFragments(header(MONO8), [Buffer.alloc(0), Buffer.from([0, 0])], 2);
    rejects(() => frameBytes(none, 0, JPEG_LOSSLESS), /cannot tell where the 2 frames start/);
  });

  it('pads odd frames and leaves the offset table empty when asked', () => {
    const items = encapsulate([Buffer.from([1, 2, 3])], false);
    assert.deepEqual(items, [Buffer.alloc(0), Buffer.from([1, 2, 3, 0])]);
  });
});

// ---- corpus -----------------------------------------------------------------------------------------

const NATIVE_OR_DEFLATED = new Set([
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.1.99',
]);

function corpusEntries(filter: (e: ManifestEntry) => boolean): ManifestEntry[] {
  return CORPUS_SKIP ? [] : corpusManifest().filter(filter);
}

describe('corpus: native and deflated pixel data', { skip: CORPUS_SKIP }, () => {
  const entries = corpusEntries((e) => e.pixelSha256 !== '' && NATIVE_OR_DEFLATED.has(e.transferSyntaxUid));

  it('covers the native corpus', () => assert.ok(entries.length > 250, `${entries.length} files`));

  it('every file decodes to its MANIFEST pixel hash', async () => {
    const wrong: string[] = [];
    for (const e of entries) {
      try {
        const { frames, d } = await readNativeFrames(corpusPath(e));
        if (pixelHash(frames, d) !== e.pixelSha256) wrong.push(`${e.path}: hash differs`);
      } catch (err) {
        wrong.push(`${e.path}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});

describe('corpus: encapsulated frames', { skip: CORPUS_SKIP }, () => {
  const entries = corpusEntries((e) => findTransferSyntax(e.transferSyntaxUid)?.encapsulated === true);

  it('valid files yield Number of Frames frames holding all fragment bytes', async () => {
    const valid = entries.filter((e) => !e.path.startsWith('bad/'));
    assert.ok(valid.length > 90, `${valid.length} files`);
    for (const e of valid) {
      const file = await readDicomFile(corpusPath(e));
      const ts = file.transferSyntax.uid;
      const frames = allFrameBytes(file.dataset, ts);
      assert.equal(frames.length, frameCount(file.dataset), e.path);
      const fragments = file.dataset.get(PIXEL_DATA)!.fragments!.slice(1);
      assert.deepEqual(Buffer.concat(frames), Buffer.concat(fragments), e.path);
      const marker = /\.4\.(9\d|20\d)$/.test(ts) ? 0x4f : /\.4\./.test(ts) ? 0xd8 : undefined;
      if (marker !== undefined)
        for (const f of frames) assert.deepEqual([f[0], f[1]], [0xff, marker], `${e.path}: frame start`);
    }
  });

  it('bad files give frames or a CodecError, never a crash', async () => {
    const bad = entries.filter((e) => e.path.startsWith('bad/'));
    assert.ok(bad.length >= 4, `${bad.length} files`);
    for (const e of bad) {
      let file: Awaited<ReturnType<typeof readDicomFile>>;
      try {
        file = await readDicomFile(corpusPath(e));
      } catch (err) {
        if (err instanceof DicomParseError) continue;
        throw err;
      }
      const n = frameCount(file.dataset);
      for (let i = 0; i < n; i++) {
        try {
          assert.ok(frameBytes(file.dataset, i, file.transferSyntax.uid).length > 0, `${e.path} frame ${i}`);
        } catch (err) {
          assert.ok(err instanceof CodecError, `${e.path} frame ${i}: ${(err as Error).stack}`);
        }
      }
    }
  });

  it('bad native files (short Pixel Data, Rows 0...) give frames or a CodecError', async () => {
    const bad = corpusEntries((e) => e.path.startsWith('bad/'));
    let codecErrors = 0;
    for (const e of bad) {
      let file: Awaited<ReturnType<typeof readDicomFile>>;
      try {
        file = await readDicomFile(corpusPath(e));
      } catch (err) {
        if (err instanceof DicomParseError) continue;
        throw err;
      }
      if (!file.dataset.has(PIXEL_DATA)) continue;
      try {
        const ts = file.transferSyntax.uid;
        describePixels(file.dataset, ts);
        allFrameBytes(file.dataset, ts);
      } catch (err) {
        assert.ok(err instanceof CodecError, `${e.path}: ${(err as Error).stack}`);
        codecErrors++;
      }
    }
    // At least pixel_data_too_short, rows_zero and frames_exceed_fragments.
    assert.ok(codecErrors >= 3, `${codecErrors} CodecErrors`);
  });

  it('a wrong Basic Offset Table still gives all 10 frames', async () => {
    const file = await readDicomFile(corpusPath('bad/bot_wrong_offsets.dcm'));
    const frames = allFrameBytes(file.dataset, file.transferSyntax.uid);
    assert.equal(frames.length, 10);
    for (const f of frames) assert.deepEqual([f[0], f[1]], [0xff, 0xd8]);
  });

  it('frames beyond the fragments are a CodecError', async () => {
    const file = await readDicomFile(corpusPath('bad/frames_exceed_fragments.dcm'));
    const ts = file.transferSyntax.uid;
    for (let i = 0; i < 3; i++)
      assert.deepEqual([...frameBytes(file.dataset, i, ts).subarray(0, 2)], [0xff, 0xd8]);
    for (let i = 3; i < 10; i++) rejects(() => frameBytes(file.dataset, i, ts), /is not in the Pixel Data/);
  });
});
