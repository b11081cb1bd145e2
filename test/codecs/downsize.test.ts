import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError, type PixelDescription } from '../../src/codecs/codec.js';
import { downsizeDataset, downsizeFrame, downsizeGeometry, formatG } from '../../src/codecs/downsize.js';
import { nkiCompressDataset } from '../../src/codecs/nki.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { DataElement } from '../../src/dicom/element.js';

const PIXEL_DATA = 0x7fe00010;

function desc(rows: number, columns: number, bits: number, spp = 1, planar: 0 | 1 = 0): PixelDescription {
  return {
    rows,
    columns,
    samplesPerPixel: spp,
    bitsAllocated: bits,
    bitsStored: bits,
    highBit: bits - 1,
    pixelRepresentation: 0,
    planarConfiguration: planar,
    photometricInterpretation: spp === 3 ? 'RGB' : 'MONOCHROME2',
    numberOfFrames: 1,
  };
}

/** Pixel value = row * 1000 + column (16-bit), so each output pixel names the input pixel it came from. */
function pattern16(rows: number, columns: number): Buffer {
  const b = Buffer.alloc(rows * columns * 2);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) b.writeUInt16LE((r * 1000 + c) & 0xffff, 2 * (r * columns + c));
  return b;
}

describe('downsize geometry (MaybeDownsize)', () => {
  it('one integer factor from the larger side, sizes floored, at least 1', () => {
    assert.deepEqual(downsizeGeometry(2048, 2048, 1024), { factor: 2, rows: 1024, columns: 1024 });
    assert.deepEqual(downsizeGeometry(600, 400, 512), { factor: 2, rows: 300, columns: 200 });
    assert.deepEqual(downsizeGeometry(400, 1100, 256), { factor: 5, rows: 80, columns: 220 });
    assert.deepEqual(downsizeGeometry(3000, 5, 16), { factor: 188, rows: 15, columns: 1 });
    assert.deepEqual(downsizeGeometry(512, 512, 512), { factor: 1, rows: 512, columns: 512 });
    assert.throws(() => downsizeGeometry(10, 10, 0), CodecError);
  });
});

describe('downsizeFrame', () => {
  it('decimates 16-bit pixels: output (r, c) is input (r·f, c·f)', () => {
    const r = downsizeFrame(pattern16(10, 7), desc(10, 7, 16), 4);
    assert.equal(r.description.rows, 3);
    assert.equal(r.description.columns, 2);
    const got = [...Array(6).keys()].map((i) => r.pixels.readUInt16LE(2 * i));
    assert.deepEqual(got, [0, 3, 3000, 3003, 6000, 6003]);
  });

  it('keeps interleaved RGB triplets together and decimates planar RGB per plane', () => {
    const rgb = Buffer.from([...Array(16).keys()].flatMap((i) => [i, 100 + i, 200 + i]));
    const r = downsizeFrame(rgb, desc(4, 4, 8, 3), 2);
    assert.deepEqual([...r.pixels], [0, 100, 200, 2, 102, 202, 8, 108, 208, 10, 110, 210]);
    const planar = Buffer.from([
      ...[...Array(16).keys()],
      ...[...Array(16).keys()].map((i) => 100 + i),
      ...[...Array(16).keys()].map((i) => 200 + i),
    ]);
    const p = downsizeFrame(planar, desc(4, 4, 8, 3, 1), 2);
    assert.deepEqual([...p.pixels], [0, 2, 8, 10, 100, 102, 108, 110, 200, 202, 208, 210]);
    assert.equal(p.description.planarConfiguration, 1);
  });

  it('handles 8- and 32-bit samples and returns small images unchanged', () => {
    const eight = downsizeFrame(Buffer.from([...Array(9).keys()]), desc(3, 3, 8), 1);
    assert.deepEqual([...eight.pixels], [0]);
    const b32 = Buffer.alloc(16);
    for (let i = 0; i < 4; i++) b32.writeUInt32LE(0x10000 * i + 7, 4 * i);
    assert.equal(downsizeFrame(b32, desc(2, 2, 32), 1).pixels.readUInt32LE(0), 7);
    const small = pattern16(8, 8);
    assert.equal(downsizeFrame(small, desc(8, 8, 16), 8).pixels, small);
  });

  it('refuses packed bits and short frames', () => {
    assert.throws(() => downsizeFrame(Buffer.alloc(8), desc(8, 8, 1), 4), CodecError);
    assert.throws(() => downsizeFrame(Buffer.alloc(10), desc(8, 8, 16), 4), /10 bytes, 128 expected/);
  });
});

