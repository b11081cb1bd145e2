/**
 * NKI private lossless compression (Conquest modes n1..n4): a delta coder for 16-bit pixel words that
 * Conquest stores in the private element (7FDF,0010) instead of Pixel Data (7FE0,0010). Written from the
 * data format as Conquest's nkiqrsop.cpp defines it (nki_private_compress / nki_private_decompress /
 * get_nki_private_decompressed_length / DecompressNKI / CompressNKI); no code was taken from it.
 *
 * Stream layout (all header fields unsigned 32-bit little-endian — the NKI_MODE2 struct written natively
 * on little-endian machines; nkiqrsop.cpp "typedef struct ... NKI_MODE2" and its block comment):
 *   offset 0  iOrgSize        number of 16-bit pixels (get_nki_private_decompressed_length returns 2×this)
 *   offset 4  iMode           1, 2, 3 or 4 (get_nki_private_compress_mode reads it; DecompressNKI leaves
 *                             the element alone when it exceeds MAXNKICOMPRESSION)
 *   modes 2 and 4 only (20-byte header; modes 1 and 3 have 8 bytes):
 *   offset 8  iCompressedSize bytes after the header, padded to even with one 0 byte
 *   offset 12 iOrgCRC         CRC of the original pixels, each pixel low byte then high byte
 *   offset 16 iCompressedCRC  mode 2: CRC of the iCompressedSize bytes after the header (pad included);
 *                             mode 4: always 0 (only the pixel CRC is kept)
 * The CRC is the reflected CRC-32 table of polynomial 0xEDB88320 (CRC32_table in nkiqrsop.cpp) run with
 * initial value 0 and no final inversion: crc = T[(crc ^ byte) & 0xFF] ^ (crc >>> 8).
 *
 * After the header: the first pixel as a little-endian 16-bit word, then for each following pixel a code
 * for the difference d = pixel[i] − pixel[i−1] (pixels read as signed 16-bit; the sum wraps modulo 2^16):
 *   1 byte   d in −64..63 (modes 3/4: −63..63, as 0xC0 is their 4-bit marker), the byte is d;
 *   2 bytes  d in −0x3F00..0x3EFF: (d >> 8) XOR 0x40, then d & 0xFF;
 *   3 bytes  0x7F, then the pixel itself big-endian (high byte, low byte) when d is larger;
 *   2 bytes  0x80 NN: NN (2..255) zero differences (a run of equal pixels);
 *   modes 3/4: 0xC0 NN then NN/2 bytes: NN (even, ≤254) differences in −8..7, two per byte, high nibble
 *   first, each nibble sign-extended.
 * The encoder's choices follow nki_private_compress exactly (run detection never covers the last pixel,
 * zero runs of at most 4 stay single bytes in modes 3/4, a 4-bit run needs at least 6 candidates, an odd
 * candidate count leaves its first byte as a plain 1-byte code, a pending run at the end is not packed),
 * so the output is byte-for-byte what Conquest writes. CompressNKI pads an odd stream of modes 1/3 with a
 * 0 byte; nkiCompress returns that padded element value.
 *
 * Dataset level (CompressNKI / DecompressNKI in nkiqrsop.cpp, called from recompress for "n1".."n4"):
 * compression needs native Pixel Data of defined, non-zero length and no (7FDF,0010) yet; the whole value
 * (all frames) is one stream; (7FE0,0010) is removed and (7FDF,0010) added with the pixel element's VR.
 * Decompression is skipped (the element is not ours) when (7FE0,0010) is also present, when the value
 * starts with "ACUSON" or "ELSCIN" (those vendors use (7FDF,0010) too), when it is 8 bytes or shorter, or
 * when iMode is out of range; otherwise (7FE0,0010) OW is restored and (7FDF,0010) removed.
 */
import type { Dataset } from '../dicom/dataset.js';
import { DataElement } from '../dicom/element.js';
import { CodecError } from './codec.js';

export type NkiMode = 1 | 2 | 3 | 4;

/** Pseudo transfer syntax named in CodecErrors (NKI compression has no UID of its own). */
export const NKI_CODEC_NAME = 'NKI private compression';
export const NKI_PIXEL_TAG = 0x7fdf0010;
const PIXEL_DATA = 0x7fe00010;

const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Conquest's CRC (see module comment): start value 0, no final inversion. */
export function nkiCrc(bytes: Uint8Array, crc = 0): number {
  let c = crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  return c;
}

