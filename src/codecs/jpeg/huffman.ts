/** Huffman tables (T.81 Annex C, K.2) for decoding and encoding. */
import { fail } from './errors.js';

export interface HuffmanTable {
  /** BITS: number of codes of each length 1..16. */
  readonly counts: Uint8Array;
  /** HUFFVAL: the symbols in order of increasing code length. */
  readonly symbols: Uint8Array;
  /** maxCode[l]: the largest code of length l, or -1 (index 1..16; 17 is a sentinel). */
  readonly maxCode: Int32Array;
  /** valPtr[l]: index into symbols of the first code of length l, minus that code. */
  readonly valOffset: Int32Array;
  /** Encoder view: code and length of each symbol (length 0: symbol absent). */
  readonly code: Uint16Array;
  readonly size: Uint8Array;
  /**
   * Decoder fast path: the next LOOKAHEAD_BITS bits → `(length << 8) | symbol` for codes of at most that
   * many bits; 0 for longer codes (decoded bit by bit).
   */
  readonly lookup: Uint16Array;
}

/** Bits looked at at once by the decoder's table (the common codes are shorter). */
export const LOOKAHEAD_BITS = 9;

/** Builds the decoding and encoding tables from BITS/HUFFVAL (T.81 C.2, F.2.2.3). */
export function buildHuffmanTable(counts: Uint8Array, symbols: Uint8Array, offset: number): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const valOffset = new Int32Array(18);
  const code = new Uint16Array(256);
  const size = new Uint8Array(256);
  let c = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1]!;
    valOffset[l] = k - c;
    for (let i = 0; i < n; i++) {
      const s = symbols[k]!;
      code[s] = c;
      size[s] = l;
      c++;
      k++;
    }
    if (n > 0) maxCode[l] = c - 1;
    if (c > 1 << l) fail('Huffman table has more codes than fit its lengths', offset);
    c <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  const lookup = new Uint16Array(1 << LOOKAHEAD_BITS);
  for (let sym = 0; sym < 256; sym++) {
    const l = size[sym]!;
    if (l === 0 || l > LOOKAHEAD_BITS) continue;
    const first = code[sym]! << (LOOKAHEAD_BITS - l);
    for (let j = 0; j < 1 << (LOOKAHEAD_BITS - l); j++) lookup[first | j] = (l << 8) | sym;
  }
  return { counts, symbols, maxCode, valOffset, code, size, lookup };
}

/**
 * Optimal code lengths for the symbol frequencies (T.81 K.2, with the reserved all-ones code point),
 * limited to 16 bits. Returns BITS and HUFFVAL.
 */
export function optimalHuffmanTable(freq: ArrayLike<number>): { counts: Uint8Array; symbols: Uint8Array } {
  const n = 257;
  const f = new Float64Array(n);
  for (let i = 0; i < freq.length && i < 256; i++) f[i] = freq[i]!;
  f[256] = 1; // reserves one code point so no code is all ones
  const codesize = new Int32Array(n);
  const others = new Int32Array(n).fill(-1);
  for (let guard = 0; guard < n; guard++) {
    let c1 = -1;
    let v = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (f[i]! > 0 && f[i]! <= v) {
        v = f[i]!;
        c1 = i;
      }
    }
    let c2 = -1;
    v = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (f[i]! > 0 && f[i]! <= v && i !== c1) {
        v = f[i]!;
        c2 = i;
      }
    }
    if (c2 < 0) break;
    f[c1] = f[c1]! + f[c2]!;
    f[c2] = 0;
    codesize[c1]++;
    while (others[c1]! >= 0) {
      c1 = others[c1]!;
      codesize[c1]++;
    }
    others[c1] = c2;
    codesize[c2]++;
    while (others[c2]! >= 0) {
      c2 = others[c2]!;
      codesize[c2]++;
    }
  }
  const bits = new Int32Array(33);
  for (let i = 0; i < n; i++) if (codesize[i]! > 0) bits[Math.min(codesize[i]!, 32)]++;
  // K.3: shorten codes longer than 16 bits.
  for (let i = 32; i > 16; i--) {
    while (bits[i]! > 0) {
      let j = i - 2;
      while (bits[j] === 0) j--;
      bits[i] = bits[i]! - 2;
      bits[i - 1] = bits[i - 1]! + 1;
      bits[j + 1] = bits[j + 1]! + 2;
      bits[j] = bits[j]! - 1;
    }
  }
  let i = 16;
  while (bits[i] === 0) i--;
  bits[i] = bits[i]! - 1; // drop the reserved code point
  const counts = new Uint8Array(16);
  for (let l = 1; l <= 16; l++) counts[l - 1] = bits[l]!;
  const symbols: number[] = [];
  for (let len = 1; len <= 32; len++) {
    for (let s = 0; s < 256; s++) if (codesize[s] === len) symbols.push(s);
  }
  return { counts, symbols: Uint8Array.from(symbols) };
}
