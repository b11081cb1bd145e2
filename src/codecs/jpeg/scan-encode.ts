/**
 * Entropy coding of DCT scans (T.81 F.1.2 sequential, G.1.2 progressive), written against a `Sink` so the
 * same walk first counts symbol frequencies (for optimal Huffman tables, K.2) and then writes the bits.
 * Progressive coding follows the structure of IJG's jcphuff.c (EOB runs, buffered correction bits).
 */
import type { CoefficientPlane } from './fdct.js';
import { ZIGZAG } from './markers.js';

/** Huffman table keys: DC tables 0..3, AC tables 4..7 (class × 4 + destination). */
export const AC = 4;

export interface Sink {
  /** A Huffman-coded symbol from table `key`. */
  sym(key: number, s: number): void;
  /** `n` raw bits: the low bits of `v`. */
  bits(v: number, n: number): void;
}

export interface ScanSpec {
  /** Component indexes (several only for DC / sequential scans: interleaved). */
  readonly comps: readonly number[];
  readonly ss: number;
  readonly se: number;
  readonly ah: number;
  readonly al: number;
}

/** SSSS: the magnitude category of a value (T.81 F.1.2.1, Table F.1/F.2). */
export function category(v: number): number {
  let a = v < 0 ? -v : v;
  let s = 0;
  while (a > 0) {
    s++;
    a >>= 1;
  }
  return s;
}

/** A value's category and its additional bits (one's complement for negatives, F.1.2.1). */
function emitValue(sink: Sink, key: number, symBase: number, v: number): void {
  const s = category(v);
  sink.sym(key, symBase + s);
  if (s > 0) sink.bits(v < 0 ? v - 1 : v, s);
}

/** Every block of the scan in coding order: MCU order when interleaved, else the component's raster. */
function forEachBlock(
  planes: readonly CoefficientPlane[],
  spec: ScanSpec,
  fn: (comp: number, at: number) => void,
): void {
  // All components share one block grid (no subsampling), so interleaved MCUs are single blocks.
  const { blocksX, blocksY } = planes[spec.comps[0]!]!;
  for (let b = 0; b < blocksX * blocksY; b++) for (const c of spec.comps) fn(c, b * 64);
}

export function encodeSequentialScan(planes: readonly CoefficientPlane[], spec: ScanSpec, sink: Sink): void {
  const pred = new Int32Array(planes.length);
  forEachBlock(planes, spec, (c, at) => {
    const coef = planes[c]!.coef;
    emitValue(sink, c, 0, coef[at]! - pred[c]!);
    pred[c] = coef[at]!;
    let run = 0;
    for (let k = 1; k < 64; k++) {
      const v = coef[at + ZIGZAG[k]!]!;
      if (v === 0) {
        run++;
        continue;
      }
      for (; run > 15; run -= 16) sink.sym(AC + c, 0xf0);
      emitValue(sink, AC + c, run << 4, v);
      run = 0;
    }
    if (run > 0) sink.sym(AC + c, 0x00);
  });
}

/** DC first scan (G.1.2.1): differences of the coefficients shifted right by Al (arithmetic shift). */
function encodeDcFirst(planes: readonly CoefficientPlane[], spec: ScanSpec, sink: Sink): void {
  const pred = new Int32Array(planes.length);
  forEachBlock(planes, spec, (c, at) => {
    const v = planes[c]!.coef[at]! >> spec.al;
    emitValue(sink, c, 0, v - pred[c]!);
    pred[c] = v;
  });
}

/** DC refinement: bit Al of each DC coefficient, raw. */
function encodeDcRefine(planes: readonly CoefficientPlane[], spec: ScanSpec, sink: Sink): void {
  forEachBlock(planes, spec, (c, at) => sink.bits((planes[c]!.coef[at]! >> spec.al) & 1, 1));
}

/** EOB run state of an AC scan, with the correction bits waiting for the run to be coded. */
class EobRun {
  count = 0;
  pending: number[] = [];

  constructor(private readonly sink: Sink) {}

  /** Codes the run (EOBn symbol, T.81 Table G.1) and then its blocks' correction bits. */
  flush(): void {
    if (this.count > 0) {
      const n = category(this.count) - 1;
      this.sink.sym(AC, n << 4);
      if (n > 0) this.sink.bits(this.count, n);
      this.count = 0;
    }
    for (const b of this.pending) this.sink.bits(b, 1);
    this.pending = [];
  }
}

/** Longest EOB run (EOB14 with all bits set); past 937 correction bits IJG flushes too, as we do. */
const MAX_EOBRUN = 0x7fff;
const MAX_PENDING = 937;

function encodeAcFirst(planes: readonly CoefficientPlane[], spec: ScanSpec, sink: Sink): void {
  const eob = new EobRun(sink);
  const { ss, se, al } = spec;
  forEachBlock(planes, spec, (c, at) => {
    const coef = planes[c]!.coef;
    let run = 0;
    for (let k = ss; k <= se; k++) {
      const raw = coef[at + ZIGZAG[k]!]!;
      const v = raw < 0 ? -(-raw >> al) : raw >> al;
      if (v === 0) {
        run++;
        continue;
      }
      eob.flush();
      for (; run > 15; run -= 16) sink.sym(AC, 0xf0);
      emitValue(sink, AC, run << 4, v);
      run = 0;
    }
    if (run > 0 && ++eob.count === MAX_EOBRUN) eob.flush();
  });
  eob.flush();
}

/** AC refinement scan (G.1.2.3): newly significant coefficients, correction bits of the others. */
function encodeAcRefine(planes: readonly CoefficientPlane[], spec: ScanSpec, sink: Sink): void {
  const eob = new EobRun(sink);
  const { ss, se, al } = spec;
  const abs = new Int32Array(64);
  forEachBlock(planes, spec, (c, at) => {
    const coef = planes[c]!.coef;
    let last = 0; // the last newly significant coefficient (magnitude 1 after the shift)
    for (let k = ss; k <= se; k++) {
      const raw = coef[at + ZIGZAG[k]!]!;
      abs[k] = (raw < 0 ? -raw : raw) >> al;
      if (abs[k] === 1) last = k;
    }
    let run = 0;
    let block: number[] = [];
    for (let k = ss; k <= se; k++) {
      const a = abs[k]!;
      if (a === 0) {
        run++;
        continue;
      }
      for (; run > 15 && k <= last; run -= 16) {
        eob.flush();
        sink.sym(AC, 0xf0);
        for (const b of block) sink.bits(b, 1);
        block = [];
      }
      if (a > 1) {
        block.push(a & 1); // already significant: its correction bit
        continue;
      }
      eob.flush();
      sink.sym(AC, (run << 4) + 1);
      sink.bits(coef[at + ZIGZAG[k]!]! < 0 ? 0 : 1, 1);
      for (const b of block) sink.bits(b, 1);
      block = [];
      run = 0;
    }
    if (run > 0 || block.length > 0) {
      eob.count++;
      eob.pending.push(...block);
      if (eob.count === MAX_EOBRUN || eob.pending.length > MAX_PENDING) eob.flush();
    }
  });
  eob.flush();
}

/** Codes one scan of a progressive (SOF2) frame. */
export function encodeProgressiveScan(planes: readonly CoefficientPlane[], spec: ScanSpec, sink: Sink): void {
  if (spec.ss === 0) {
    if (spec.ah === 0) encodeDcFirst(planes, spec, sink);
    else encodeDcRefine(planes, spec, sink);
  } else if (spec.ah === 0) encodeAcFirst(planes, spec, sink);
  else encodeAcRefine(planes, spec, sink);
}
