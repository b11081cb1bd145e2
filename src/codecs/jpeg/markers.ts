/**
 * JPEG marker segments (ITU-T T.81 B.1-B.2): walks a stream from SOI to EOI and collects the frame header
 * and, for every scan, its header, the tables in force and where its entropy-coded data lies. Decoders of
 * each process (lossless, DCT) work from this description; nothing here decodes entropy data.
 */
import { fail } from './errors.js';
import { buildHuffmanTable, type HuffmanTable } from './huffman.js';

export const SOI = 0xd8;
export const EOI = 0xd9;
export const SOS = 0xda;
export const DHT = 0xc4;
export const DQT = 0xdb;
export const DRI = 0xdd;
export const DNL = 0xdc;
export const DAC = 0xcc;

export interface FrameComponent {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly tq: number;
}

export interface FrameHeader {
  /** The SOFn marker's second byte: 0xc0-0xc3 Huffman sequential/progressive/lossless, etc. */
  readonly marker: number;
  readonly precision: number;
  readonly lines: number;
  readonly samplesPerLine: number;
  readonly components: readonly FrameComponent[];
  readonly offset: number;
}

export interface ScanComponent {
  /** Index into the frame's components. */
  readonly index: number;
  readonly td: number;
  readonly ta: number;
}

export interface Scan {
  readonly components: readonly ScanComponent[];
  /** Ss: start of spectral selection, or the lossless predictor (selection value). */
  readonly ss: number;
  readonly se: number;
  readonly ah: number;
  /** Al: successive approximation bit, or the lossless point transform. */
  readonly al: number;
  readonly restartInterval: number;
  readonly dcTables: readonly (HuffmanTable | undefined)[];
  readonly acTables: readonly (HuffmanTable | undefined)[];
  /** Quantization tables in natural (not zig-zag) order. */
  readonly quantTables: readonly (Uint16Array | undefined)[];
  /** Entropy-coded data: [start, end) in the stream, RSTn markers included. */
  readonly start: number;
  readonly end: number;
}

export interface JpegStream {
  readonly frame: FrameHeader;
  readonly scans: readonly Scan[];
}

/** Zig-zag index → natural (row-major) index (T.81 Figure A.6). */
export const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
]);

interface TableState {
  dc: (HuffmanTable | undefined)[];
  ac: (HuffmanTable | undefined)[];
  quant: (Uint16Array | undefined)[];
  restartInterval: number;
}

class SegmentReader {
  constructor(
    private readonly data: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  u8(): number {
    if (this.pos >= this.end) fail('marker segment shorter than its contents', this.pos);
    return this.data[this.pos++]!;
  }

  u16(): number {
    return (this.u8() << 8) | this.u8();
  }

  get remaining(): number {
    return this.end - this.pos;
  }
}

function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== DHT && marker !== DAC && marker !== 0xc8;
}

function readFrame(r: SegmentReader, marker: number, offset: number): FrameHeader {
  const precision = r.u8();
  const lines = r.u16();
  const samplesPerLine = r.u16();
  const n = r.u8();
  if (n < 1 || n > 4) fail(`frame header has ${n} components`, offset);
  const components: FrameComponent[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.u8();
    const hv = r.u8();
    const tq = r.u8();
    const h = hv >> 4;
    const v = hv & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) fail(`component ${id} has sampling factors ${h}x${v}`, offset);
    components.push({ id, h, v, tq });
  }
  if (lines === 0) fail('number of lines 0 (DNL marker) is not supported', offset);
  if (samplesPerLine === 0) fail('frame has 0 samples per line', offset);
  return { marker, precision, lines, samplesPerLine, components, offset };
}

function readHuffmanTables(r: SegmentReader, state: TableState, offset: number): void {
  while (r.remaining > 0) {
    const tcth = r.u8();
    const tc = tcth >> 4;
    const th = tcth & 15;
    if (tc > 1 || th > 3) fail(`Huffman table class ${tc} / id ${th} out of range`, offset);
    const counts = new Uint8Array(16);
    let total = 0;
    for (let i = 0; i < 16; i++) {
      counts[i] = r.u8();
      total += counts[i]!;
    }
    if (total > 256) fail(`Huffman table with ${total} codes`, offset);
    const symbols = new Uint8Array(total);
    for (let i = 0; i < total; i++) symbols[i] = r.u8();
    const table = buildHuffmanTable(counts, symbols, offset);
    if (tc === 0) state.dc[th] = table;
    else state.ac[th] = table;
  }
}

