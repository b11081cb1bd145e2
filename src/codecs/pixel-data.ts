/**
 * Pixel Data as the codecs see it: the pixel description read from the header (PS3.3 C.7.6.3), and the
 * bytes of one frame — a slice of native Pixel Data, or a frame assembled from the fragments of
 * encapsulated Pixel Data (PS3.5 A.4). Also the reverse for encoders: frames → fragments with a Basic
 * Offset Table.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Dataset } from '../dicom/dataset.js';
import type { DataElement } from '../dicom/element.js';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import { CodecError, type PixelDescription } from './codec.js';

const SAMPLES_PER_PIXEL = 0x00280002;
const PHOTOMETRIC = 0x00280004;
const PLANAR_CONFIGURATION = 0x00280006;
const NUMBER_OF_FRAMES = 0x00280008;
const ROWS = 0x00280010;
const COLUMNS = 0x00280011;
const BITS_ALLOCATED = 0x00280100;
const BITS_STORED = 0x00280101;
const HIGH_BIT = 0x00280102;
const PIXEL_REPRESENTATION = 0x00280103;
const EXTENDED_OFFSET_TABLE = 0x7fe00001;
const EXTENDED_OFFSET_TABLE_LENGTHS = 0x7fe00002;
const FLOAT_PIXEL_DATA = 0x7fe00008;
const DOUBLE_FLOAT_PIXEL_DATA = 0x7fe00009;
const PIXEL_DATA = 0x7fe00010;

/** Item tag + length in front of every fragment. */
const ITEM_HEADER = 8;
/** Largest even item length (0xFFFFFFFF means undefined length). */
const MAX_FRAGMENT = 0xfffffffe;

// ---- description ------------------------------------------------------------------------------------

/** A number of the header, or undefined when absent/empty; a value that is not a number is a CodecError. */
function headerNumber(ds: Dataset, tag: number, name: string, ts: string): number | undefined {
  let v: number | undefined;
  try {
    v = ds.number(tag);
  } catch (e) {
    throw new CodecError(`${name} cannot be read: ${(e as Error).message}`, ts);
  }
  if (v === undefined) return undefined;
  if (!Number.isInteger(v)) throw new CodecError(`${name} is ${v}, not an integer`, ts);
  return v;
}

function required(ds: Dataset, tag: number, name: string, ts: string): number {
  const v = headerNumber(ds, tag, name, ts);
  if (v === undefined) throw new CodecError(`${name} is missing`, ts);
  return v;
}

function oneOf<T extends number>(v: number, allowed: readonly T[], name: string, ts: string): T {
  if (!(allowed as readonly number[]).includes(v))
    throw new CodecError(`${name} is ${v}; expected ${allowed.join(' or ')}`, ts);
  return v as T;
}

/** The pixel element present: Pixel Data, else Float / Double Float Pixel Data. */
function pixelElement(ds: Dataset): DataElement | undefined {
  return ds.get(PIXEL_DATA) ?? ds.get(FLOAT_PIXEL_DATA) ?? ds.get(DOUBLE_FLOAT_PIXEL_DATA);
}

function isFloatPixels(ds: Dataset): boolean {
  return !ds.has(PIXEL_DATA) && (ds.has(FLOAT_PIXEL_DATA) || ds.has(DOUBLE_FLOAT_PIXEL_DATA));
}

/**
 * The pixel description of a data set, with the standard's defaults where an attribute is absent
 * (Samples per Pixel 1, Bits Stored = Bits Allocated, High Bit = Bits Stored − 1, Pixel Representation 0,
 * Planar Configuration 0, Number of Frames 1) and a CodecError naming the attribute that is missing or
 * impossible. `transferSyntaxUid` only labels the error.
 */
