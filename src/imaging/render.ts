/**
 * From a data set, its transfer syntax and a frame index (0-based, as Conquest counts) to 8-bit pixels for
 * display: the frame is decoded through the codec registry, then
 * - monochrome: Modality LUT (Modality LUT Sequence, else Rescale Slope/Intercept), VOI (voi.ts: caller's
 *   window, file's first window, VOI LUT Sequence, automatic min/max), MONOCHROME1 inverted → 1 channel;
 * - PALETTE COLOR: each stored value through the red/green/blue LUTs (normal or segmented) → RGB;
 * - RGB, YBR_FULL, YBR_FULL_422 (native, two samples a pixel), YBR_PARTIAL_422/420 → RGB, each sample
 *   scaled from Bits Stored to 8 bits.
 */
import type { PixelDescription } from '../codecs/codec.js';
import { NKI_PIXEL_TAG, nkiDecompressDataset } from '../codecs/nki.js';
import { describePixels, frameBytes, frameCount } from '../codecs/pixel-data.js';
import { decodeFrame } from '../codecs/registry.js';
import { copyDataset } from '../codecs/transcode.js';
import type { Dataset } from '../dicom/dataset.js';
import { ImagingError } from './errors.js';
import { expandSegmented, type Lut, lookup, lutEntries, readDescriptor, readLut } from './lut.js';
import { type FrameLayout, storedValues } from './samples.js';
import {
  applyVoiLut,
  applyWindow,
  autoWindow,
  checkWindow,
  fileVoiLut,
  fileWindow,
  type Voi,
  type VoiFunction,
  voiFunction,
} from './voi.js';

/** 8-bit pixels, rows top to bottom, channels interleaved. */
export interface RenderedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Buffer;
}

export interface RenderOptions {
  /** 0-based frame index (default 0). */
  readonly frame?: number;
  /** Window to use instead of the file's (values after the Modality LUT, e.g. Hounsfield units). */
  readonly window?: { readonly center: number; readonly width: number; readonly fn?: VoiFunction };
}

const MODALITY_LUT_SEQUENCE = 0x00283000;
const LUT_DESCRIPTOR = 0x00283002;
const LUT_DATA = 0x00283006;
const RESCALE_INTERCEPT = 0x00281052;
const RESCALE_SLOPE = 0x00281053;

/** Renders frame `options.frame` of a data set. */
export async function renderFrame(
  dataset: Dataset,
  transferSyntaxUid: string,
  options: RenderOptions = {},
): Promise<RenderedImage> {
  const ds = withPixelData(dataset);
  const frame = options.frame ?? 0;
  const n = frameCount(ds, transferSyntaxUid);
  if (!Number.isInteger(frame) || frame < 0 || frame >= n)
    throw new ImagingError(`frame ${frame} does not exist: the object has ${n} frame(s), numbered from 0`);
  const d = describePixels(ds, transferSyntaxUid);
  const decoded = await decodeFrame(frameBytes(ds, frame, transferSyntaxUid), d, transferSyntaxUid, frame);
  const layout: FrameLayout = {
    ...d,
    photometricInterpretation: decoded.photometricInterpretation,
    planarConfiguration: decoded.planarConfiguration,
    floatingPoint: !ds.has(0x7fe00010) && (ds.has(0x7fe00008) || ds.has(0x7fe00009)),
  };
  return renderPixels(decoded.pixels, layout, ds, options);
}

/** NKI-compressed pixels (7FDF,0010) decompressed into a copy; other data sets as they are. */
function withPixelData(ds: Dataset): Dataset {
  if (ds.has(0x7fe00010) || !ds.has(NKI_PIXEL_TAG)) return ds;
  const copy = copyDataset(ds);
  nkiDecompressDataset(copy);
  return copy;
}