function fail(message: string): never {
  throw new CodecError(message, NKI_CODEC_NAME);
}

function headerSize(mode: number): number {
  return mode === 2 || mode === 4 ? 20 : 8;
}

// ---- encoder ----------------------------------------------------------------------------------------

/** Byte output with the "go back and pack the last n bytes as nibbles" step of modes 3/4. */
class Output {
  readonly buf: Buffer;
  pos: number;
  constructor(size: number, start: number) {
    this.buf = Buffer.alloc(size);
    this.pos = start;
  }
  byte(v: number): void {
    this.buf[this.pos++] = v & 0xff;
  }
  /** Rewrites the last (n & ~1) single-byte codes (all in −8..7) as one 0xC0 NN nibble run. */
  pack4(count: number): void {
    const n = count & 0xfe;
    const start = this.pos - n;
    const nibbles = Buffer.from(this.buf.subarray(start, this.pos));
    this.pos = start;
    this.byte(0xc0);
    this.byte(n);
    for (let k = 0; k < n; k += 2) this.byte(((nibbles[k]! & 0x0f) << 4) | (nibbles[k + 1]! & 0x0f));
  }
}

/** Length of the run of pixels equal to p[i-1] starting at p[i], as Conquest's encoder measures it. */
function runLength(p: Int16Array, i: number, remaining: number): number {
  let m = 2;
  while (m < remaining && p[i + m - 1] === p[i - 1] && m !== 256) m++;
  return m - 1;
}

function writeDiff(out: Output, d: number, pixel: number): void {
  if (d >= -0x3f00 && d <= 0x3eff) {
    out.byte((d >> 8) ^ 0x40);
    out.byte(d);
  } else {
    out.byte(0x7f);
    out.byte(pixel >> 8);
    out.byte(pixel);
  }
}

function encodeMode1(p: Int16Array, out: Output): void {
  let i = 1;
  while (i < p.length) {
    const remaining = p.length - i;
    const d = p[i]! - p[i - 1]!;
    if (d === 0) {
      const run = runLength(p, i, remaining);
      if (run === 1) out.byte(0);
      else {
        out.byte(0x80);
        out.byte(run);
      }
      i += run;
      continue;
    }
    if (d >= -64 && d <= 63) out.byte(d);
    else writeDiff(out, d, p[i]!);
    i++;
  }
}

const MIN_ZERO_RUN = 5; // MINZEROS: shorter zero runs stay single bytes (they may join a 4-bit run)
const MIN_4BIT = 6; // MIN4BIT: shortest sequence worth packing
const MAX_4BIT = 254;

function encodeMode3(p: Int16Array, out: Output): void {
  let n4 = 0;
  const candidate = (v: number): void => {
    out.byte(v);
    n4++;
    if (n4 >= MAX_4BIT) {
      out.pack4(n4);
      n4 = 0;
    }
  };
  const endRun = (): void => {
    if (n4 >= MIN_4BIT) out.pack4(n4);
    n4 = 0;
  };
  let i = 1;
  while (i < p.length) {
    const remaining = p.length - i;
    const d = p[i]! - p[i - 1]!;
    if (d === 0) {
      const run = runLength(p, i, remaining);
      if (run + 1 <= MIN_ZERO_RUN) for (let k = 0; k < run; k++) candidate(0);
      else {
        endRun();
        out.byte(0x80);
        out.byte(run);
      }
      i += run;
      continue;
    }
    if (d >= -8 && d <= 7) candidate(d);
    else if (d >= -63 && d <= 63) {
      endRun();
      out.byte(d);
    } else {
      endRun();
      writeDiff(out, d, p[i]!);
    }
    i++;
  }
}

/**
 * Compresses 16-bit little-endian pixel words (`pixels16`, even length) in NKI mode 1..4. Returns the value
 * of (7FDF,0010): header + stream, padded to even length.
 */
