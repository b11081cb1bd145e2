/**
 * Lookup tables as the header gives them (PS3.3 C.11.1 Modality LUT, C.11.2 VOI LUT, C.7.6.3.1.5/6 Palette
 * Color LUTs, C.7.9.2 Segmented Palette Color LUT): a descriptor [entries, first mapped value, bits per
 * entry] and the entries.
 */
import type { Dataset } from '../dicom/dataset.js';
import { ImagingError } from './errors.js';

export interface Lut {
  /** Input value of entries[0]. */
  readonly firstMapped: number;
  /** Bits per entry (8 or 16; other values as the descriptor says). */
  readonly bits: number;
  readonly entries: Uint16Array;
}

/** Reads a descriptor; `signedInput` makes a US first-mapped value ≥ 32768 negative (signed pixels). */
export function readDescriptor(
  ds: Dataset,
  tag: number,
  signedInput: boolean,
): { entries: number; firstMapped: number; bits: number } {
  const v = ds.numbers(tag);
  if (v.length < 3)
    throw new ImagingError(`LUT descriptor ${tagText(tag)} has ${v.length} values, 3 expected`);
  const entries = v[0] === 0 ? 65536 : v[0]!;
  let firstMapped = v[1]!;
  if (signedInput && firstMapped >= 0x8000) firstMapped -= 0x10000;
  const bits = v[2]!;
  if (bits < 1 || bits > 16)
    throw new ImagingError(`LUT descriptor ${tagText(tag)} says ${bits} bits per entry`);
  return { entries, firstMapped, bits };
}

/** A LUT from a descriptor and its data element (in `ds`, e.g. a Modality or VOI LUT Sequence item). */
export function readLut(ds: Dataset, descriptorTag: number, dataTag: number, signedInput: boolean): Lut {
  const d = readDescriptor(ds, descriptorTag, signedInput);
  const el = ds.get(dataTag);
  if (!el?.bytes) throw new ImagingError(`LUT data ${tagText(dataTag)} is missing`);
  return { firstMapped: d.firstMapped, bits: d.bits, entries: lutEntries(ds, dataTag, d.entries, d.bits) };
}

/**
 * The entries of LUT data. 16-bit entries are words. 8-bit entries come two ways in practice: packed two
 * per word (the data is n bytes long), or one per word (2n bytes; the value in the low byte, or in the
 * high byte for writers that left-aligned it).
 */
export function lutEntries(ds: Dataset, dataTag: number, n: number, bits: number): Uint16Array {
  const el = ds.get(dataTag);
  const bytes = el?.bytes;
  if (!el || !bytes) throw new ImagingError(`LUT data ${tagText(dataTag)} is missing`);
  const out = new Uint16Array(n);
  if (bits <= 8 && (el.vr === 'OB' || bytes.length === n || bytes.length === n + 1)) {
    // Packed bytes: in a big-endian data set the words were swapped when written, so undo per word.
    const packed = el.vr !== 'OB' && !ds.littleEndian ? swapWords(bytes) : bytes;
    for (let i = 0; i < n; i++) out[i] = packed[i] ?? 0;
    return out;
  }
  if (bytes.length < n * 2)
    throw new ImagingError(`LUT data ${tagText(dataTag)} has ${bytes.length} bytes for ${n} entries`);
  const word = (i: number): number =>
    ds.littleEndian ? bytes.readUInt16LE(i * 2) : bytes.readUInt16BE(i * 2);
  let max = 0;
  for (let i = 0; i < n; i++) {
    out[i] = word(i);
    if (out[i]! > max) max = out[i]!;
  }
  if (bits <= 8 && max > 255) for (let i = 0; i < n; i++) out[i] = out[i]! >>> 8;
  return out;
}

function swapWords(b: Buffer): Buffer {
  const out = Buffer.from(b);
  out.subarray(0, out.length & ~1).swap16();
  return out;
}

/** The entry for input `x`: clamped to the first / last entry outside the table (PS3.3 C.11.1.1). */
export function lookup(lut: Lut, x: number): number {
  const i = Math.round(x) - lut.firstMapped;
  if (i <= 0) return lut.entries[0]!;
  if (i >= lut.entries.length) return lut.entries[lut.entries.length - 1]!;
  return lut.entries[i]!;
}

/**
 * Expands a Segmented Palette Color LUT (PS3.3 C.7.9.2): discrete segments (opcode 0), linear segments
 * (1: from the previous value to y1 over n entries) and indirect segments (2: replay n segments found at a
 * word offset). `n` is the descriptor's number of entries.
 */
export function expandSegmented(words: Uint16Array, n: number): Uint16Array {
  const out: number[] = [];
  const run = (start: number, end: number, depth: number): void => {
    if (depth > 4) throw new ImagingError('segmented LUT: indirect segments nest too deep');
    let i = start;
    while (i < end && out.length < n) {
      const op = words[i]!;
      const len = words[i + 1] ?? 0;
      if (op === 0) {
        for (let k = 0; k < len; k++) out.push(words[i + 2 + k] ?? 0);
        i += 2 + len;
      } else if (op === 1) {
        if (out.length === 0) throw new ImagingError('segmented LUT starts with a linear segment');
        const y0 = out[out.length - 1]!;
        const y1 = words[i + 2] ?? 0;
        for (let k = 1; k <= len; k++) out.push(Math.round(y0 + ((y1 - y0) * k) / len));
        i += 3;
      } else if (op === 2) {
        const offset = (words[i + 2] ?? 0) | ((words[i + 3] ?? 0) << 16);
        runSegments(offset, len, depth);
        i += 4;
      } else throw new ImagingError(`segmented LUT: unknown segment type ${op}`);
    }
  };
  const runSegments = (offset: number, count: number, depth: number): void => {
    let at = offset;
    for (let s = 0; s < count; s++) {
      const next = segmentEnd(words, at);
      run(at, next, depth + 1);
      at = next;
    }
  };
  run(0, words.length, 0);
  const table = new Uint16Array(n);
  for (let i = 0; i < n; i++) table[i] = out[Math.min(i, out.length - 1)] ?? 0;
  return table;
}

function segmentEnd(words: Uint16Array, at: number): number {
  const op = words[at]!;
  if (op === 0) return at + 2 + (words[at + 1] ?? 0);
  if (op === 1) return at + 3;
  return at + 4;
}

function tagText(tag: number): string {
  const h = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}
