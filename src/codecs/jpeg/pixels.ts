/** Between DICOM native pixel buffers (codec.ts layout) and per-component sample planes. */
import type { PixelDescription } from '../codec.js';
import { fail } from './errors.js';

/** Bits below the stored value inside its container (High Bit + 1 − Bits Stored). */
function shiftOf(d: PixelDescription): number {
  return Math.max(0, d.highBit + 1 - d.bitsStored);
}

function checkContainer(d: PixelDescription): void {
  if (d.bitsAllocated !== 8 && d.bitsAllocated !== 16)
    fail(`Bits Allocated ${d.bitsAllocated} not supported`, 0);
}

/** Splits native pixels into planes of Bits Stored bit patterns (signed values as their bit pattern). */
export function toPlanes(pixels: Buffer, d: PixelDescription): Uint16Array[] {
  checkContainer(d);
  const n = d.rows * d.columns;
  const spp = d.samplesPerPixel;
  const bytes = d.bitsAllocated / 8;
  if (pixels.length < n * spp * bytes)
    fail(`native frame has ${pixels.length} bytes, needs ${n * spp * bytes}`, 0);
  const shift = shiftOf(d);
  const mask = (1 << d.bitsStored) - 1;
  const planar = spp > 1 && d.planarConfiguration === 1;
  const planes: Uint16Array[] = [];
  for (let c = 0; c < spp; c++) {
    const p = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const s = planar ? c * n + i : i * spp + c;
      const raw = bytes === 1 ? pixels[s]! : pixels.readUInt16LE(s * 2);
      p[i] = (raw >> shift) & mask;
    }
    planes.push(p);
  }
  return planes;
}

/** Joins decoded planes into interleaved native pixels (planar configuration 0). */
export function fromPlanes(planes: readonly Uint16Array[], d: PixelDescription): Buffer {
  checkContainer(d);
  const n = d.rows * d.columns;
  const spp = planes.length;
  const bytes = d.bitsAllocated / 8;
  const out = Buffer.alloc(n * spp * bytes);
  const shift = shiftOf(d);
  if (bytes === 1) {
    for (let c = 0; c < spp; c++) {
      const p = planes[c]!;
      for (let i = 0; i < n; i++) out[i * spp + c] = (p[i]! << shift) & 0xff;
    }
    return out;
  }
  // 16-bit samples through a typed view (DICOM native is little endian, as is every host Node runs on
  // here; Buffer.alloc of a frame is never a slice of the shared pool, so the view is aligned).
  const view = new Uint16Array(out.buffer, out.byteOffset, n * spp);
  if (spp === 1 && shift === 0) {
    view.set(planes[0]!);
    return out;
  }
  for (let c = 0; c < spp; c++) {
    const p = planes[c]!;
    for (let i = 0; i < n; i++) view[i * spp + c] = (p[i]! << shift) & 0xffff;
  }
  return out;
}

/** libjpeg's integer YCbCr → RGB (jdcolor.c), for `precision`-bit samples, in place. */
export function ycbcrToRgb(planes: Uint16Array[], precision: number): void {
  const max = (1 << precision) - 1;
  const center = 1 << (precision - 1);
  const fix = (x: number) => Math.round(x * 65536);
  const half = 1 << 15;
  const clamp = (v: number) => (v < 0 ? 0 : Math.min(v, max));
  const [yp, cbp, crp] = planes as [Uint16Array, Uint16Array, Uint16Array];
  for (let i = 0; i < yp.length; i++) {
    const y = yp[i]!;
    const cb = cbp[i]! - center;
    const cr = crp[i]! - center;
    yp[i] = clamp(y + ((fix(1.402) * cr + half) >> 16));
    cbp[i] = clamp(y + ((-fix(0.34414) * cb + half - fix(0.71414) * cr) >> 16));
    crp[i] = clamp(y + ((fix(1.772) * cb + half) >> 16));
  }
}
