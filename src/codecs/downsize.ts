/**
 * Downsizing for Conquest's "k1".."kc" compression modes (k1 1024, k2 512, k4 256, k8 128, ka 64, kb 32,
 * kc 16 pixels). Behaviour taken from MaybeDownsize / TestDownsize in Conquest's nkiqrsop.cpp (no code
 * taken from it):
 * - nothing happens unless Rows or Columns exceeds the size;
 * - one integer factor for both directions: f = ceil(larger of Rows/Columns ÷ size);
 * - new Rows = floor(Rows ÷ f), new Columns = floor(Columns ÷ f), each at least 1;
 * - decimation, not averaging: output pixel (r, c) is input pixel (r·f, c·f), every sample copied whole;
 * - Rows, Columns and Pixel Spacing (0028,0030) change, printed with C's "%g" of a float computation.
 * Differences from Conquest, deliberate: multi-frame images are downsized frame by frame (Conquest
 * refuses them); an image without Pixel Spacing is still downsized (Conquest then silently leaves it
 * alone); the two Pixel Spacing values are scaled each by its own direction (row spacing by Rows, column
 * spacing by Columns — Conquest writes them swapped, which only matters for non-square pixels) and Imager
 * Pixel Spacing (0018,1164) is scaled the same way (Conquest leaves it, making CR/DX measurements wrong).
 */
import type { Dataset } from '../dicom/dataset.js';
import { DataElement } from '../dicom/element.js';
import { CodecError, type PixelDescription } from './codec.js';
import { NKI_PIXEL_TAG, nkiDecompressDataset } from './nki.js';

const PIXEL_DATA = 0x7fe00010;
const NAME = 'downsize';

/** The factor and size Conquest's MaybeDownsize picks; factor 1 means the image is small enough. */
export function downsizeGeometry(
  rows: number,
  columns: number,
  maxSize: number,
): { factor: number; rows: number; columns: number } {
  if (!Number.isInteger(maxSize) || maxSize < 1)
    throw new CodecError(`downsize size ${maxSize} is not a positive integer`, NAME);
  if (rows <= maxSize && columns <= maxSize) return { factor: 1, rows, columns };
  const factor = Math.ceil(Math.max(rows, columns) / maxSize);
  return {
    factor,
    rows: Math.max(1, Math.floor(rows / factor)),
    columns: Math.max(1, Math.floor(columns / factor)),
  };
}

/** Decimates one native frame so that neither side exceeds `maxSize`. Returns the input when small enough. */
export function downsizeFrame(
  pixels: Buffer,
  description: PixelDescription,
  maxSize: number,
): { pixels: Buffer; description: PixelDescription } {
  const d = description;
  if (d.bitsAllocated !== 8 && d.bitsAllocated !== 16 && d.bitsAllocated !== 32)
    throw new CodecError(`cannot downsize ${d.bitsAllocated}-bit pixels (8, 16 or 32 only)`, NAME);
  if (d.samplesPerPixel !== 1 && d.samplesPerPixel !== 3)
    throw new CodecError(`cannot downsize ${d.samplesPerPixel} samples per pixel (1 or 3 only)`, NAME);
  const g = downsizeGeometry(d.rows, d.columns, maxSize);
  if (g.factor === 1) return { pixels, description };
  const bytes = d.bitsAllocated / 8;
  const spp = d.samplesPerPixel;
  const planar = spp > 1 && d.planarConfiguration === 1;
  const need = d.rows * d.columns * spp * bytes;
  if (pixels.length < need) throw new CodecError(`frame has ${pixels.length} bytes, ${need} expected`, NAME);
  const out = Buffer.alloc(g.rows * g.columns * spp * bytes);
  // Planar: each sample plane decimated on its own; interleaved: a pixel's samples move together.
  const planes = planar ? spp : 1;
  const unit = planar ? bytes : bytes * spp;
  const inPlane = d.rows * d.columns * unit;
  const outPlane = g.rows * g.columns * unit;
  for (let p = 0; p < planes; p++) {
    for (let r = 0; r < g.rows; r++) {
      const srcRow = p * inPlane + r * g.factor * d.columns * unit;
      const dstRow = p * outPlane + r * g.columns * unit;
      for (let c = 0; c < g.columns; c++) {
        const s = srcRow + c * g.factor * unit;
        pixels.copy(out, dstRow + c * unit, s, s + unit);
      }
    }
  }
  return { pixels: out, description: { ...d, rows: g.rows, columns: g.columns } };
}

