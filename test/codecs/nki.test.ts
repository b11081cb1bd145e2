import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { CodecError } from '../../src/codecs/codec.js';
import {
  NKI_PIXEL_TAG,
  type NkiMode,
  nkiCompress,
  nkiCompressDataset,
  nkiCrc,
  nkiDecompress,
  nkiDecompressDataset,
} from '../../src/codecs/nki.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { DataElement } from '../../src/dicom/element.js';
import { readDicomFileSync } from '../../src/dicom/reader.js';
import { CORPUS_SKIP, corpusManifest, corpusPath } from '../support/corpus.js';

const PIXEL_DATA = 0x7fe00010;
const MODES: readonly NkiMode[] = [1, 2, 3, 4];

function words(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => {
    b.writeUInt16LE(v & 0xffff, 2 * i);
  });
  return b;
}

function header(count: number, mode: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(count, 0);
  b.writeUInt32LE(mode, 4);
  return b;
}

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** Header of modes 2/4 with the CRCs computed independently (zlib's CRC-32, see nkiCrc test). */
function crcHeader(count: number, mode: 2 | 4, stream: Buffer, pixels: Buffer): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(count, 0);
  b.writeUInt32LE(mode, 4);
  b.writeUInt32LE(stream.length, 8);
  b.writeUInt32LE(conquestCrc(pixels), 12);
  b.writeUInt32LE(mode === 2 ? conquestCrc(stream) : 0, 16);
  return b;
}

/**
 * Conquest's CRC (table CRC-32, start 0, no final inversion) from zlib's standard CRC-32 by linearity:
 * raw(0, d) = std(d) XOR std(zeros of the same length).
 */
function conquestCrc(d: Buffer): number {
  return (crc32(d) ^ crc32(Buffer.alloc(d.length))) >>> 0;
}

// Mode 1/2 fixture: a zero run, 1-, 2- and 3-byte differences (derived by hand from nki_private_compress).
const A_PIXELS = words([1000, 1000, 1000, 1003, 903, 1203, 60000, 30000]);
const A_STREAM = hex('E803 8002 03 BF9C 412C A5AD 7F7530');

describe('NKI CRC', () => {
  it('is the CRC-32 table run from 0 without final inversion', () => {
    const data = Buffer.from('123456789');
    assert.equal(nkiCrc(data), conquestCrc(data));
    assert.equal(nkiCrc(Buffer.alloc(0)), 0);
    assert.equal(nkiCrc(Buffer.from([0])), 0);
  });
});