export function nkiCompress(pixels16: Buffer, mode: NkiMode): Buffer {
  if (![1, 2, 3, 4].includes(mode)) fail(`unsupported NKI compression mode ${String(mode)} (1..4)`);
  if (pixels16.length < 2 || pixels16.length % 2 !== 0)
    fail(`NKI compression needs 16-bit pixels: ${pixels16.length} bytes is not a positive even length`);
  const count = pixels16.length / 2;
  const p = new Int16Array(count);
  for (let i = 0; i < count; i++) p[i] = pixels16.readInt16LE(2 * i);
  const head = headerSize(mode);
  const out = new Output(head + 3 * count + 4, head);
  out.byte(p[0]!);
  out.byte(p[0]! >> 8);
  if (mode <= 2) encodeMode1(p, out);
  else encodeMode3(p, out);
  if ((out.pos - head) % 2 === 1) out.byte(0);
  const result = out.buf.subarray(0, out.pos);
  result.writeUInt32LE(count, 0);
  result.writeUInt32LE(mode, 4);
  if (head === 20) {
    result.writeUInt32LE(out.pos - head, 8);
    result.writeUInt32LE(nkiCrc(pixels16), 12);
    result.writeUInt32LE(mode === 2 ? nkiCrc(result.subarray(head)) : 0, 16);
  }
  return Buffer.from(result);
}

// ---- decoder ----------------------------------------------------------------------------------------

export interface NkiHeader {
  readonly pixelCount: number;
  readonly mode: number;
  /** Modes 2/4: bytes after the header, and the two CRCs. */
  readonly compressedSize?: number;
  readonly originalCrc?: number;
  readonly compressedCrc?: number;
}

export function readNkiHeader(data: Buffer): NkiHeader {
  if (data.length < 8) fail(`NKI data truncated: ${data.length} bytes, the header needs 8`);
  const pixelCount = data.readUInt32LE(0);
  const mode = data.readUInt32LE(4);
  if (mode < 1 || mode > 4) fail(`unsupported NKI compression mode ${mode} at offset 4`);
  if (pixelCount < 1) fail('NKI header gives 0 pixels at offset 0');
  if (headerSize(mode) === 8) return { pixelCount, mode };
  if (data.length < 20) fail(`NKI data truncated: ${data.length} bytes, the mode ${mode} header needs 20`);
  return {
    pixelCount,
    mode,
    compressedSize: data.readUInt32LE(8),
    originalCrc: data.readUInt32LE(12),
    compressedCrc: data.readUInt32LE(16),
  };
}

/** Decodes the stream `data[start, end)` into `count` pixels. */
function decodeStream(data: Buffer, start: number, end: number, count: number, fourBit: boolean): Buffer {
  const out = Buffer.alloc(count * 2);
  const need = (at: number, n: number): void => {
    if (at + n > end)
      fail(
        `NKI data truncated at offset ${at}: code needs ${n} bytes, ${end - at} left (${count} pixels expected)`,
      );
  };
  need(start, 2);
  let prev = data.readUInt16LE(start);
  out.writeUInt16LE(prev, 0);
  let pos = start + 2;
  let i = 1;
  const put = (v: number): void => {
    prev = v & 0xffff;
    out.writeUInt16LE(prev, 2 * i++);
  };
  const room = (at: number, n: number): void => {
    if (n < 1 || n > count - i)
      fail(`NKI run of ${n} pixels at offset ${at} overflows the ${count}-pixel image`);
  };
  while (i < count) {
    need(pos, 1);
    const b = data[pos]!;
    if (b === 0x80) {
      need(pos, 2);
      const n = data[pos + 1]!;
      room(pos, n);
      for (let k = 0; k < n; k++) put(prev);
      pos += 2;
    } else if (b === 0xc0 && fourBit) {
      need(pos, 2);
      const n = data[pos + 1]!;
      if (n % 2 !== 0) fail(`NKI 4-bit run of odd length ${n} at offset ${pos}`);
      room(pos, n);
      need(pos, 2 + n / 2);
      for (let k = 0; k < n / 2; k++) {
        const v = data[pos + 2 + k]!;
        put(prev + ((v << 24) >> 28));
        put(prev + (((v & 0x0f) << 28) >> 28));
      }
      pos += 2 + n / 2;
    } else if (b === 0x7f) {
      need(pos, 3);
      put((data[pos + 1]! << 8) | data[pos + 2]!);
      pos += 3;
    } else if (b <= 0x3f || b >= 0xc0) {
      put(prev + ((b << 24) >> 24));
      pos += 1;
    } else {
      need(pos, 2);
      const hi = b ^ 0x40;
      put(prev + ((((hi << 8) | data[pos + 1]!) << 16) >> 16));
      pos += 2;
    }
  }
  return out;
}

/**
 * Decompresses an NKI stream (the value of (7FDF,0010)) to 16-bit little-endian pixel words. Modes 2 and 4
 * verify the pixel CRC (mode 2 also tells a corrupted stream from a decoder fault by the stream CRC).
 */
