/**
 * The VOI transformation to 8 bits (PS3.3 C.11.2.1.2): a window (centre, width, function) or a VOI LUT,
 * chosen in this order: the caller's window; the file's first Window Center/Width pair (0028,1050/1051);
 * the first VOI LUT Sequence item (0028,3010); else automatic — the frame's minimum and maximum after the
 * Modality LUT map to 0 and 255 (LINEAR_EXACT over [min, max]; not a percentile).
 */
import type { Dataset } from '../dicom/dataset.js';
import { ImagingError } from './errors.js';
import { type Lut, lookup, readLut } from './lut.js';

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface Window {
  readonly center: number;
  readonly width: number;
  readonly fn: VoiFunction;
}

export type Voi =
  | { readonly kind: 'window'; readonly window: Window; readonly source: 'caller' | 'file' | 'auto' }
  | { readonly kind: 'lut'; readonly lut: Lut };

const WINDOW_CENTER = 0x00281050;
const WINDOW_WIDTH = 0x00281051;
const VOI_LUT_FUNCTION = 0x00281056;
const VOI_LUT_SEQUENCE = 0x00283010;
const LUT_DESCRIPTOR = 0x00283002;
const LUT_DATA = 0x00283006;

/** The VOI LUT Function (0028,1056); LINEAR when absent or unknown. */
export function voiFunction(ds: Dataset): VoiFunction {
  const f = ds.string(VOI_LUT_FUNCTION)?.trim().toUpperCase();
  return f === 'LINEAR_EXACT' || f === 'SIGMOID' ? f : 'LINEAR';
}

/**
 * 8-bit output of a window for a (modality-transformed) value x, exactly PS3.3 C.11.2.1.2.1 (LINEAR),
 * C.11.2.1.3.2 (LINEAR_EXACT) and C.11.2.1.3.1 (SIGMOID) with ymin 0 and ymax 255, rounded to nearest.
 */
export function applyWindow(x: number, w: Window): number {
  const { center: c, width } = w;
  let y: number;
  if (w.fn === 'SIGMOID') {
    y = 255 / (1 + Math.exp((-4 * (x - c)) / width));
  } else if (w.fn === 'LINEAR_EXACT') {
    if (x <= c - width / 2) y = 0;
    else if (x > c + width / 2) y = 255;
    else y = ((x - c) / width + 0.5) * 255;
  } else {
    if (x <= c - 0.5 - (width - 1) / 2) y = 0;
    else if (x > c - 0.5 + (width - 1) / 2) y = 255;
    else y = ((x - (c - 0.5)) / (width - 1) + 0.5) * 255;
  }
  return Math.min(255, Math.max(0, Math.round(y)));
}

/** Rejects windows the standard forbids (LINEAR needs width ≥ 1, the others width > 0). */
export function checkWindow(w: Window): Window {
  if (!Number.isFinite(w.center) || !Number.isFinite(w.width))
    throw new ImagingError(`window ${w.center}/${w.width} is not a number`);
  if (w.fn === 'LINEAR' ? w.width < 1 : w.width <= 0)
    throw new ImagingError(`window width ${w.width} is not allowed for ${w.fn} (PS3.3 C.11.2.1.2)`);
  return w;
}

/** The file's first Window Center / Width pair, or undefined. */
export function fileWindow(ds: Dataset): Window | undefined {
  let centers: number[];
  let widths: number[];
  try {
    centers = ds.numbers(WINDOW_CENTER);
    widths = ds.numbers(WINDOW_WIDTH);
  } catch {
    return undefined; // unreadable values: as if absent
  }
  const c = centers[0];
  const w = widths[0];
  if (c === undefined || w === undefined || !Number.isFinite(c) || !Number.isFinite(w)) return undefined;
  const fn = voiFunction(ds);
  if (fn === 'LINEAR' ? w < 1 : w <= 0) return undefined;
  return { center: c, width: w, fn };
}

/** The first VOI LUT Sequence item's LUT, or undefined. */
export function fileVoiLut(ds: Dataset, signedInput: boolean): Lut | undefined {
  const item = ds.sequence(VOI_LUT_SEQUENCE)[0];
  if (!item?.has(LUT_DESCRIPTOR) || !item.has(LUT_DATA)) return undefined;
  return readLut(item, LUT_DESCRIPTOR, LUT_DATA, signedInput);
}

/** Automatic window over [min, max]: min → 0, max → 255. */
export function autoWindow(min: number, max: number): Window {
  if (max <= min) return { center: min, width: 1, fn: 'LINEAR_EXACT' };
  return { center: (min + max) / 2, width: max - min, fn: 'LINEAR_EXACT' };
}

/** 8-bit output of a VOI LUT: the entry scaled from its bit depth to 0..255. */
export function applyVoiLut(x: number, lut: Lut): number {
  const top = 2 ** lut.bits - 1;
  return Math.min(255, Math.max(0, Math.round((lookup(lut, x) / top) * 255)));
}
