/**
 * DCT-based JPEG decoding (T.81 Annex F and G): Huffman sequential (baseline / extended, 8 or 12 bits) and
 * progressive (spectral selection and successive approximation). Coefficients of the whole image are kept,
 * then dequantized and inverse-transformed with the IJG islow IDCT.
 */
import { BitReader } from './bits.js';
import { fail } from './errors.js';
import type { HuffmanTable } from './huffman.js';
import { idctBlock } from './idct.js';
import { type FrameHeader, type JpegStream, type Scan, ZIGZAG } from './markers.js';

export interface DctImage {
  readonly width: number;
  readonly height: number;
  readonly precision: number;
  /** One plane per component, full image size (components must not be subsampled). */
  readonly planes: Uint16Array[];
}

interface Component {
  readonly h: number;
  readonly v: number;
  /** Blocks actually covering the component / allocated (whole MCUs). */
  readonly blocksPerLine: number;
  readonly blocksPerColumn: number;
  readonly allocPerLine: number;
  readonly coef: Int32Array;
  quant: Uint16Array | undefined;
  pred: number;
}

interface ScanState {
  readonly r: BitReader;
  readonly scan: Scan;
  eobrun: number;
}

type BlockDecoder = (s: ScanState, c: Component, at: number, dc?: HuffmanTable, ac?: HuffmanTable) => void;

const decodeBaseline: BlockDecoder = (s, c, at, dc, ac) => {
  const t = s.r.decode(dc!);
  c.pred += s.r.receiveExtend(t);
  c.coef[at] = c.pred;
  for (let k = 1; k < 64; ) {
    const rs = s.r.decode(ac!);
    const size = rs & 15;
    const run = rs >> 4;
    if (size === 0) {
      if (run < 15) break;
      k += 16;
      continue;
    }
    k += run;
    if (k > 63) fail('AC coefficient index beyond 63', s.r.offset);
    c.coef[at + ZIGZAG[k]!] = s.r.receiveExtend(size);
    k++;
  }
};

const decodeDcFirst: BlockDecoder = (s, c, at, dc) => {
  const t = s.r.decode(dc!);
  c.pred += s.r.receiveExtend(t);
  c.coef[at] = c.pred * (1 << s.scan.al);
};

const decodeDcRefine: BlockDecoder = (s, c, at) => {
  if (s.r.bit()) c.coef[at] = c.coef[at]! | (1 << s.scan.al);
};

const decodeAcFirst: BlockDecoder = (s, c, at, _dc, ac) => {
  if (s.eobrun > 0) {
    s.eobrun--;
    return;
  }
  const { se, al } = s.scan;
  for (let k = s.scan.ss; k <= se; ) {
    const rs = s.r.decode(ac!);
    const size = rs & 15;
    const run = rs >> 4;
    if (size === 0) {
      if (run < 15) {
        s.eobrun = (1 << run) - 1 + (run > 0 ? s.r.read(run) : 0);
        break;
      }
      k += 16;
      continue;
    }
    k += run;
    if (k > 63) fail('AC coefficient index beyond 63', s.r.offset);
    c.coef[at + ZIGZAG[k]!] = s.r.receiveExtend(size) * (1 << al);
    k++;
  }
};

/** Correction bit for an already non-zero coefficient (G.1.2.3). */
function refineNonZero(s: ScanState, coef: Int32Array, i: number, p1: number): void {
  if (s.r.bit() && (coef[i]! & p1) === 0) coef[i] = coef[i]! + (coef[i]! >= 0 ? p1 : -p1);
}

const decodeAcRefine: BlockDecoder = (s, c, at, _dc, ac) => {
  const { se } = s.scan;
  const p1 = 1 << s.scan.al;
  const coef = c.coef;
  let k = s.scan.ss;
  if (s.eobrun === 0) {
    for (; k <= se; k++) {
      const rs = s.r.decode(ac!);
      let run = rs >> 4;
      let value = 0;
      if ((rs & 15) !== 0) value = s.r.bit() ? p1 : -p1;
      else if (run !== 15) {
        s.eobrun = (1 << run) + (run > 0 ? s.r.read(run) : 0);
        break;
      }
      for (; k <= se; k++) {
        const i = at + ZIGZAG[k]!;
        if (coef[i] !== 0) refineNonZero(s, coef, i, p1);
        else if (--run < 0) break;
      }
      if (value !== 0) {
        if (k > 63) fail('AC coefficient index beyond 63', s.r.offset);
        coef[at + ZIGZAG[k]!] = value;
      }
    }
  }
  if (s.eobrun > 0) {
    for (; k <= se; k++) {
      const i = at + ZIGZAG[k]!;
      if (coef[i] !== 0) refineNonZero(s, coef, i, p1);
    }
    s.eobrun--;
  }
};

function blockDecoder(frame: FrameHeader, scan: Scan): BlockDecoder {
  if (frame.marker === 0xc2) {
    if (scan.ss === 0) return scan.ah === 0 ? decodeDcFirst : decodeDcRefine;
    return scan.ah === 0 ? decodeAcFirst : decodeAcRefine;
  }
  return decodeBaseline;
}