export function nkiDecompress(data: Buffer): { pixels: Buffer; mode: number } {
  const h = readNkiHeader(data);
  const head = headerSize(h.mode);
  let end = data.length;
  if (h.compressedSize !== undefined) {
    if (head + h.compressedSize > data.length)
      fail(
        `NKI data truncated: header at offset 8 gives ${h.compressedSize} compressed bytes, ${data.length - head} present`,
      );
    end = head + h.compressedSize;
  }
  const pixels = decodeStream(data, head, end, h.pixelCount, h.mode >= 3);
  if (h.originalCrc !== undefined && nkiCrc(pixels) !== h.originalCrc) {
    const streamBad = h.mode === 2 && nkiCrc(data.subarray(head, end)) !== h.compressedCrc;
    fail(
      `NKI CRC mismatch: decoded pixels give ${hex(nkiCrc(pixels))}, header (offset 12) says ${hex(h.originalCrc)}` +
        (streamBad ? '; the compressed bytes fail their CRC too (offset 16): the data is corrupted' : ''),
    );
  }
  return { pixels, mode: h.mode };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

// ---- data sets --------------------------------------------------------------------------------------

export type NkiDatasetResult =
  | { readonly changed: true; readonly mode: number; readonly before: number; readonly after: number }
  | { readonly changed: false; readonly reason: string };

function unchanged(reason: string): NkiDatasetResult {
  return { changed: false, reason };
}

/** Moves native 16-bit single-sample Pixel Data into (7FDF,0010), NKI-compressed in `mode`. */
export function nkiCompressDataset(ds: Dataset, mode: NkiMode): NkiDatasetResult {
  if (ds.has(NKI_PIXEL_TAG))
    return unchanged('(7FDF,0010) already present: already NKI compressed or in use');
  const el = ds.get(PIXEL_DATA);
  if (!el) return unchanged('no Pixel Data');
  if (!el.hasBytes || el.undefinedLength) return unchanged('Pixel Data is encapsulated or not loaded');
  const bytes = el.bytes ?? Buffer.alloc(0);
  if (bytes.length === 0) return unchanged('Pixel Data is empty');
  if (!ds.littleEndian) return unchanged('big-endian data set: NKI compression needs little-endian pixels');
  if (ds.number('BitsAllocated') !== 16) return unchanged('NKI compression is for 16-bit pixels only');
  if ((ds.number('SamplesPerPixel') ?? 1) !== 1)
    return unchanged('NKI compression is for single-sample images only');
  const value = nkiCompress(bytes.length % 2 ? bytes.subarray(0, bytes.length - 1) : bytes, mode);
  ds.delete(PIXEL_DATA);
  ds.set(DataElement.ofBytes(NKI_PIXEL_TAG, el.vr === 'OB' ? 'OB' : 'OW', value));
  return { changed: true, mode, before: bytes.length, after: value.length };
}

/** Restores (7FE0,0010) from an NKI-compressed (7FDF,0010); CodecError when the stream is bad. */
export function nkiDecompressDataset(ds: Dataset): NkiDatasetResult {
  const el = ds.get(NKI_PIXEL_TAG);
  if (!el) return unchanged('no (7FDF,0010): not NKI compressed');
  if (ds.has(PIXEL_DATA)) return unchanged('Pixel Data also present: (7FDF,0010) is not NKI data');
  const bytes = el.bytes;
  if (!bytes) return unchanged('(7FDF,0010) has no plain value');
  const tag = bytes.toString('latin1', 0, 6);
  if (bytes.length > 6 && (tag === 'ACUSON' || tag === 'ELSCIN'))
    return unchanged(`(7FDF,0010) holds ${tag} private data, not NKI data`);
  if (bytes.length <= 8) return unchanged('(7FDF,0010) too short to be NKI data');
  if (!ds.littleEndian)
    return unchanged('big-endian data set: NKI data is only read from little-endian sets');
  const mode = bytes.readUInt32LE(4);
  if (mode < 1 || mode > 4)
    return unchanged(`(7FDF,0010) gives NKI mode ${mode}: not NKI data this version reads`);
  const { pixels } = nkiDecompress(bytes);
  ds.delete(NKI_PIXEL_TAG);
  ds.set(DataElement.ofBytes(PIXEL_DATA, 'OW', pixels));
  return { changed: true, mode, before: bytes.length, after: pixels.length };
}