/** Renders decoded native pixels described by `layout`; `ds` gives the LUTs and windows. */
export function renderPixels(
  pixels: Buffer,
  layout: FrameLayout,
  ds: Dataset,
  options: RenderOptions = {},
): RenderedImage {
  const values = storedValues(pixels, layout);
  const pi = layout.photometricInterpretation.toUpperCase();
  const base = { width: layout.columns, height: layout.rows };
  if (
    pi === 'MONOCHROME1' ||
    pi === 'MONOCHROME2' ||
    (layout.samplesPerPixel === 1 && pi !== 'PALETTE COLOR')
  )
    return {
      ...base,
      channels: 1,
      data: renderMonochrome(values, layout, ds, options, pi === 'MONOCHROME1'),
    };
  if (pi === 'PALETTE COLOR') return { ...base, channels: 3, data: renderPalette(values, layout, ds) };
  if (layout.samplesPerPixel !== 3)
    throw new ImagingError(`cannot render ${layout.samplesPerPixel} samples per pixel as ${pi}`);
  return { ...base, channels: 3, data: renderColour(values, layout, pi) };
}

// ---- monochrome -------------------------------------------------------------------------------------

/** The Modality LUT as a function of the stored value. */
export function modalityTransform(ds: Dataset, d: PixelDescription): (v: number) => number {
  const item = ds.sequence(MODALITY_LUT_SEQUENCE)[0];
  if (item?.has(LUT_DESCRIPTOR) && item.has(LUT_DATA)) {
    const lut = readLut(item, LUT_DESCRIPTOR, LUT_DATA, d.pixelRepresentation === 1);
    return (v) => lookup(lut, v);
  }
  const slope = finiteOr(ds, RESCALE_SLOPE, 1);
  const intercept = finiteOr(ds, RESCALE_INTERCEPT, 0);
  if (slope === 1 && intercept === 0) return (v) => v;
  return (v) => v * slope + intercept;
}

function finiteOr(ds: Dataset, tag: number, fallback: number): number {
  try {
    const v = ds.number(tag);
    return v !== undefined && Number.isFinite(v) ? v : fallback;
  } catch {
    return fallback;
  }
}

/** Which VOI applies (see voi.ts for the order); `modality` are the frame's values after the Modality LUT. */
export function chooseVoi(
  ds: Dataset,
  d: PixelDescription,
  modality: Float64Array,
  options: RenderOptions,
): Voi {
  if (options.window) {
    const window = checkWindow({
      center: options.window.center,
      width: options.window.width,
      fn: options.window.fn ?? voiFunction(ds),
    });
    return { kind: 'window', window, source: 'caller' };
  }
  const file = fileWindow(ds);
  if (file) return { kind: 'window', window: file, source: 'file' };
  const lut = fileVoiLut(ds, d.pixelRepresentation === 1);
  if (lut) return { kind: 'lut', lut };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of modality) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { kind: 'window', window: autoWindow(min, max), source: 'auto' };
}

function renderMonochrome(
  values: Float64Array,
  d: FrameLayout,
  ds: Dataset,
  options: RenderOptions,
  invert: boolean,
): Buffer {
  const n = d.rows * d.columns;
  const spp = d.samplesPerPixel;
  const toModality = modalityTransform(ds, d);
  const modality = new Float64Array(n);
  for (let i = 0; i < n; i++) modality[i] = toModality(values[i * spp]!);
  const voi = chooseVoi(ds, d, modality, options);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const x = modality[i]!;
    // NaN / infinite (float pixel data) have no place on the window: black, or white when inverted.
    const y = !Number.isFinite(x)
      ? 0
      : voi.kind === 'window'
        ? applyWindow(x, voi.window)
        : applyVoiLut(x, voi.lut);
    out[i] = invert ? 255 - y : y;
  }
  return out;
}

// ---- palette ----------------------------------------------------------------------------------------

const PALETTE_DESCRIPTORS = [0x00281101, 0x00281102, 0x00281103] as const;
const PALETTE_DATA = [0x00281201, 0x00281202, 0x00281203] as const;
const SEGMENTED_PALETTE_DATA = [0x00281221, 0x00281222, 0x00281223] as const;

