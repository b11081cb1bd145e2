/**
 * JPEG lossless encoding (T.81 Annex H, process 14): one interleaved scan, any predictor 1..7, point
 * transform 0, per-image optimal Huffman table (K.2) shared by all components.
 */
import { BitWriter } from './bits.js';
import { buildHuffmanTable, optimalHuffmanTable } from './huffman.js';

export interface LosslessSource {
  readonly width: number;
  readonly height: number;
  /** 2..16 */
  readonly precision: number;
  /** One plane per component (1 or 3), values < 2^precision. */
  readonly planes: readonly Uint16Array[];
}

function category(d: number): number {
  let a = d < 0 ? -d : d;
  let s = 0;
  while (a > 0) {
    s++;
    a >>= 1;
  }
  return s;
}

/** Differences mod 2^16 as signed values -32767..32768 (H.1.2.1). */
function differences(p: Uint16Array, w: number, h: number, sv: number, precision: number): Int32Array {
  const out = new Int32Array(w * h);
  const initial = 1 << (precision - 1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let pred: number;
      if (i === 0) pred = initial;
      else if (y === 0) pred = p[i - 1]!;
      else if (x === 0) pred = p[i - w]!;
      else {
        const ra = p[i - 1]!;
        const rb = p[i - w]!;
        const rc = p[i - w - 1]!;
        if (sv === 1) pred = ra;
        else if (sv === 2) pred = rb;
        else if (sv === 3) pred = rc;
        else if (sv === 4) pred = ra + rb - rc;
        else if (sv === 5) pred = ra + ((rb - rc) >> 1);
        else if (sv === 6) pred = rb + ((ra - rc) >> 1);
        else pred = (ra + rb) >> 1;
      }
      let d = (p[i]! - pred) & 0xffff;
      if (d > 32768) d -= 65536;
      out[i] = d;
    }
  }
  return out;
}

function segment(marker: number, body: number[]): number[] {
  const len = body.length + 2;
  return [0xff, marker, len >> 8, len & 0xff, ...body];
}

/** Encodes the planes as a complete JPEG stream, SOI to EOI. */
export function encodeLossless(src: LosslessSource, predictor: number): Buffer {
  const { width: w, height: h, precision, planes } = src;
  const diffs = planes.map((p) => differences(p, w, h, predictor, precision));
  const freq = new Float64Array(17);
  for (const d of diffs) for (let i = 0; i < d.length; i++) freq[category(d[i]!)]++;
  const { counts, symbols } = optimalHuffmanTable(freq);
  const table = buildHuffmanTable(counts, symbols, 0);
  const bw = new BitWriter();
  const n = w * h;
  for (let i = 0; i < n; i++) {
    for (const d of diffs) {
      const v = d[i]!;
      const s = category(v);
      bw.write(table.code[s]!, table.size[s]!);
      if (s > 0 && s < 16) bw.write(v < 0 ? v - 1 : v, s);
    }
  }
  const entropy = bw.finish();
  const nc = planes.length;
  const sof = [precision, h >> 8, h & 0xff, w >> 8, w & 0xff, nc];
  for (let c = 0; c < nc; c++) sof.push(c + 1, 0x11, 0);
  const sos = [nc];
  for (let c = 0; c < nc; c++) sos.push(c + 1, 0x00);
  sos.push(predictor, 0, 0);
  const head = Buffer.from([
    0xff,
    0xd8,
    ...segment(0xc3, sof),
    ...segment(0xc4, [0x00, ...counts, ...symbols]),
    ...segment(0xda, sos),
  ]);
  return Buffer.concat([head, entropy, Buffer.from([0xff, 0xd9])]);
}