function image(rows: number, columns: number, frames = 1): Dataset {
  const ds = new Dataset();
  ds.setNumbers('SamplesPerPixel', 1, 'US');
  ds.setStrings('PhotometricInterpretation', 'MONOCHROME2');
  if (frames > 1) ds.setStrings('NumberOfFrames', String(frames), 'IS');
  ds.setNumbers('Rows', rows, 'US');
  ds.setNumbers('Columns', columns, 'US');
  ds.setNumbers('BitsAllocated', 16, 'US');
  ds.setNumbers('BitsStored', 12, 'US');
  ds.setNumbers('HighBit', 11, 'US');
  ds.setNumbers('PixelRepresentation', 0, 'US');
  const frame = pattern16(rows, columns);
  ds.setBytes(PIXEL_DATA, 'OW', Buffer.concat(Array(frames).fill(frame)));
  return ds;
}

describe('downsizeDataset', () => {
  it('updates Rows, Columns and Pixel Spacing like Conquest (%g of the float result)', () => {
    const ds = image(600, 400);
    ds.setStrings('PixelSpacing', ['0.7', '0.7'], 'DS');
    assert.deepEqual(downsizeDataset(ds, 256), { changed: true, rows: 200, columns: 133, factor: 3 });
    assert.equal(ds.number('Rows'), 200);
    assert.equal(ds.number('Columns'), 133);
    // 600·0.7/200 = 2.1; 400·0.7/133 = 2.10526...
    assert.deepEqual(ds.strings('PixelSpacing'), ['2.1', '2.10526']);
    assert.equal(ds.bytes(PIXEL_DATA)!.length, 200 * 133 * 2);
    assert.equal(ds.bytes(PIXEL_DATA)!.readUInt16LE(2 * 133 + 2), 3003);
  });

  it('scales each spacing value by its own direction, and Imager Pixel Spacing too', () => {
    const ds = image(512, 256);
    ds.setStrings('PixelSpacing', ['0.5', '0.25'], 'DS');
    ds.setStrings('ImagerPixelSpacing', ['0.4', '0.2'], 'DS');
    downsizeDataset(ds, 128);
    assert.deepEqual(ds.strings('PixelSpacing'), ['2', '1']);
    assert.deepEqual(ds.strings('ImagerPixelSpacing'), ['1.6', '0.8']);
  });

  it('downsizes every frame of a multi-frame image', () => {
    const ds = image(8, 8, 3);
    assert.equal(downsizeDataset(ds, 4).changed, true);
    const px = ds.bytes(PIXEL_DATA)!;
    assert.equal(px.length, 3 * 16 * 2);
    assert.equal(px.readUInt16LE(32 + 2 * 5), 2002);
  });

  it('leaves small images and encapsulated pixels alone, with a reason', () => {
    const small = image(100, 100);
    const before = small.bytes(PIXEL_DATA);
    assert.deepEqual(downsizeDataset(small, 128), {
      changed: false,
      reason: 'already at most 128 pixels wide and high',
    });
    assert.equal(small.bytes(PIXEL_DATA), before);
    const enc = image(300, 300);
    const px = new DataElement(PIXEL_DATA, 'OB');
    px.fragments = [Buffer.alloc(0), Buffer.alloc(10)];
    px.undefinedLength = true;
    enc.set(px);
    assert.match(String((downsizeDataset(enc, 128) as { reason: string }).reason), /encapsulated/);
  });

  it('NKI-compressed pixels are decompressed first; odd 8-bit results are padded', () => {
    const ds = image(64, 64);
    nkiCompressDataset(ds, 2);
    assert.equal(downsizeDataset(ds, 16).changed, true);
    assert.equal(ds.bytes(PIXEL_DATA)!.readUInt16LE(2 * 17), 4004);
    const odd = new Dataset();
    odd.setNumbers('Rows', 6, 'US');
    odd.setNumbers('Columns', 6, 'US');
    odd.setNumbers('BitsAllocated', 8, 'US');
    odd.setBytes(PIXEL_DATA, 'OB', Buffer.alloc(36, 9));
    downsizeDataset(odd, 3);
    assert.equal(odd.bytes(PIXEL_DATA)!.length, 10);
  });
});

describe('formatG (printf %g)', () => {
  it('matches C output', () => {
    assert.equal(formatG(2.1), '2.1');
    assert.equal(formatG(Math.fround(1.4)), '1.4');
    assert.equal(formatG(0.00001234), '1.234e-05');
    assert.equal(formatG(1234567), '1.23457e+06');
    assert.equal(formatG(100), '100');
    assert.equal(formatG(0), '0');
  });
});