/** The red, green and blue LUTs of a PALETTE COLOR image. */
export function paletteLuts(ds: Dataset, signedInput: boolean): [Lut, Lut, Lut] {
  const luts = PALETTE_DESCRIPTORS.map((descTag, c) => {
    if (!ds.has(descTag)) throw new ImagingError('PALETTE COLOR image without Palette Color LUT Descriptors');
    const desc = readDescriptor(ds, descTag, signedInput);
    const dataTag = PALETTE_DATA[c]!;
    const segTag = SEGMENTED_PALETTE_DATA[c]!;
    let entries: Uint16Array;
    if (ds.get(dataTag)?.bytes) entries = lutEntries(ds, dataTag, desc.entries, desc.bits);
    else if (ds.get(segTag)?.bytes)
      entries = expandSegmented(Uint16Array.from(ds.numbers(segTag)), desc.entries);
    else throw new ImagingError('PALETTE COLOR image without Palette Color LUT Data');
    return { firstMapped: desc.firstMapped, bits: desc.bits, entries };
  });
  return luts as [Lut, Lut, Lut];
}

function renderPalette(values: Float64Array, d: FrameLayout, ds: Dataset): Buffer {
  const luts = paletteLuts(ds, d.pixelRepresentation === 1);
  const n = d.rows * d.columns;
  const out = Buffer.alloc(n * 3);
  const scales = luts.map((l) => 255 / (2 ** l.bits - 1));
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++)
      out[i * 3 + c] = Math.min(255, Math.round(lookup(luts[c]!, values[i]!) * scales[c]!));
  return out;
}

// ---- colour -----------------------------------------------------------------------------------------

function renderColour(values: Float64Array, d: FrameLayout, pi: string): Buffer {
  const n = d.rows * d.columns;
  const out = Buffer.alloc(n * 3);
  const top = 2 ** d.bitsStored - 1;
  const to8 = top === 255 ? (v: number) => v : (v: number) => Math.round((Math.max(0, v) * 255) / top);
  const convert = ybrConverter(pi);
  for (let i = 0; i < n; i++) {
    const a = to8(values[i * 3]!);
    const b = to8(values[i * 3 + 1]!);
    const c = to8(values[i * 3 + 2]!);
    const [r, g, bl] = convert ? convert(a, b, c) : [a, b, c];
    out[i * 3] = clamp8(r);
    out[i * 3 + 1] = clamp8(g);
    out[i * 3 + 2] = clamp8(bl);
  }
  return out;
}

type Triple = [number, number, number];

/** YCbCr → RGB (PS3.3 C.7.6.3.1.2): full range for YBR_FULL(_422), video range for YBR_PARTIAL_*. */
function ybrConverter(pi: string): ((y: number, cb: number, cr: number) => Triple) | undefined {
  if (pi === 'YBR_FULL' || pi === 'YBR_FULL_422')
    return (y, cb, cr) => [
      y + 1.402 * (cr - 128),
      y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
      y + 1.772 * (cb - 128),
    ];
  if (pi === 'YBR_PARTIAL_422' || pi === 'YBR_PARTIAL_420')
    return (y, cb, cr) => [
      1.164383 * (y - 16) + 1.596027 * (cr - 128),
      1.164383 * (y - 16) - 0.391762 * (cb - 128) - 0.812968 * (cr - 128),
      1.164383 * (y - 16) + 2.017232 * (cb - 128),
    ];
  if (pi === 'RGB' || pi === 'YBR_ICT' || pi === 'YBR_RCT') return undefined; // codecs give RGB for ICT/RCT
  throw new ImagingError(`cannot render photometric interpretation ${pi}`);
}

function clamp8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

// ---- channel conversion -----------------------------------------------------------------------------

/** Gray as Conquest's mono GIF makes it from colour: the mean of R, G and B. */
export function toGray(image: RenderedImage): RenderedImage {
  if (image.channels === 1) return image;
  const n = image.width * image.height;
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++)
    data[i] = Math.floor((image.data[i * 3]! + image.data[i * 3 + 1]! + image.data[i * 3 + 2]!) / 3);
  return { ...image, channels: 1, data };
}

/** RGB with the gray value in each channel. */
export function toRgb(image: RenderedImage): RenderedImage {
  if (image.channels === 3) return image;
  const n = image.width * image.height;
  const data = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) data.fill(image.data[i]!, i * 3, i * 3 + 3);
  return { ...image, channels: 3, data };
}