export function describePixels(ds: Dataset, transferSyntaxUid = ''): PixelDescription {
  const ts = transferSyntaxUid;
  const rows = required(ds, ROWS, 'Rows (0028,0010)', ts);
  const columns = required(ds, COLUMNS, 'Columns (0028,0011)', ts);
  if (rows < 1 || rows > 0xffff) throw new CodecError(`Rows (0028,0010) is ${rows}`, ts);
  if (columns < 1 || columns > 0xffff) throw new CodecError(`Columns (0028,0011) is ${columns}`, ts);
  const samplesPerPixel = headerNumber(ds, SAMPLES_PER_PIXEL, 'Samples per Pixel', ts) ?? 1;
  oneOf(samplesPerPixel, [1, 2, 3, 4], 'Samples per Pixel (0028,0002)', ts);
  const float = isFloatPixels(ds);
  const bitsAllocated = required(ds, BITS_ALLOCATED, 'Bits Allocated (0028,0100)', ts);
  oneOf(bitsAllocated, float ? [32, 64] : [1, 8, 16, 32], 'Bits Allocated (0028,0100)', ts);
  // Float Pixel Data has no Bits Stored: every bit of the container is significant.
  const bitsStored = (float ? undefined : headerNumber(ds, BITS_STORED, 'Bits Stored', ts)) ?? bitsAllocated;
  if (bitsStored < 1 || bitsStored > bitsAllocated)
    throw new CodecError(`Bits Stored (0028,0101) is ${bitsStored} with Bits Allocated ${bitsAllocated}`, ts);
  const highBit = (float ? undefined : headerNumber(ds, HIGH_BIT, 'High Bit', ts)) ?? bitsStored - 1;
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated)
    throw new CodecError(
      `High Bit (0028,0102) is ${highBit} with Bits Stored ${bitsStored} and Bits Allocated ${bitsAllocated}`,
      ts,
    );
  const pixelRepresentation = oneOf(
    headerNumber(ds, PIXEL_REPRESENTATION, 'Pixel Representation', ts) ?? 0,
    [0, 1] as const,
    'Pixel Representation (0028,0103)',
    ts,
  );
  const planarConfiguration = oneOf(
    samplesPerPixel > 1 ? (headerNumber(ds, PLANAR_CONFIGURATION, 'Planar Configuration', ts) ?? 0) : 0,
    [0, 1] as const,
    'Planar Configuration (0028,0006)',
    ts,
  );
  const photometricInterpretation =
    ds.string(PHOTOMETRIC)?.trim() || (samplesPerPixel === 1 ? 'MONOCHROME2' : 'RGB');
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation,
    planarConfiguration,
    photometricInterpretation,
    numberOfFrames: frameCount(ds, ts),
  };
}

/** Number of Frames (0028,0008), 1 when absent; a value below 1 is a CodecError. */
export function frameCount(ds: Dataset, transferSyntaxUid = ''): number {
  const n = headerNumber(ds, NUMBER_OF_FRAMES, 'Number of Frames (0028,0008)', transferSyntaxUid) ?? 1;
  if (n < 1) throw new CodecError(`Number of Frames (0028,0008) is ${n}`, transferSyntaxUid);
  return n;
}

/**
 * Bytes of one native frame as stored (before any byte swap). YBR_FULL_422 native stores two samples per
 * pixel (Y Y Cb Cr for each pair); 1-bit frames have a byte length only after rounding up.
 */
export function nativeFrameLength(d: PixelDescription): number {
  return Math.ceil(nativeFrameBits(d) / 8);
}

function nativeFrameBits(d: PixelDescription): number {
  const samples =
    d.photometricInterpretation === 'YBR_FULL_422' && d.samplesPerPixel === 3 ? 2 : d.samplesPerPixel;
  return d.rows * d.columns * samples * d.bitsAllocated;
}

// ---- frames -----------------------------------------------------------------------------------------

/**
 * The bytes of frame `index` (0-based): for a native syntax the slice of Pixel Data as stored (in the data
 * set's byte order — the native codec swaps Big Endian; 1-bit frames realigned to start at bit 0, unused
 * bits of the last byte cleared); for an encapsulated syntax the frame assembled from its fragments.
 */
export function frameBytes(ds: Dataset, index: number, transferSyntaxUid: string): Buffer {
  const ts = transferSyntaxUid;
  const el = pixelElement(ds);
  if (!el) throw new CodecError('the data set has no Pixel Data (7FE0,0010)', ts);
  const frames = frameCount(ds, ts);
  if (!Number.isInteger(index) || index < 0 || index >= frames)
    throw new CodecError(`frame ${index} does not exist: Number of Frames is ${frames}`, ts, index);
  if (el.fragments) return encapsulatedFrame(el.fragments, ds, index, frames, ts);
  const syntax = findTransferSyntax(ts);
  if (syntax?.encapsulated)
    throw new CodecError('Pixel Data is native but the transfer syntax is encapsulated', ts, index);
  return nativeFrame(el, ds, index, ts);
}

/** Every frame, in order (see frameBytes). */
export function allFrameBytes(ds: Dataset, transferSyntaxUid: string): Buffer[] {
  const n = frameCount(ds, transferSyntaxUid);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(frameBytes(ds, i, transferSyntaxUid));
  return out;
}

