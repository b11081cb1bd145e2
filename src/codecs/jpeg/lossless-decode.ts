/**
 * JPEG lossless decoding (T.81 Annex H, process 14): Huffman-coded differences from one of seven
 * predictors, point transform, precision 2..16, one interleaved scan or one scan per component.
 */
import { BitReader } from './bits.js';
import { fail } from './errors.js';
import type { HuffmanTable } from './huffman.js';
import type { FrameHeader, JpegStream, Scan } from './markers.js';

/** Decoded samples, one plane per component, values already shifted back by the point transform. */
export interface LosslessImage {
  readonly width: number;
  readonly height: number;
  readonly precision: number;
  readonly planes: Uint16Array[];
}

/** A difference value (H.1.2.2): category 16 has no extra bits and means 32768. */
function readDifference(r: BitReader, s: number): number {
  if (s === 16) return 32768;
  if (s > 16) fail(`difference category ${s} out of range`, r.offset);
  return r.receiveExtend(s);
}

function predict(sv: number, p: Uint16Array, i: number, w: number): number {
  const ra = p[i - 1]!;
  const rb = p[i - w]!;
  const rc = p[i - w - 1]!;
  switch (sv) {
    case 1:
      return ra;
    case 2:
      return rb;
    case 3:
      return rc;
    case 4:
      return ra + rb - rc;
    case 5:
      return ra + ((rb - rc) >> 1);
    case 6:
      return rb + ((ra - rc) >> 1);
    default:
      return (ra + rb) >> 1;
  }
}

function checkScan(frame: FrameHeader, scan: Scan): void {
  if (scan.ss < 1 || scan.ss > 7)
    fail(`lossless predictor (selection value) ${scan.ss} out of range`, frame.offset);
  if (scan.al >= frame.precision) fail(`point transform ${scan.al} >= precision`, frame.offset);
  for (const c of scan.components) {
    if (!scan.dcTables[c.td]) fail(`scan uses undefined Huffman table ${c.td}`, scan.start);
  }
}

/**
 * The common case on its own — one component, no restart interval (what DICOM's .70 and .57 files
 * almost always are): row by row without the per-sample checks of the general loop.
 */
function decodeSingle(
  r: BitReader,
  t: HuffmanTable,
  p: Uint16Array,
  w: number,
  h: number,
  sv: number,
  initial: number,
): void {
  const diff = (): number => {
    const s = r.decode(t);
    return s === 0 ? 0 : readDifference(r, s);
  };
  p[0] = (initial + diff()) & 0xffff;
  for (let x = 1; x < w; x++) p[x] = (p[x - 1]! + diff()) & 0xffff;
  for (let y = 1; y < h; y++) {
    const row = y * w;
    p[row] = (p[row - w]! + diff()) & 0xffff;
    if (sv === 1) {
      for (let i = row + 1; i < row + w; i++) p[i] = (p[i - 1]! + diff()) & 0xffff;
    } else {
      for (let i = row + 1; i < row + w; i++) p[i] = (predict(sv, p, i, w) + diff()) & 0xffff;
    }
  }
}

/** Decodes one scan into `planes` (H.1.1, H.1.2). */
function decodeScan(data: Buffer, frame: FrameHeader, scan: Scan, planes: Uint16Array[]): void {
  checkScan(frame, scan);
  const w = frame.samplesPerLine;
  const h = frame.lines;
  const comps = scan.components;
  const tables = comps.map((c) => scan.dcTables[c.td]!);
  const targets = comps.map((c) => planes[c.index]!);
  const initial = 1 << (frame.precision - scan.al - 1);
  const r = new BitReader(data, scan.start, scan.end);
  const ri = scan.restartInterval;
  if (comps.length === 1 && ri === 0) {
    decodeSingle(r, tables[0]!, targets[0]!, w, h, scan.ss, initial);
    return;
  }
  let untilRestart = ri;
  let rst = 0;
  // Row in which the current restart interval started: it is predicted as a first line.
  let firstRow = 0;
  let firstIndex = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (ri > 0 && untilRestart === 0) {
        r.restart(rst);
        rst = (rst + 1) & 7;
        untilRestart = ri;
        firstRow = y;
        firstIndex = y * w + x;
      }
      const i = y * w + x;
      for (let c = 0; c < comps.length; c++) {
        const p = targets[c]!;
        const diff = readDifference(r, r.decode(tables[c]!));
        let pred: number;
        if (i === firstIndex) pred = initial;
        else if (y === firstRow) pred = p[i - 1]!;
        else if (x === 0) pred = p[i - w]!;
        else pred = predict(scan.ss, p, i, w);
        p[i] = (pred + diff) & 0xffff;
      }
      untilRestart--;
    }
  }
}

export function decodeLossless(data: Buffer, stream: JpegStream): LosslessImage {
  const { frame, scans } = stream;
  if (frame.marker !== 0xc3) fail(`SOF${frame.marker - 0xc0} is not lossless Huffman (SOF3)`, frame.offset);
  if (frame.precision < 2 || frame.precision > 16)
    fail(`lossless precision ${frame.precision}`, frame.offset);
  if (frame.components.some((c) => c.h !== 1 || c.v !== 1)) {
    fail('subsampled lossless components are not supported', frame.offset);
  }
  const size = frame.samplesPerLine * frame.lines;
  const planes = frame.components.map(() => new Uint16Array(size));
  const seen = new Set<number>();
  let al = -1;
  for (const scan of scans) {
    decodeScan(data, frame, scan, planes);
    for (const c of scan.components) seen.add(c.index);
    if (al >= 0 && scan.al !== al) fail('scans use different point transforms', scan.start);
    al = scan.al;
  }
  if (seen.size !== frame.components.length) fail('a component has no scan', data.length);
  const mask = (1 << frame.precision) - 1;
  if (al > 0 || mask !== 0xffff)
    for (const p of planes) for (let i = 0; i < size; i++) p[i] = (p[i]! << al) & mask;
  return { width: frame.samplesPerLine, height: frame.lines, precision: frame.precision, planes };
}
