/**
 * Rendering to 8 bits (src/imaging): the PS3.3 window functions against hand-computed values, Modality
 * LUT / rescale, VOI choice, MONOCHROME1, PALETTE COLOR, YBR, resize, and the picture encoders read back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { Dataset } from '../../src/dicom/dataset.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { encodeBmp, encodeGif, encodeJpeg, encodePng } from '../../src/imaging/encode.js';
import { expandSegmented } from '../../src/imaging/lut.js';
import { type RenderedImage, renderFrame, renderPixels, toGray } from '../../src/imaging/render.js';
import { resize } from '../../src/imaging/resize.js';
import type { FrameLayout } from '../../src/imaging/samples.js';
import { applyWindow } from '../../src/imaging/voi.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';
import { readNativeFrames } from '../support/pixel-hash.js';

function layout(over: Partial<FrameLayout>): FrameLayout {
  return {
    rows: 1,
    columns: 4,
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

function u16(values: number[], signed = false): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => {
    if (signed) b.writeInt16LE(v, i * 2);
    else b.writeUInt16LE(v, i * 2);
  });
  return b;
}

describe('VOI window functions (PS3.3 C.11.2.1.2)', () => {
  it('LINEAR: c 40, w 400 — bottom edge, centre, top edge', () => {
    const w = { center: 40, width: 400, fn: 'LINEAR' as const };
    // x <= c - 0.5 - (w-1)/2 = -160 → 0
    assert.equal(applyWindow(-160, w), 0);
    // ((-159 - 39.5)/399 + 0.5) * 255 = 0.639 → 1
    assert.equal(applyWindow(-159, w), 1);
    // ((40 - 39.5)/399 + 0.5) * 255 = 127.82 → 128
    assert.equal(applyWindow(40, w), 128);
    // x = 239: ((239 - 39.5)/399 + 0.5) * 255 = 255; x > 239 → 255
    assert.equal(applyWindow(239, w), 255);
    assert.equal(applyWindow(1000, w), 255);
  });
  it('LINEAR_EXACT: c 100, w 200', () => {
    const w = { center: 100, width: 200, fn: 'LINEAR_EXACT' as const };
    assert.equal(applyWindow(0, w), 0);
    assert.equal(applyWindow(100, w), 128); // 127.5 rounds up
    assert.equal(applyWindow(150, w), 191); // 0.75 × 255 = 191.25
    assert.equal(applyWindow(201, w), 255);
  });
  it('SIGMOID: c 0, w 100', () => {
    const w = { center: 0, width: 100, fn: 'SIGMOID' as const };
    assert.equal(applyWindow(0, w), 128); // 255 / 2
    assert.equal(applyWindow(25, w), 186); // 255 / (1 + e^-1) = 186.4
  });
});

describe('monochrome rendering', () => {
  it('applies Rescale Slope/Intercept before a caller window (values in HU)', () => {
    const ds = new Dataset();
    ds.setStrings('RescaleIntercept', '-1024', 'DS');
    ds.setStrings('RescaleSlope', '1', 'DS');
    ds.setStrings('WindowCenter', '500', 'DS'); // ignored: the caller's window wins
    ds.setStrings('WindowWidth', '10', 'DS');
    const img = renderPixels(u16([864, 865, 1064, 1263]), layout({}), ds, {
      window: { center: 40, width: 400 },
    });
    assert.deepEqual([...img.data], [0, 1, 128, 255]);
    assert.equal(img.channels, 1);
  });
  it("uses the file's first window pair, and signed pixels", () => {
    const ds = new Dataset();
    ds.setStrings('WindowCenter', ['0', '1000'], 'DS');
    ds.setStrings('WindowWidth', ['101', '10'], 'DS');
    // c 0, w 101: x <= -50.5 → 0; x = 0 → ((0.5)/100 + 0.5)·255 = 128.8 → 129; x > 49.5 → 255
    const img = renderPixels(u16([-51, 0, 50, -32768], true), layout({ pixelRepresentation: 1 }), ds);
    assert.deepEqual([...img.data], [0, 129, 255, 0]);
  });
  it('auto-windows over min..max after rescale (slope 2, intercept 10)', () => {
    const ds = new Dataset();
    ds.setStrings('RescaleSlope', '2', 'DS');
    ds.setStrings('RescaleIntercept', '10', 'DS');
    const img = renderPixels(u16([0, 5, 10, 10]), layout({}), ds);
    assert.deepEqual([...img.data], [0, 128, 255, 255]);
  });
  it('inverts MONOCHROME1', () => {
    const ds = new Dataset();
    const m2 = renderPixels(
      Buffer.from([0, 64, 128, 255]),
      layout({ bitsAllocated: 8, bitsStored: 8, highBit: 7 }),
      ds,
    );
    const m1 = renderPixels(
      Buffer.from([0, 64, 128, 255]),
      layout({ bitsAllocated: 8, bitsStored: 8, highBit: 7, photometricInterpretation: 'MONOCHROME1' }),
      ds,
    );
    assert.deepEqual([...m2.data], [0, 64, 128, 255]);
    assert.deepEqual([...m1.data], [255, 191, 127, 0]);
  });
  it('masks bits above High Bit (12 stored in 16)', () => {
    const ds = new Dataset();
    ds.setStrings('WindowCenter', '2048', 'DS');
    ds.setStrings('WindowWidth', '4096', 'DS');
    const img = renderPixels(u16([0xf000, 0xffff, 0x0800, 0]), layout({ bitsStored: 12, highBit: 11 }), ds);
    // 0xF000 → 0 (masked), 0xFFFF → 4095 → 255, 2048 → ((2048-2047.5)/4095+0.5)·255 → 128
    assert.deepEqual([...img.data], [0, 255, 128, 0]);
  });
});

describe('colour rendering', () => {
  it('converts YBR_FULL to RGB (PS3.3 C.7.6.3.1.2)', () => {
    const ds = new Dataset();
    const img = renderPixels(
      Buffer.from([128, 128, 255, 76, 85, 255]),
      layout({
        columns: 2,
        samplesPerPixel: 3,
        bitsAllocated: 8,
        bitsStored: 8,
        highBit: 7,
        photometricInterpretation: 'YBR_FULL',
      }),
      ds,
    );
    // (128,128,255): R = 128 + 1.402·127 → 255, G = 128 − 0.714136·127 = 37.3, B = 128
    // (76,85,255) ≈ pure red: R = 76 + 178.05 → 254, G = 76 + 14.80 − 90.70 = 0.1, B = 76 − 76.2 → 0
    assert.deepEqual([...img.data], [255, 37, 128, 254, 0, 0]);
  });
  it('expands native YBR_FULL_422 (Y1 Y2 Cb Cr) and reads planar RGB', () => {
    const ds = new Dataset();
    const ybr = renderPixels(
      Buffer.from([100, 200, 128, 128]),
      layout({
        columns: 2,
        samplesPerPixel: 3,
        bitsAllocated: 8,
        bitsStored: 8,
        highBit: 7,
        photometricInterpretation: 'YBR_FULL_422',
      }),
      ds,
    );
    assert.deepEqual([...ybr.data], [100, 100, 100, 200, 200, 200]);
    const planar = renderPixels(
      Buffer.from([1, 2, 3, 4, 5, 6]),
      layout({
        columns: 2,
        samplesPerPixel: 3,
        bitsAllocated: 8,
        bitsStored: 8,
        highBit: 7,
        photometricInterpretation: 'RGB',
        planarConfiguration: 1,
      }),
      ds,
    );
    assert.deepEqual([...planar.data], [1, 3, 5, 2, 4, 6]);
  });
  it('maps PALETTE COLOR through 16-bit LUTs with a first-mapped value', () => {
    const ds = new Dataset();
    for (const c of ['Red', 'Green', 'Blue'])
      ds.setNumbers(`${c}PaletteColorLookupTableDescriptor`, [3, 10, 16], 'US');
    ds.setBytes('RedPaletteColorLookupTableData', 'OW', u16([0, 65535, 32896]));
    ds.setBytes('GreenPaletteColorLookupTableData', 'OW', u16([65535, 0, 0]));
    ds.setBytes('BluePaletteColorLookupTableData', 'OW', u16([0, 0, 65535]));
    const img = renderPixels(
      Buffer.from([9, 10, 11, 200]),
      layout({ bitsAllocated: 8, bitsStored: 8, highBit: 7, photometricInterpretation: 'PALETTE COLOR' }),
      ds,
    );
    // 9 < first → entry 0; 200 > last → entry 2; 32896/65535·255 = 128
    assert.deepEqual([...img.data], [0, 255, 0, 0, 255, 0, 255, 0, 0, 128, 0, 255]);
  });
  it('expands segmented LUTs (discrete, linear, indirect)', () => {
    // discrete [0, 10], linear 4 steps to 50, indirect: replay the first segment (offset 0, 1 segment)
    const words = Uint16Array.from([0, 2, 0, 10, 1, 4, 50, 2, 1, 0, 0]);
    assert.deepEqual([...expandSegmented(words, 8)], [0, 10, 20, 30, 40, 50, 0, 10]);
  });
});

describe('rendering corpus files', { skip: CORPUS_SKIP }, () => {
  async function render(path: string, frame = 0): Promise<RenderedImage> {
    const f = await readDicomFile(corpusPath(path));
    return renderFrame(f.dataset, f.transferSyntax.uid, { frame });
  }

  it("CT with the file's window 40/400 matches the formula on the stored values", async () => {
    const img = await render('pixel/mono2_s16_ct.dcm');
    const { frames, d } = await readNativeFrames(corpusPath('pixel/mono2_s16_ct.dcm'));
    const f = await readDicomFile(corpusPath('pixel/mono2_s16_ct.dcm'));
    const slope = f.dataset.number('RescaleSlope') ?? 1;
    const intercept = f.dataset.number('RescaleIntercept') ?? 0;
    assert.equal(d.pixelRepresentation, 1);
    for (const i of [0, 77, 4000, d.rows * d.columns - 1]) {
      const x = frames[0]!.readInt16LE(i * 2) * slope + intercept;
      const expected = x <= -160 ? 0 : x > 239 ? 255 : Math.round(((x - 39.5) / 399 + 0.5) * 255);
      assert.equal(img.data[i], expected, `pixel ${i} (value ${x})`);
    }
  });

  it('MONOCHROME1 renders inverted: 0 is white', async () => {
    const img = await render('pixel/mono1_u8.dcm');
    const { frames } = await readNativeFrames(corpusPath('pixel/mono1_u8.dcm'));
    const stored = frames[0]!;
    const iMin = stored.indexOf(Math.min(...stored));
    const iMax = stored.indexOf(Math.max(...stored));
    assert.ok(img.data[iMin]! > img.data[iMax]!, 'the lowest stored value must be the brightest');
    assert.equal(img.data[iMin], 255);
  });

  it('uses the Modality LUT Sequence and the VOI LUT Sequence', async () => {
    const mod = await readDicomFile(corpusPath('pixel/mono2_modality_lut_sequence.dcm'));
    const item = mod.dataset.sequence('ModalityLUTSequence')[0]!;
    const [, first] = item.numbers('LUTDescriptor');
    const data = item.numbers('LUTData');
    const { frames } = await readNativeFrames(corpusPath('pixel/mono2_modality_lut_sequence.dcm'));
    const stored = Array.from(
      new Uint16Array(frames[0]!.buffer, frames[0]!.byteOffset, frames[0]!.length / 2),
    );
    const img = await render('pixel/mono2_modality_lut_sequence.dcm');
    // the pixel whose LUT output is highest must be rendered at least as bright as the one with the lowest
    const out = stored.map((v) => data[Math.min(data.length - 1, Math.max(0, v - first!))]!);
    const hi = out.indexOf(Math.max(...out));
    const lo = out.indexOf(Math.min(...out));
    assert.ok(img.data[hi]! > img.data[lo]!);
    const voi = await render('pixel/mono2_voi_lut_sequence.dcm');
    assert.ok(Math.max(...voi.data) > Math.min(...voi.data), 'VOI LUT output spans several levels');
  });

  it('PALETTE COLOR: Big Endian and Little Endian files render the same; 8-bit entries; 65536 entries', async () => {
    const le = await render('pixel/palette_u8_lut16.dcm');
    const be = await render('pixel/palette_u8_lut16_explicit_be.dcm');
    assert.equal(le.channels, 3);
    assert.deepEqual(be.data, le.data);
    const f = await readDicomFile(corpusPath('pixel/palette_u8_lut16.dcm'));
    const red = f.dataset.numbers('RedPaletteColorLookupTableData');
    const index = f.dataset.get('PixelData')!.bytes![0]!;
    assert.equal(le.data[0], Math.round((red[index]! * 255) / 65535));
    const e8 = await render('pixel/palette_u8_lut8bit_entries.dcm');
    const e8file = await readDicomFile(corpusPath('pixel/palette_u8_lut8bit_entries.dcm'));
    const packed = e8file.dataset.get('RedPaletteColorLookupTableData')!.bytes!;
    const i8 = e8file.dataset.get('PixelData')!.bytes![0]!;
    assert.equal(e8.data[0], packed[i8]); // one byte per entry, in order
    const big = await render('pixel/palette_u16_lut65536.dcm');
    assert.equal(big.data.length, 64 * 64 * 3);
    const seg = await render('pixel/palette_segmented.dcm', 1);
    assert.equal(seg.channels, 3);
  });

  it('Float Pixel Data is auto-windowed over its own range', async () => {
    const img = await render('pixel/parametric_map_float32.dcm');
    const { frames } = await readNativeFrames(corpusPath('pixel/parametric_map_float32.dcm'));
    const f = frames[0]!;
    // The file holds NaN samples too (they render black): the window spans the finite ones.
    const values = Array.from({ length: f.length / 4 }, (_, i) => f.readFloatLE(i * 4));
    const finite = values.filter(Number.isFinite);
    assert.ok(finite.length > 1 && finite.length < values.length);
    assert.equal(img.data[values.indexOf(Math.min(...finite))], 0);
    assert.equal(img.data[values.indexOf(Math.max(...finite))], 255);
    assert.equal(img.data[values.findIndex(Number.isNaN)], 0);
  });

  it('native YBR_FULL and YBR_FULL_422 of one picture render alike', async () => {
    const full = await render('pixel/ybr_full.dcm');
    const sub = await render('pixel/ybr_full_422_native.dcm');
    let sum = 0;
    for (let i = 0; i < full.data.length; i++) sum += Math.abs(full.data[i]! - sub.data[i]!);
    assert.ok(sum / full.data.length < 4, `mean difference ${sum / full.data.length}`);
  });
});

describe('resize and encoders', () => {
  const gradient: RenderedImage = {
    width: 10,
    height: 6,
    channels: 3,
    data: Buffer.from(Array.from({ length: 60 }, (_, i) => [i * 4, 255 - i * 4, (i % 10) * 25]).flat()),
  };

  it("resize keeps Conquest's decimation geometry", () => {
    const r = resize(gradient, 4); // factor ceil(10/4) = 3 → 3 × 2
    assert.equal(r.width, 3);
    assert.equal(r.height, 2);
    // output (1, 2) is input (3, 6) = pixel 36
    assert.deepEqual([...r.data.subarray((1 * 3 + 2) * 3, (1 * 3 + 2) * 3 + 3)], [144, 111, 150]);
    assert.equal(resize(gradient, 0), gradient);
    assert.equal(resize(gradient, 20), gradient);
  });

  it('PNG round-trips exactly; JPEG keeps size and is close', async () => {
    const png = await encodePng(gradient);
    const back = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.equal(back.info.width, 10);
    assert.equal(back.info.height, 6);
    assert.deepEqual(back.data, gradient.data);
    const flat: RenderedImage = { width: 16, height: 16, channels: 3, data: Buffer.alloc(768, 0).fill(200) };
    const jpg = await encodeJpeg(flat, 95);
    const j = await sharp(jpg).raw().toBuffer({ resolveWithObject: true });
    assert.equal(j.info.width, 16);
    assert.ok(Math.abs(j.data[0]! - 200) <= 2);
  });

  it('BMP header fields and bottom-up BGR rows', () => {
    const bmp = encodeBmp(gradient);
    const stride = 32; // 10 × 3 = 30 → padded to 32
    assert.equal(bmp.toString('latin1', 0, 2), 'BM');
    assert.equal(bmp.readUInt32LE(2), bmp.length);
    assert.equal(bmp.readUInt32LE(10), 54);
    assert.equal(bmp.readUInt32LE(14), 40);
    assert.equal(bmp.readInt32LE(18), 10);
    assert.equal(bmp.readInt32LE(22), 6);
    assert.equal(bmp.readUInt16LE(28), 24);
    assert.equal(bmp.readUInt32LE(34), stride * 6);
    // the first stored row is the bottom one (row 5); pixel (5,0) = index 50, stored B,G,R
    assert.deepEqual([...bmp.subarray(54, 57)], [0, 55, 200]);
    const gray = encodeBmp(toGray(gradient));
    assert.equal(gray.readUInt16LE(28), 8);
    assert.equal(gray.readUInt32LE(10), 54 + 1024);
    assert.equal(gray.readUInt32LE(46), 256);
  });

  it('GIF: one frame is a still picture; several loop', async () => {
    const g = toGray(gradient);
    const still = encodeGif([g]);
    assert.equal(still.toString('latin1', 0, 6), 'GIF89a');
    assert.equal(still.indexOf('NETSCAPE2.0'), -1);
    const meta = await sharp(still).metadata();
    assert.equal(meta.width, 10);
    const anim = encodeGif([g, g, g], { delayMs: 200 });
    const m = await sharp(anim, { animated: true }).metadata();
    assert.equal(m.pages, 3);
    assert.deepEqual(m.delay, [200, 200, 200]);
    const back = await sharp(still).raw().toBuffer({ resolveWithObject: true });
    assert.equal(back.data[(2 * 10 + 3) * back.info.channels], g.data[23]);
  });
});