function makeComponents(frame: FrameHeader): { comps: Component[]; mcusX: number; mcusY: number } {
  const hmax = Math.max(...frame.components.map((c) => c.h));
  const vmax = Math.max(...frame.components.map((c) => c.v));
  const mcusX = Math.ceil(frame.samplesPerLine / (8 * hmax));
  const mcusY = Math.ceil(frame.lines / (8 * vmax));
  const comps = frame.components.map((fc) => {
    const blocksPerLine = Math.ceil(Math.ceil((frame.samplesPerLine * fc.h) / hmax) / 8);
    const blocksPerColumn = Math.ceil(Math.ceil((frame.lines * fc.v) / vmax) / 8);
    const allocPerLine = mcusX * fc.h;
    const coef = new Int32Array(allocPerLine * mcusY * fc.v * 64);
    return {
      h: fc.h,
      v: fc.v,
      blocksPerLine,
      blocksPerColumn,
      allocPerLine,
      coef,
      quant: undefined,
      pred: 0,
    };
  });
  return { comps, mcusX, mcusY };
}

function decodeScan(
  data: Buffer,
  frame: FrameHeader,
  scan: Scan,
  all: Component[],
  mcusX: number,
  mcusY: number,
) {
  const comps = scan.components.map((sc) => all[sc.index]!);
  const dcs = scan.components.map((sc) => scan.dcTables[sc.td]);
  const acs = scan.components.map((sc) => scan.acTables[sc.ta]);
  const progressive = frame.marker === 0xc2;
  scan.components.forEach((sc, i) => {
    const needDc = !progressive || (scan.ss === 0 && scan.ah === 0);
    const needAc = !progressive || scan.ss > 0;
    if (needDc && !dcs[i]) fail(`scan uses undefined DC Huffman table ${sc.td}`, scan.start);
    if (needAc && !acs[i]) fail(`scan uses undefined AC Huffman table ${sc.ta}`, scan.start);
    const c = all[sc.index]!;
    const tq = frame.components[sc.index]!.tq;
    c.quant ??= scan.quantTables[tq];
    if (!c.quant) fail(`quantization table ${tq} is not defined`, scan.start);
  });
  if (scan.se > 63 || scan.ss > scan.se || (!progressive && (scan.ss !== 0 || scan.se !== 63))) {
    fail(`spectral selection ${scan.ss}..${scan.se} invalid`, scan.start);
  }
  const s: ScanState = { r: new BitReader(data, scan.start, scan.end), scan, eobrun: 0 };
  const decode = blockDecoder(frame, scan);
  const ri = scan.restartInterval;
  let untilRestart = ri;
  let rst = 0;
  const restart = () => {
    if (ri === 0) return;
    if (untilRestart === 0) {
      s.r.restart(rst);
      rst = (rst + 1) & 7;
      untilRestart = ri;
      s.eobrun = 0;
      for (const c of comps) c.pred = 0;
    }
    untilRestart--;
  };
  for (const c of comps) c.pred = 0;
  if (comps.length === 1) {
    const c = comps[0]!;
    for (let by = 0; by < c.blocksPerColumn; by++) {
      for (let bx = 0; bx < c.blocksPerLine; bx++) {
        restart();
        decode(s, c, (by * c.allocPerLine + bx) * 64, dcs[0], acs[0]);
      }
    }
    return;
  }
  for (let my = 0; my < mcusY; my++) {
    for (let mx = 0; mx < mcusX; mx++) {
      restart();
      for (let i = 0; i < comps.length; i++) {
        const c = comps[i]!;
        for (let v = 0; v < c.v; v++) {
          for (let h = 0; h < c.h; h++) {
            const at = ((my * c.v + v) * c.allocPerLine + mx * c.h + h) * 64;
            decode(s, c, at, dcs[i], acs[i]);
          }
        }
      }
    }
  }
}

export function decodeDct(data: Buffer, stream: JpegStream): DctImage {
  const { frame } = stream;
  if (frame.marker !== 0xc0 && frame.marker !== 0xc1 && frame.marker !== 0xc2) {
    fail(`SOF${frame.marker - 0xc0} is not a Huffman DCT process this decoder supports`, frame.offset);
  }
  if (frame.precision !== 8 && frame.precision !== 12) fail(`DCT precision ${frame.precision}`, frame.offset);
  if (frame.components.some((c) => c.h !== frame.components[0]!.h || c.v !== frame.components[0]!.v)) {
    fail('subsampled components are not supported by this decoder', frame.offset);
  }
  const { comps, mcusX, mcusY } = makeComponents(frame);
  for (const scan of stream.scans) decodeScan(data, frame, scan, comps, mcusX, mcusY);
  const w = frame.samplesPerLine;
  const hgt = frame.lines;
  const ws = new Int32Array(64);
  const planes = comps.map((c) => {
    if (!c.quant) fail('a component has no scan', data.length);
    const pw = c.blocksPerLine * 8;
    const full = new Uint16Array(pw * c.blocksPerColumn * 8);
    for (let by = 0; by < c.blocksPerColumn; by++) {
      for (let bx = 0; bx < c.blocksPerLine; bx++) {
        const at = (by * c.allocPerLine + bx) * 64;
        idctBlock(c.coef, at, c.quant, frame.precision, ws, full, by * 8 * pw + bx * 8, pw);
      }
    }
    const plane = new Uint16Array(w * hgt);
    for (let y = 0; y < hgt; y++) plane.set(full.subarray(y * pw, y * pw + w), y * w);
    return plane;
  });
  return { width: w, height: hgt, precision: frame.precision, planes };
}
