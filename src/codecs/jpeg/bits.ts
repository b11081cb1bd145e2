/** Entropy-coded segment bit I/O (T.81 F.1.2.3, F.2.2.5): byte stuffing, restart markers, padding. */
import { fail } from './errors.js';
import { type HuffmanTable, LOOKAHEAD_BITS } from './huffman.js';

export class BitReader {
  private pos: number;
  private acc = 0;
  private bits = 0;

  constructor(
    private readonly data: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  /** Byte offset of the next unread byte (for error messages). */
  get offset(): number {
    return this.pos;
  }

  private fill(): void {
    if (this.pos >= this.end) fail('entropy-coded data ends before the scan is complete', this.pos);
    const b = this.data[this.pos]!;
    if (b === 0xff) {
      const next = this.data[this.pos + 1];
      if (next !== 0) fail('entropy-coded data ends (marker reached) before the scan is complete', this.pos);
      this.pos += 2;
    } else this.pos++;
    this.acc = ((this.acc << 8) | b) & 0xffffff;
    this.bits += 8;
  }

  bit(): number {
    if (this.bits === 0) this.fill();
    this.bits--;
    return (this.acc >> this.bits) & 1;
  }

  /** n (0..16) raw bits, most significant first. */
  read(n: number): number {
    while (this.bits < n) this.fill();
    this.bits -= n;
    return (this.acc >> this.bits) & ((1 << n) - 1);
  }

  /**
   * Tops the accumulator up to n bits without passing a marker or the end (a scan's last codes may sit
   * right before its marker: those take the bit-by-bit path, which reports a truncated scan exactly).
   */
  private fillUpTo(n: number): void {
    const data = this.data;
    while (this.bits < n && this.pos < this.end) {
      const b = data[this.pos]!;
      if (b === 0xff) {
        if (data[this.pos + 1] !== 0) return;
        this.pos += 2;
      } else this.pos++;
      this.acc = ((this.acc << 8) | b) & 0xffffff;
      this.bits += 8;
    }
  }

  /** One Huffman-coded symbol (T.81 F.2.2.3): by table for short codes, bit by bit for long ones. */
  decode(t: HuffmanTable): number {
    if (this.bits < LOOKAHEAD_BITS) this.fillUpTo(LOOKAHEAD_BITS);
    if (this.bits >= LOOKAHEAD_BITS) {
      const e = t.lookup[(this.acc >> (this.bits - LOOKAHEAD_BITS)) & ((1 << LOOKAHEAD_BITS) - 1)]!;
      if (e !== 0) {
        this.bits -= e >> 8;
        return e & 0xff;
      }
    }
    let code = this.bit();
    let l = 1;
    while (code > t.maxCode[l]!) {
      if (l === 16) fail('invalid Huffman code', this.pos);
      code = (code << 1) | this.bit();
      l++;
    }
    return t.symbols[code + t.valOffset[l]!]!;
  }

  /** Value of a coefficient/difference of category s (T.81 F.2.2.1 EXTEND). */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    const v = this.read(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** Skips the padding bits and the RSTn marker expected at a restart-interval boundary. */
  restart(expected: number): void {
    this.bits = 0;
    this.acc = 0;
    const p = this.pos;
    if (p + 1 >= this.end || this.data[p] !== 0xff || this.data[p + 1] !== 0xd0 + expected) {
      fail(`expected restart marker RST${expected}`, p);
    }
    this.pos += 2;
  }
}

export class BitWriter {
  private chunks: Buffer[] = [];
  private buf = Buffer.alloc(65536);
  private len = 0;
  private acc = 0;
  private bits = 0;

  private byte(b: number): void {
    if (this.len + 2 > this.buf.length) {
      this.chunks.push(this.buf.subarray(0, this.len));
      this.buf = Buffer.alloc(this.buf.length * 2);
      this.len = 0;
    }
    this.buf[this.len++] = b;
    if (b === 0xff) this.buf[this.len++] = 0;
  }

  /** Writes the low n (0..24) bits of v. */
  write(v: number, n: number): void {
    if (n === 0) return;
    this.acc = (this.acc << n) | (v & ((1 << n) - 1));
    this.bits += n;
    while (this.bits >= 8) {
      this.bits -= 8;
      this.byte((this.acc >> this.bits) & 0xff);
    }
    this.acc &= (1 << this.bits) - 1;
  }

  /** Pads the last byte with 1 bits and returns the segment. */
  finish(): Buffer {
    if (this.bits > 0) this.write(0xff, 8 - this.bits);
    this.chunks.push(this.buf.subarray(0, this.len));
    return Buffer.concat(this.chunks);
  }
}