describe('NKI byte fixtures (format derived from nkiqrsop.cpp)', () => {
  it('mode 1: 8-byte header (pixel count, mode) then first pixel LE and difference codes', () => {
    const expected = Buffer.concat([header(8, 1), A_STREAM]);
    assert.deepEqual(nkiCompress(A_PIXELS, 1), expected);
    assert.deepEqual(nkiDecompress(expected), { pixels: A_PIXELS, mode: 1 });
  });

  it('mode 2: 20-byte header with compressed size, pixel CRC and stream CRC', () => {
    const expected = Buffer.concat([crcHeader(8, 2, A_STREAM, A_PIXELS), A_STREAM]);
    assert.deepEqual(nkiCompress(A_PIXELS, 2), expected);
    assert.deepEqual(nkiDecompress(expected).pixels, A_PIXELS);
  });

  it('a zero run never covers the last pixel, and an odd stream is padded with one 0 byte', () => {
    const pixels = words([5, 5, 5, 5]);
    const stream = hex('0500 8002 00');
    assert.deepEqual(nkiCompress(pixels, 1), Buffer.concat([header(4, 1), stream, hex('00')]));
    const m2 = nkiCompress(pixels, 2);
    assert.equal(m2.readUInt32LE(8), 6, 'compressed size counts the pad byte');
    assert.deepEqual(
      m2,
      Buffer.concat([crcHeader(4, 2, Buffer.concat([stream, hex('00')]), pixels), stream, hex('00')]),
    );
  });

  it('mode 3: eight 4-bit differences become C0 08 and four packed bytes', () => {
    const pixels = words([100, 101, 100, 102, 100, 103, 100, 107, 99, 119]);
    const stream = hex('6400 C008 1F2E3D78 14 00');
    assert.deepEqual(nkiCompress(pixels, 3), Buffer.concat([header(10, 3), stream]));
    assert.deepEqual(nkiDecompress(Buffer.concat([header(10, 3), stream])).pixels, pixels);
  });

  it('mode 3: an odd count of 4-bit candidates keeps the first as a plain byte', () => {
    const pixels = words([100, 101, 100, 102, 100, 103, 100, 101, 121]);
    const stream = hex('6400 01 C006 F2E3D1 14 00');
    assert.deepEqual(nkiCompress(pixels, 3), Buffer.concat([header(9, 3), stream]));
  });

  it('mode 3: zero runs of at most 4 stay single bytes, fewer than 6 candidates are not packed', () => {
    const pixels = words([50, 50, 50, 50, 50, 60]);
    assert.deepEqual(nkiCompress(pixels, 3), Buffer.concat([header(6, 3), hex('3200 00000000 0A 00')]));
    assert.deepEqual(nkiCompress(pixels, 1), Buffer.concat([header(6, 1), hex('3200 8004 0A 00')]));
  });

  it('mode 4: as mode 3 with a 20-byte header whose stream CRC is 0', () => {
    const pixels = words([100, 101, 100, 102, 100, 103, 100, 107, 99, 119]);
    const stream = hex('6400 C008 1F2E3D78 14 00');
    const expected = Buffer.concat([crcHeader(10, 4, stream, pixels), stream]);
    assert.deepEqual(nkiCompress(pixels, 4), expected);
    assert.equal(expected.readUInt32LE(16), 0);
    assert.deepEqual(nkiDecompress(expected), { pixels, mode: 4 });
  });

  it('a single pixel is just the header and that pixel', () => {
    assert.deepEqual(nkiCompress(words([0xabcd]), 1), Buffer.concat([header(1, 1), hex('CDAB')]));
    assert.deepEqual(nkiDecompress(nkiCompress(words([0xabcd]), 4)).pixels, words([0xabcd]));
  });
});

describe('NKI errors', () => {
  it('a changed byte in mode 2 and mode 4 is caught by the CRC', () => {
    for (const mode of [2, 4] as const) {
      const data = nkiCompress(A_PIXELS, mode);
      data[20 + 4] = 0x04; // the 1-byte difference 03 (pixel 1003) becomes 04
      assert.throws(
        () => nkiDecompress(data),
        (e: unknown) => e instanceof CodecError && /CRC mismatch/.test(e.message),
      );
    }
  });

  it('mode 2 names a corrupted stream when the stream CRC fails too', () => {
    const data = nkiCompress(A_PIXELS, 2);
    data[24] = 0x04;
    assert.throws(() => nkiDecompress(data), /compressed bytes fail their CRC/);
  });

  it('truncated data reports the offset', () => {
    const data = nkiCompress(A_PIXELS, 1).subarray(0, 8 + 10);
    assert.throws(
      () => nkiDecompress(data),
      (e: unknown) => e instanceof CodecError && /truncated at offset 17/.test(e.message),
    );
    const m2 = nkiCompress(A_PIXELS, 2);
    assert.throws(
      () => nkiDecompress(m2.subarray(0, m2.length - 2)),
      /header at offset 8 gives 14 compressed bytes, 12 present/,
    );
    assert.throws(() => nkiDecompress(Buffer.alloc(5)), /header needs 8/);
  });

  it('a run longer than the image and an unknown mode are refused', () => {
    assert.throws(
      () => nkiDecompress(Buffer.concat([header(3, 1), hex('0100 80 05')])),
      /overflows the 3-pixel image/,
    );
    assert.throws(() => nkiDecompress(Buffer.concat([header(3, 7), hex('0100')])), /mode 7 at offset 4/);
    assert.throws(() => nkiCompress(Buffer.alloc(3), 1), CodecError);
  });
});

