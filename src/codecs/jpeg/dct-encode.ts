/**
 * DCT JPEG encoding (T.81): extended sequential Huffman (SOF1, process 2 & 4: 8 or 12 bits) and
 * progressive Huffman (SOF2) either with spectral selection only (process 6 & 8, DICOM .53) or with
 * successive approximation as well (process 10 & 12, .55). Components are never subsampled; every scan
 * gets optimal Huffman tables (K.2) counted from its own symbols.
 */
import { BitWriter } from './bits.js';
import { type CoefficientPlane, quantizePlane, quantTable } from './fdct.js';
import { buildHuffmanTable, type HuffmanTable, optimalHuffmanTable } from './huffman.js';
import { DHT, DQT, SOS, ZIGZAG } from './markers.js';
import { AC, encodeProgressiveScan, encodeSequentialScan, type ScanSpec, type Sink } from './scan-encode.js';

export type DctProcess = 'sequential' | 'spectral' | 'progressive';

export interface DctSource {
  readonly width: number;
  readonly height: number;
  /** 8 or 12. */
  readonly precision: number;
  /** 1 plane (grey) or 3 (Y, Cb, Cr), values 0..2^precision−1. */
  readonly planes: readonly Float64Array[];
}

function segment(marker: number, body: readonly number[]): Buffer {
  const len = body.length + 2;
  return Buffer.from([0xff, marker, len >> 8, len & 0xff, ...body]);
}

function dqt(tables: readonly Uint16Array[]): Buffer {
  const body: number[] = [];
  tables.forEach((t, id) => {
    const wide = t.some((v) => v > 255);
    body.push(((wide ? 1 : 0) << 4) | id);
    for (let k = 0; k < 64; k++) {
      const v = t[ZIGZAG[k]!]!;
      if (wide) body.push(v >> 8, v & 0xff);
      else body.push(v);
    }
  });
  return segment(DQT, body);
}

function sof(marker: number, src: DctSource, quantIds: readonly number[]): Buffer {
  const { width: w, height: h, precision } = src;
  const body = [precision, h >> 8, h & 0xff, w >> 8, w & 0xff, quantIds.length];
  for (const [c, tq] of quantIds.entries()) body.push(c + 1, 0x11, tq);
  return segment(marker, body);
}

/**
 * The scan script. Spectral selection: DC of all components, then two AC bands per component.
 * Progressive: IJG's jpeg_simple_progression pattern (DC and AC first with Al = 1 / 2, then refinements).
 */
export function scanScript(process: DctProcess, components: number): ScanSpec[] {
  const all = Array.from({ length: components }, (_, c) => c);
  const each = (f: (c: number) => ScanSpec[]) => all.flatMap(f);
  if (process === 'sequential') return [{ comps: all, ss: 0, se: 63, ah: 0, al: 0 }];
  if (process === 'spectral') {
    return [
      { comps: all, ss: 0, se: 0, ah: 0, al: 0 },
      ...each((c) => [
        { comps: [c], ss: 1, se: 5, ah: 0, al: 0 },
        { comps: [c], ss: 6, se: 63, ah: 0, al: 0 },
      ]),
    ];
  }
  return [
    { comps: all, ss: 0, se: 0, ah: 0, al: 1 },
    ...each((c) => [
      { comps: [c], ss: 1, se: 5, ah: 0, al: 2 },
      { comps: [c], ss: 6, se: 63, ah: 0, al: 2 },
      { comps: [c], ss: 1, se: 63, ah: 2, al: 1 },
    ]),
    { comps: all, ss: 0, se: 0, ah: 1, al: 0 },
    ...each((c) => [{ comps: [c], ss: 1, se: 63, ah: 1, al: 0 }]),
  ];
}

class CountingSink implements Sink {
  readonly freq = new Map<number, Float64Array>();
  sym(key: number, s: number): void {
    let f = this.freq.get(key);
    if (!f) {
      f = new Float64Array(256);
      this.freq.set(key, f);
    }
    f[s]++;
  }
  bits(): void {}
}

class WritingSink implements Sink {
  readonly out = new BitWriter();
  constructor(private readonly tables: ReadonlyMap<number, HuffmanTable>) {}
  sym(key: number, s: number): void {
    const t = this.tables.get(key)!;
    this.out.write(t.code[s]!, t.size[s]!);
  }
  bits(v: number, n: number): void {
    this.out.write(v, n);
  }
}

/** Table destination of scan component `c`: sequential and DC scans use one table per component. */
function tableId(key: number, sequential: boolean): number {
  return sequential || key < AC ? key % AC : 0;
}

/** One scan: its DHT segment, SOS header and entropy-coded data. */
function encodeScan(planes: readonly CoefficientPlane[], spec: ScanSpec, sequential: boolean): Buffer[] {
  const code = sequential ? encodeSequentialScan : encodeProgressiveScan;
  const counter = new CountingSink();
  code(planes, spec, counter);
  const tables = new Map<number, HuffmanTable>();
  const dht: number[] = [];
  for (const [key, freq] of counter.freq) {
    const { counts, symbols } = optimalHuffmanTable(freq);
    tables.set(key, buildHuffmanTable(counts, symbols, 0));
    dht.push(((key < AC ? 0 : 1) << 4) | tableId(key, sequential), ...counts, ...symbols);
  }
  const writer = new WritingSink(tables);
  code(planes, spec, writer);
  const sos = [spec.comps.length];
  for (const c of spec.comps) {
    const dc = sequential || spec.ss === 0 ? c : 0;
    const ac = sequential ? c : 0;
    sos.push(c + 1, (dc << 4) | ac);
  }
  sos.push(spec.ss, spec.se, (spec.ah << 4) | spec.al);
  const head = dht.length > 0 ? [segment(DHT, dht)] : [];
  return [...head, segment(SOS, sos), writer.out.finish()];
}

/** Encodes the planes as a complete JPEG stream, SOI to EOI, at `quality` (IJG scale 1..100). */
export function encodeDct(src: DctSource, process: DctProcess, quality: number): Buffer {
  const nc = src.planes.length;
  const quant =
    nc === 1
      ? [quantTable(quality, false, src.precision)]
      : [false, true].map((chroma) => quantTable(quality, chroma, src.precision));
  const quantIds = src.planes.map((_, c) => (c === 0 ? 0 : 1));
  const planes = src.planes.map((p, c) =>
    quantizePlane(p, src.width, src.height, src.precision, quant[quantIds[c]!]!),
  );
  const sequential = process === 'sequential';
  const parts: Buffer[] = [
    Buffer.from([0xff, 0xd8]),
    dqt(quant),
    sof(sequential ? 0xc1 : 0xc2, src, quantIds),
  ];
  for (const spec of scanScript(process, nc)) parts.push(...encodeScan(planes, spec, sequential));
  parts.push(Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}