function readQuantTables(r: SegmentReader, state: TableState, offset: number): void {
  while (r.remaining > 0) {
    const pqtq = r.u8();
    const pq = pqtq >> 4;
    const tq = pqtq & 15;
    if (pq > 1 || tq > 3) fail(`quantization table precision ${pq} / id ${tq} out of range`, offset);
    const table = new Uint16Array(64);
    for (let i = 0; i < 64; i++) table[ZIGZAG[i]!] = pq === 0 ? r.u8() : r.u16();
    state.quant[tq] = table;
  }
}

function readScanHeader(r: SegmentReader, frame: FrameHeader, offset: number) {
  const n = r.u8();
  if (n < 1 || n > 4) fail(`scan header has ${n} components`, offset);
  const components: ScanComponent[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.u8();
    const t = r.u8();
    const index = frame.components.findIndex((c) => c.id === id);
    if (index < 0) fail(`scan names component ${id}, absent from the frame header`, offset);
    components.push({ index, td: t >> 4, ta: t & 15 });
  }
  const ss = r.u8();
  const se = r.u8();
  const a = r.u8();
  return { components, ss, se, ah: a >> 4, al: a & 15 };
}

/** Where the entropy-coded data starting at `pos` ends: the first marker other than RSTn (or the end). */
function entropyEnd(data: Buffer, pos: number): number {
  let i = pos;
  while (i < data.length - 1) {
    if (data[i] !== 0xff) {
      i++;
      continue;
    }
    const next = data[i + 1]!;
    if (next === 0 || (next >= 0xd0 && next <= 0xd7)) i += 2;
    else if (next === 0xff) i++;
    else return i;
  }
  return data.length;
}

/** Parses the marker structure of a JPEG stream (one frame, non-hierarchical). */
export function parseJpeg(data: Buffer): JpegStream {
  if (data.length < 2 || data[0] !== 0xff || data[1] !== SOI) fail('missing SOI marker (FFD8)', 0);
  const state: TableState = { dc: [], ac: [], quant: [], restartInterval: 0 };
  let frame: FrameHeader | undefined;
  const scans: Scan[] = [];
  let pos = 2;
  while (pos < data.length) {
    if (data[pos] !== 0xff) fail(`expected a marker, found 0x${data[pos]!.toString(16)}`, pos);
    const marker = data[pos + 1];
    if (marker === undefined) fail('stream ends inside a marker', pos);
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === EOI) break;
    if (marker === SOI || (marker >= 0xd0 && marker <= 0xd7)) fail(`unexpected marker FF${hex(marker)}`, pos);
    if (pos + 4 > data.length) fail('stream ends inside a marker segment', pos);
    const length = data.readUInt16BE(pos + 2);
    const segEnd = pos + 2 + length;
    if (length < 2 || segEnd > data.length)
      fail(`marker FF${hex(marker)} segment length ${length} overruns`, pos);
    const r = new SegmentReader(data, pos + 4, segEnd);
    if (isSof(marker)) {
      if (frame) fail('second frame header (hierarchical JPEG is not supported)', pos);
      frame = readFrame(r, marker, pos);
    } else if (marker === DHT) readHuffmanTables(r, state, pos);
    else if (marker === DQT) readQuantTables(r, state, pos);
    else if (marker === DRI) state.restartInterval = r.u16();
    else if (marker === DNL) fail('DNL marker is not supported', pos);
    else if (marker === DAC) fail('arithmetic coding is not supported', pos);
    else if (marker === SOS) {
      if (!frame) fail('scan before the frame header', pos);
      const header = readScanHeader(r, frame, pos);
      const end = entropyEnd(data, segEnd);
      scans.push({
        ...header,
        restartInterval: state.restartInterval,
        dcTables: [...state.dc],
        acTables: [...state.ac],
        quantTables: [...state.quant],
        start: segEnd,
        end,
      });
      pos = end;
      continue;
    }
    pos = segEnd;
  }
  if (!frame) fail('no frame header (SOFn) found', data.length);
  if (scans.length === 0) fail('no scan (SOS) found', data.length);
  return { frame, scans };
}

export function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}