function nativeFrame(el: DataElement, ds: Dataset, index: number, ts: string): Buffer {
  const d = describePixels(ds, ts);
  const bits = nativeFrameBits(d);
  const startBit = bits * index;
  const start = Math.floor(startBit / 8);
  const end = Math.ceil((startBit + bits) / 8);
  const available = el.bulk ? el.bulk.length : (el.bytes?.length ?? 0);
  if (end > available)
    throw new CodecError(
      `Pixel Data holds ${available} bytes; frame ${index + 1} of ${d.numberOfFrames} needs bytes ${start}..${end}`,
      ts,
      index,
    );
  // 8-bit samples in a Big Endian OW value were swapped as 16-bit words when written: undo it on the whole
  // value, so that the frame is in sample order (frames of odd length would straddle words otherwise).
  const wordSwapped8 = !ds.littleEndian && el.vr === 'OW' && d.bitsAllocated === 8;
  const raw = wordSwapped8 ? swap16Copy(elementBytes(el, 0, available, ts)) : undefined;
  const slice = raw ? raw.subarray(start, end) : elementBytes(el, start, end, ts);
  if (d.bitsAllocated !== 1) return slice;
  return realignBits(slice, startBit % 8, bits);
}

/** Bytes [start, end) of a value, read from the file when the reader left it there (bulk data). */
function elementBytes(el: DataElement, start: number, end: number, ts: string): Buffer {
  if (el.bytes) return el.bytes.subarray(start, end);
  const ref = el.bulk;
  if (!ref?.path) throw new CodecError('Pixel Data was not loaded and has no file to read it from', ts);
  const out = Buffer.allocUnsafe(end - start);
  const fd = openSync(ref.path, 'r');
  try {
    let done = 0;
    while (done < out.length) {
      const n = readSync(fd, out, done, out.length - done, ref.offset + start + done);
      if (n === 0) throw new CodecError(`${ref.path} ends inside Pixel Data`, ts);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

function swap16Copy(b: Buffer): Buffer {
  const even = b.length & ~1;
  const out = Buffer.from(b);
  out.subarray(0, even).swap16();
  return out;
}

/**
 * `bits` bits starting at bit `shift` of `src` (DICOM packs bit 0 of a byte first), moved to start at bit 0
 * of a fresh buffer with the unused high bits of the last byte cleared.
 */
export function realignBits(src: Buffer, shift: number, bits: number): Buffer {
  const n = Math.ceil(bits / 8);
  const out = Buffer.alloc(n);
  if (shift === 0) src.copy(out, 0, 0, n);
  else
    for (let i = 0; i < n; i++) {
      const lo = src[i]! >>> shift;
      const hi = i + 1 < src.length ? (src[i + 1]! << (8 - shift)) & 0xff : 0;
      out[i] = lo | hi;
    }
  const tail = bits % 8;
  if (tail !== 0) out[n - 1] = out[n - 1]! & ((1 << tail) - 1);
  return out;
}

// ---- encapsulated -----------------------------------------------------------------------------------

/** For each frame, the index (into the fragments after the offset table) of its first fragment. */
interface FrameTable {
  readonly starts: number[];
  /** Exact byte lengths from the Extended Offset Table, when it was used. */
  readonly lengths?: number[];
  readonly source: string;
}

function encapsulatedFrame(
  items: readonly Buffer[],
  ds: Dataset,
  index: number,
  frames: number,
  ts: string,
): Buffer {
  if (items.length < 2) throw new CodecError('encapsulated Pixel Data holds no fragments', ts, index);
  const fragments = items.slice(1);
  const table = frameTable(items[0]!, fragments, ds, frames, ts);
  if (index >= table.starts.length)
    throw new CodecError(
      `frame ${index + 1} of ${frames} is not in the Pixel Data: its ${fragments.length} fragment(s) ` +
        `hold only ${table.starts.length} frame(s) (${table.source})`,
      ts,
      index,
    );
  const first = table.starts[index]!;
  const last = index + 1 < table.starts.length ? table.starts[index + 1]! : fragments.length;
  const data = last - first === 1 ? fragments[first]! : Buffer.concat(fragments.slice(first, last));
  const length = table.lengths?.[index];
  if (length === undefined) return data;
  if (length > data.length)
    throw new CodecError(
      `frame ${index + 1}: Extended Offset Table length ${length} exceeds its data`,
      ts,
      index,
    );
  return data.subarray(0, length);
}

/** Byte offset of each fragment's Item tag, counted from the first fragment's (as offset tables count). */
function itemStarts(fragments: readonly Buffer[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const f of fragments) {
    starts.push(at);
    at += ITEM_HEADER + f.length;
  }
  return starts;
}

/** Offsets → fragment indices, or undefined when an offset is not an item start or the order is wrong. */
function offsetsToFragments(offsets: readonly number[], starts: readonly number[]): number[] | undefined {
  const byOffset = new Map(starts.map((s, i) => [s, i]));
  const out: number[] = [];
  for (const off of offsets) {
    const i = byOffset.get(off);
    if (i === undefined || (out.length > 0 && i <= out[out.length - 1]!)) return undefined;
    out.push(i);
  }
  if (out.length > 0 && out[0] !== 0) return undefined;
  return out;
}

/**
 * Where each frame starts, from the most trustworthy source that is consistent: the Extended Offset
 * Table; the Basic Offset Table when its entries are item starts; one frame per fragment when the counts
 * match; the start markers of JPEG / JPEG-LS (SOI) or JPEG 2000 (SOC + SIZ) codestreams. A source that
 * holds fewer frames than Number of Frames is used when nothing better exists: the frames it holds can be
 * read, the others are a CodecError.
 */
function frameTable(
  bot: Buffer,
  fragments: readonly Buffer[],
  ds: Dataset,
  frames: number,
  ts: string,
): FrameTable {
  const starts = itemStarts(fragments);
  const ext = extendedOffsets(ds, starts, ts);
  if (ext && ext.starts.length === frames) return ext;
  if (frames === 1) return { starts: [0], source: 'single frame' };
  const basic = basicOffsets(bot, starts);
  if (basic?.starts.length === frames) return basic;
  if (fragments.length === frames)
    return { starts: fragments.map((_, i) => i), source: 'one fragment per frame' };
  const marked = markerStarts(fragments);
  if (marked.starts.length === frames) return marked;
  const partial = [basic, marked].filter(
    (t): t is FrameTable => t !== undefined && t.starts.length > 0 && t.starts.length < frames,
  );
  if (partial.length > 0) return partial.reduce((a, b) => (b.starts.length > a.starts.length ? b : a));
  throw new CodecError(
    `cannot tell where the ${frames} frames start in ${fragments.length} fragments: no usable offset table ` +
      `and ${marked.starts.length} fragments begin with a codestream marker`,
    ts,
  );
}

function basicOffsets(bot: Buffer, starts: readonly number[]): FrameTable | undefined {
  if (bot.length === 0 || bot.length % 4 !== 0) return undefined;
  const offsets: number[] = [];
  for (let i = 0; i < bot.length; i += 4) offsets.push(bot.readUInt32LE(i));
  const at = offsetsToFragments(offsets, starts);
  return at ? { starts: at, source: 'Basic Offset Table' } : undefined;
}

function extendedOffsets(ds: Dataset, starts: readonly number[], ts: string): FrameTable | undefined {
  if (!ds.has(EXTENDED_OFFSET_TABLE)) return undefined;
  let offsets: bigint[];
  let lengths: bigint[];
  try {
    offsets = ds.bigInts(EXTENDED_OFFSET_TABLE);
    lengths = ds.bigInts(EXTENDED_OFFSET_TABLE_LENGTHS);
  } catch (e) {
    throw new CodecError(`Extended Offset Table cannot be read: ${(e as Error).message}`, ts);
  }
  if (lengths.length !== offsets.length) return undefined;
  const at = offsetsToFragments(offsets.map(Number), starts);
  return at ? { starts: at, lengths: lengths.map(Number), source: 'Extended Offset Table' } : undefined;
}

/** Fragments that begin a JPEG/JPEG-LS (FFD8 FF) or JPEG 2000 (FF4F FF51) codestream. */
function markerStarts(fragments: readonly Buffer[]): FrameTable {
  const starts: number[] = [];
  fragments.forEach((f, i) => {
    const soi = f.length >= 3 && f[0] === 0xff && f[1] === 0xd8 && f[2] === 0xff;
    const soc = f.length >= 4 && f[0] === 0xff && f[1] === 0x4f && f[2] === 0xff && f[3] === 0x51;
    if (soi || soc) starts.push(i);
  });
  // Data before the first marked fragment belongs to no frame: the table would be wrong.
  if (starts.length > 0 && starts[0] !== 0) return { starts: [], source: 'codestream markers' };
  return { starts, source: 'codestream markers' };
}

/**
 * Encapsulates encoded frames (PS3.5 A.4): [Basic Offset Table, fragments...], one fragment per frame
 * (split only if a frame exceeds the largest item), each padded to even length with a zero byte. The
 * offset table is empty when not wanted, or when the offsets would not fit in 32 bits.
 */
export function encapsulate(frames: readonly Buffer[], withOffsetTable: boolean): Buffer[] {
  const fragments: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const frame of frames) {
    offsets.push(at);
    const even = frame.length % 2 === 0 ? frame : Buffer.concat([frame, Buffer.alloc(1)]);
    for (let p = 0; p < even.length || p === 0; p += MAX_FRAGMENT) {
      const piece = even.subarray(p, p + MAX_FRAGMENT);
      fragments.push(piece);
      at += ITEM_HEADER + piece.length;
    }
  }
  const fits = offsets.every((o) => o <= 0xffffffff);
  const bot = Buffer.alloc(withOffsetTable && fits ? offsets.length * 4 : 0);
  if (bot.length > 0) for (const [i, o] of offsets.entries()) bot.writeUInt32LE(o, i * 4);
  return [bot, ...fragments];
}