describe('NKI ratios on a smooth synthetic image', () => {
  it('mode 3/4 packs small differences tighter than mode 1/2', (t) => {
    // A 256×256 CT-like slice: a slow gradient with ±3 noise (deterministic LCG) inside a zero background.
    let seed = 12345;
    const noise = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed % 7) - 3;
    };
    const values: number[] = [];
    for (let r = 0; r < 256; r++)
      for (let c = 0; c < 256; c++) {
        const inside = (r - 128) ** 2 + (c - 128) ** 2 < 100 ** 2;
        values.push(inside ? 1000 + r + noise() : 0);
      }
    const pixels = words(values);
    const size = MODES.map((m) => nkiCompress(pixels, m).length);
    for (const m of MODES) assert.ok(nkiDecompress(nkiCompress(pixels, m)).pixels.equals(pixels));
    MODES.forEach((m, i) => {
      t.diagnostic(`synthetic n${m}: ${((100 * size[i]!) / pixels.length).toFixed(1)}%`);
    });
    assert.ok(size[2]! < size[0]!, 'n3 smaller than n1');
    assert.ok(size[0]! < pixels.length * 0.55, "n1 near the manual's 50%");
  });
});

describe('NKI round trip on every 16-bit native corpus image', { skip: CORPUS_SKIP }, () => {
  const entries = CORPUS_SKIP
    ? []
    : corpusManifest().filter(
        (e) =>
          !e.path.startsWith('bad/') &&
          ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2'].includes(e.transferSyntaxUid) &&
          String(e['bits_alloc_stored_high']).startsWith('16/'),
      );

  it('is exact for all four modes, ratios reported', (t) => {
    assert.ok(entries.length > 20, `expected many 16-bit images, found ${entries.length}`);
    const totals = { raw: 0, 1: 0, 2: 0, 3: 0, 4: 0 };
    for (const entry of entries) {
      const file = readDicomFileSync(corpusPath(entry));
      let pixels = file.dataset.bytes(PIXEL_DATA);
      assert.ok(pixels, `${entry.path}: no native Pixel Data`);
      if (!file.dataset.littleEndian) pixels = Buffer.from(pixels).swap16();
      pixels = pixels.subarray(0, pixels.length & ~1);
      totals.raw += pixels.length;
      for (const mode of MODES) {
        const packed = nkiCompress(pixels, mode);
        totals[mode] += packed.length;
        const back = nkiDecompress(packed);
        assert.equal(back.mode, mode);
        assert.ok(back.pixels.equals(pixels), `${entry.path}: mode ${mode} round trip differs`);
      }
    }
    for (const mode of MODES)
      t.diagnostic(
        `n${mode}: ${((100 * totals[mode]) / totals.raw).toFixed(1)}% of ${totals.raw} bytes over ${entries.length} images`,
      );
  });

  it('a flipped bit anywhere in a mode 2/4 stream never passes silently', () => {
    const entry = entries.find((e) => e.path === 'ts/ct16s_explicit_le.dcm') ?? entries[0]!;
    const pixels = readDicomFileSync(corpusPath(entry)).dataset.bytes(PIXEL_DATA)!;
    for (const mode of [2, 4] as const) {
      const packed = nkiCompress(pixels, mode);
      for (let at = 22; at < packed.length; at += Math.max(1, Math.floor(packed.length / 97))) {
        const bad = Buffer.from(packed);
        bad[at] = bad[at]! ^ 0x01;
        let decoded: Buffer | undefined;
        try {
          decoded = nkiDecompress(bad).pixels;
        } catch (e) {
          assert.ok(e instanceof CodecError, String(e));
          continue;
        }
        // Only a flip that leaves the pixels unchanged (e.g. in the pad byte) may decode.
        assert.ok(decoded.equals(pixels), `mode ${mode}: flip at ${at} decoded to different pixels`);
      }
    }
  });
});

