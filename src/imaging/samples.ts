/**
 * Stored pixel values of one decoded native frame (src/codecs/codec.ts: little-endian samples in Bits
 * Allocated containers), as integers: shifted so that Bits Stored ends at bit 0 (High Bit may sit higher),
 * masked to Bits Stored, sign-extended when Pixel Representation is 1, and interleaved whatever the planar
 * configuration. Native YBR_FULL_422 (two Y, one Cb, one Cr per pixel pair) is expanded to three samples.
 */
import type { PixelDescription } from '../codecs/codec.js';
import { ImagingError } from './errors.js';

export interface FrameLayout extends PixelDescription {
  /** The decoded frame's photometric interpretation (a codec may have changed it, e.g. YBR → RGB). */
  readonly photometricInterpretation: string;
  readonly planarConfiguration: 0 | 1;
  /** Float (32-bit) or Double Float (64-bit) Pixel Data: samples are IEEE numbers, not integers. */
  readonly floatingPoint?: boolean;
}

/** rows × columns × samplesPerPixel values, interleaved. */
export function storedValues(pixels: Buffer, d: FrameLayout): Float64Array {
  if (d.photometricInterpretation === 'YBR_FULL_422' && d.samplesPerPixel === 3 && isSubsampled(pixels, d))
    return expand422(pixels, d);
  const n = d.rows * d.columns;
  const spp = d.samplesPerPixel;
  const count = n * spp;
  const out = new Float64Array(count);
  const read = sampleReader(pixels, d, count);
  const planar = spp > 1 && d.planarConfiguration === 1;
  for (let i = 0; i < count; i++) {
    const p = Math.floor(i / spp);
    const s = i % spp;
    out[i] = read(planar ? s * n + p : i);
  }
  return out;
}

/** Native 422 keeps 2 samples per pixel; a codec may already have given 3 (then it is not subsampled). */
function floatReader(pixels: Buffer, ba: number, count: number): (i: number) => number {
  if (pixels.length < count * (ba / 8))
    throw new ImagingError(`decoded frame has ${pixels.length} bytes; ${count * (ba / 8)} expected`);
  if (ba === 32) return (i) => pixels.readFloatLE(i * 4);
  if (ba === 64) return (i) => pixels.readDoubleLE(i * 8);
  throw new ImagingError(`float pixels of ${ba} bits (32 or 64 only)`);
}

function isSubsampled(pixels: Buffer, d: FrameLayout): boolean {
  const bytes = d.bitsAllocated / 8;
  return pixels.length < d.rows * d.columns * 3 * bytes;
}

function expand422(pixels: Buffer, d: FrameLayout): Float64Array {
  const n = d.rows * d.columns;
  const read = sampleReader(pixels, d, n * 2);
  const out = new Float64Array(n * 3);
  // Each pair of pixels in a row is stored as Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2); an odd row end pairs across.
  for (let p = 0; p < n; p += 2) {
    const base = p * 2;
    const y1 = read(base);
    const y2 = p + 1 < n ? read(base + 1) : y1;
    const cb = read(base + 2);
    const cr = read(base + 3);
    out.set([y1, cb, cr], p * 3);
    if (p + 1 < n) out.set([y2, cb, cr], (p + 1) * 3);
  }
  return out;
}

/** A function giving stored value number `i` of the frame (container order). */
function sampleReader(pixels: Buffer, d: FrameLayout, count: number): (i: number) => number {
  const ba = d.bitsAllocated;
  if (d.floatingPoint) return floatReader(pixels, ba, count);
  const shift = d.highBit + 1 - d.bitsStored;
  const bits = d.bitsStored;
  const signed = d.pixelRepresentation === 1;
  const need = ba === 1 ? Math.ceil(count / 8) : count * (ba / 8);
  if (pixels.length < need)
    throw new ImagingError(`decoded frame has ${pixels.length} bytes; ${need} expected`);
  const finish = (raw: number): number => {
    const v = bits >= 32 ? raw >>> shift : (raw >>> shift) & (2 ** bits - 1);
    return signed && bits < 32 && v >= 2 ** (bits - 1) ? v - 2 ** bits : signed && bits >= 32 ? v | 0 : v;
  };
  switch (ba) {
    case 1:
      return (i) => (pixels[i >>> 3]! >>> (i & 7)) & 1;
    case 8:
      return (i) => finish(pixels[i]!);
    case 16:
      return (i) => finish(pixels.readUInt16LE(i * 2));
    case 32:
      return (i) => finish(pixels.readUInt32LE(i * 4));
    default:
      throw new ImagingError(`cannot render ${ba}-bit pixels (1, 8, 16 or 32 only)`);
  }
}