/** C printf "%g": 6 significant digits, trailing zeros dropped, exponent form outside 1e-4..1e6. */
export function formatG(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? '0' : String(x);
  const [mant, expText] = x.toExponential(5).split('e') as [string, string];
  const exp = Number(expText);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 6)
    return `${trim(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(x.toFixed(5 - exp));
}

/** old spacing × old count ÷ new count, in float as Conquest computes it. */
function scaled(spacing: number, oldCount: number, newCount: number): string {
  const f = Math.fround;
  return formatG(f(f(oldCount * f(spacing)) / newCount));
}

function rescaleSpacing(ds: Dataset, keyword: string, from: PixelDescription, to: PixelDescription): void {
  const values = ds.strings(keyword).map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) return;
  const row = scaled(values[0]!, from.rows, to.rows);
  const text = values.length > 1 ? [row, scaled(values[1]!, from.columns, to.columns)] : [row];
  ds.setStrings(keyword, text, 'DS');
}

export type DownsizeResult =
  | { readonly changed: true; readonly rows: number; readonly columns: number; readonly factor: number }
  | { readonly changed: false; readonly reason: string };

function describe(ds: Dataset): PixelDescription | string {
  const rows = ds.number('Rows') ?? 0;
  const columns = ds.number('Columns') ?? 0;
  if (!rows || !columns) return 'no Rows/Columns';
  const frames = Math.max(1, Math.trunc(Number(ds.string('NumberOfFrames') ?? '1')) || 1);
  return {
    rows,
    columns,
    samplesPerPixel: ds.number('SamplesPerPixel') ?? 1,
    bitsAllocated: ds.number('BitsAllocated') ?? 16,
    bitsStored: ds.number('BitsStored') ?? 16,
    highBit: ds.number('HighBit') ?? 15,
    pixelRepresentation: ds.number('PixelRepresentation') === 1 ? 1 : 0,
    planarConfiguration: ds.number('PlanarConfiguration') === 1 ? 1 : 0,
    photometricInterpretation: ds.string('PhotometricInterpretation') ?? '',
    numberOfFrames: frames,
  };
}

/**
 * Downsizes native Pixel Data in place (every frame) and updates Rows, Columns, Pixel Spacing and Imager
 * Pixel Spacing. NKI-compressed pixels are decompressed first (as Conquest's DecompressImage does);
 * encapsulated pixels must be decoded by the caller, they are left with a reason.
 */
export function downsizeDataset(ds: Dataset, maxSize: number): DownsizeResult {
  const d = describe(ds);
  if (typeof d === 'string') return { changed: false, reason: d };
  const g = downsizeGeometry(d.rows, d.columns, maxSize);
  if (g.factor === 1) return { changed: false, reason: `already at most ${maxSize} pixels wide and high` };
  if (ds.has(NKI_PIXEL_TAG)) nkiDecompressDataset(ds);
  const el = ds.get(PIXEL_DATA);
  if (!el) return { changed: false, reason: 'no Pixel Data' };
  if (!el.hasBytes || el.undefinedLength)
    return { changed: false, reason: 'Pixel Data is encapsulated: decode it first' };
  const bytes = el.bytes ?? Buffer.alloc(0);
  const frameSize = d.rows * d.columns * d.samplesPerPixel * (d.bitsAllocated / 8);
  if (d.bitsAllocated % 8 !== 0)
    return { changed: false, reason: `${d.bitsAllocated}-bit pixels are not downsized` };
  if (bytes.length < frameSize * d.numberOfFrames)
    return {
      changed: false,
      reason: `Pixel Data has ${bytes.length} bytes, ${frameSize * d.numberOfFrames} expected`,
    };
  const parts: Buffer[] = [];
  let to = d;
  for (let f = 0; f < d.numberOfFrames; f++) {
    const r = downsizeFrame(bytes.subarray(f * frameSize, (f + 1) * frameSize), d, maxSize);
    parts.push(r.pixels);
    to = r.description;
  }
  let value = Buffer.concat(parts);
  if (value.length % 2) value = Buffer.concat([value, Buffer.alloc(1)]);
  ds.set(DataElement.ofBytes(PIXEL_DATA, el.vr, value));
  ds.setNumbers('Rows', to.rows, 'US');
  ds.setNumbers('Columns', to.columns, 'US');
  rescaleSpacing(ds, 'PixelSpacing', d, to);
  rescaleSpacing(ds, 'ImagerPixelSpacing', d, to);
  return { changed: true, rows: to.rows, columns: to.columns, factor: g.factor };
}