function image16(values: readonly number[], extra?: (ds: Dataset) => void): Dataset {
  const ds = new Dataset();
  ds.setNumbers('SamplesPerPixel', 1, 'US');
  ds.setNumbers('Rows', 1, 'US');
  ds.setNumbers('Columns', values.length, 'US');
  ds.setNumbers('BitsAllocated', 16, 'US');
  ds.setBytes(PIXEL_DATA, 'OW', words(values));
  extra?.(ds);
  return ds;
}

describe('NKI data sets (CompressNKI / DecompressNKI)', () => {
  it('moves Pixel Data to (7FDF,0010) and back', () => {
    const ds = image16([1000, 1000, 1000, 1003, 903, 1203, 60000, 30000]);
    const r = nkiCompressDataset(ds, 4);
    assert.equal(r.changed, true);
    assert.equal(ds.has(PIXEL_DATA), false);
    assert.equal(ds.get(NKI_PIXEL_TAG)?.vr, 'OW');
    assert.equal(ds.bytes(NKI_PIXEL_TAG)!.readUInt32LE(4), 4);
    assert.deepEqual(nkiDecompressDataset(ds), {
      changed: true,
      mode: 4,
      before: r.changed ? r.after : 0,
      after: 16,
    });
    assert.equal(ds.has(NKI_PIXEL_TAG), false);
    assert.deepEqual(ds.bytes(PIXEL_DATA), A_PIXELS);
  });

  it('leaves 8-bit, colour, encapsulated and already compressed images with a reason', () => {
    const eight = image16([1, 2], (ds) => ds.setNumbers('BitsAllocated', 8, 'US'));
    assert.match(String((nkiCompressDataset(eight, 1) as { reason: string }).reason), /16-bit/);
    const rgb = image16([1, 2, 3], (ds) => ds.setNumbers('SamplesPerPixel', 3, 'US'));
    assert.match(String((nkiCompressDataset(rgb, 1) as { reason: string }).reason), /single-sample/);
    const enc = image16([1]);
    const px = new DataElement(PIXEL_DATA, 'OB');
    px.fragments = [Buffer.alloc(0), Buffer.alloc(4)];
    px.undefinedLength = true;
    enc.set(px);
    assert.equal(nkiCompressDataset(enc, 1).changed, false);
    const twice = image16([1, 2]);
    nkiCompressDataset(twice, 1);
    assert.equal(nkiCompressDataset(twice, 2).changed, false);
  });

  it('does not touch (7FDF,0010) that is not NKI data', () => {
    const acuson = image16([1], (ds) => {
      ds.delete(PIXEL_DATA);
      ds.setBytes(NKI_PIXEL_TAG, 'OB', Buffer.from('ACUSON private data'));
    });
    assert.match(String((nkiDecompressDataset(acuson) as { reason: string }).reason), /ACUSON/);
    const both = image16([1], (ds) => ds.setBytes(NKI_PIXEL_TAG, 'OB', nkiCompress(words([1, 2]), 1)));
    assert.equal(nkiDecompressDataset(both).changed, false);
    const short = image16([1], (ds) => {
      ds.delete(PIXEL_DATA);
      ds.setBytes(NKI_PIXEL_TAG, 'OB', Buffer.alloc(8));
    });
    assert.equal(nkiDecompressDataset(short).changed, false);
    const bad = image16([1], (ds) => {
      ds.delete(PIXEL_DATA);
      const data = nkiCompress(A_PIXELS, 2);
      data[24] = 4;
      ds.setBytes(NKI_PIXEL_TAG, 'OW', data);
    });
    assert.throws(() => nkiDecompressDataset(bad), CodecError);
  });
});
