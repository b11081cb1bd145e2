/**
 * RLE Lossless (1.2.840.10008.1.2.5, PS3.5 Annex G). A frame is one fragment: a 64-byte header (number
 * of segments, then 15 segment offsets, little-endian 32-bit) and one segment per byte plane — for each
 * sample in turn, its most significant byte first. A segment is PackBits: a header byte n of 0..127
 * copies the next n+1 bytes, −1..−127 repeats the next byte 1−n times, −128 does nothing.
 */
import type { DecodedFrame, EncodedFrame, FrameCodec, PixelDescription } from './codec.js';
import { CodecError } from './codec.js';

export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

const HEADER = 64;
const MAX_SEGMENTS = 15;

/** Where the bytes of one plane go in the native frame: first position and distance between pixels. */
interface Plane {
  readonly start: number;
  readonly stride: number;
}

function layout(d: PixelDescription, ts: string, frame?: number): { planes: Plane[]; length: number } {
  if (d.bitsAllocated % 8 !== 0 || d.bitsAllocated > 32 || d.bitsAllocated === 24)
    throw new CodecError(`RLE supports Bits Allocated 8, 16 or 32, not ${d.bitsAllocated}`, ts, frame);
  const bytes = d.bitsAllocated / 8;
  const spp = d.samplesPerPixel;
  const pixels = d.rows * d.columns;
  if (spp * bytes > MAX_SEGMENTS)
    throw new CodecError(`${spp} samples of ${bytes} bytes need more than 15 RLE segments`, ts, frame);
  const planar = d.planarConfiguration === 1 && spp > 1;
  const planes: Plane[] = [];
  for (let s = 0; s < spp; s++)
    for (let b = 0; b < bytes; b++) {
      // Segment order is most significant byte first; native containers are little-endian.
      const byteInSample = bytes - 1 - b;
      planes.push(
        planar
          ? { start: s * pixels * bytes + byteInSample, stride: bytes }
          : { start: s * bytes + byteInSample, stride: spp * bytes },
      );
    }
  return { planes, length: pixels * spp * bytes };
}

// ---- decode -----------------------------------------------------------------------------------------

function segmentBounds(frame: Buffer, count: number, ts: string): [number, number][] {
  if (frame.length < HEADER)
    throw new CodecError(`RLE frame of ${frame.length} bytes is shorter than its 64-byte header`, ts);
  const n = frame.readUInt32LE(0);
  if (n !== count)
    throw new CodecError(`RLE header declares ${n} segments; the pixel description needs ${count}`, ts);
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) offsets.push(frame.readUInt32LE(4 + 4 * i));
  offsets.push(frame.length);
  const bounds: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    if (start < HEADER || start > frame.length || end < start)
      throw new CodecError(
        `RLE segment ${i + 1} has offset ${start} (next ${end}) outside the ${frame.length}-byte frame`,
        ts,
      );
    bounds.push([start, end]);
  }
  return bounds;
}

/** Decodes bytes [start, end) of `src` into `count` bytes of `out` at `plane`; throws with the offset. */
function unpackSegment(
  src: Buffer,
  start: number,
  end: number,
  out: Buffer,
  plane: Plane,
  count: number,
  segment: number,
  ts: string,
): void {
  let i = start;
  let o = plane.start;
  let produced = 0;
  const fail = (why: string, at: number): never => {
    throw new CodecError(`RLE segment ${segment}, offset ${at}: ${why}`, ts);
  };
  while (produced < count) {
    if (i >= end) fail(`segment ends after ${produced} of ${count} bytes`, i);
    const n = src[i]!;
    if (n < 128) {
      const len = n + 1;
      if (i + 1 + len > end) fail(`literal run of ${len} bytes passes the segment end ${end}`, i);
      if (produced + len > count) fail(`literal run of ${len} bytes overflows the ${count}-byte plane`, i);
      for (let k = 0; k < len; k++, o += plane.stride) out[o] = src[i + 1 + k]!;
      produced += len;
      i += 1 + len;
    } else if (n > 128) {
      const len = 257 - n;
      if (i + 1 >= end) fail('replicate run has no byte to repeat', i);
      if (produced + len > count) fail(`replicate run of ${len} bytes overflows the ${count}-byte plane`, i);
      const v = src[i + 1]!;
      for (let k = 0; k < len; k++, o += plane.stride) out[o] = v;
      produced += len;
      i += 2;
    } else i += 1;
  }
  // Whatever follows (a pad byte, no-op headers) is ignored, as every common decoder does.
}

export function decodeRle(frame: Buffer, d: PixelDescription, ts = RLE_LOSSLESS): Buffer {
  const { planes, length } = layout(d, ts);
  const bounds = segmentBounds(frame, planes.length, ts);
  const out = Buffer.alloc(length);
  const pixels = d.rows * d.columns;
  planes.forEach((plane, s) => {
    const [start, end] = bounds[s]!;
    unpackSegment(frame, start, end, out, plane, pixels, s + 1, ts);
  });
  return out;
}

// ---- encode -----------------------------------------------------------------------------------------

/** PackBits of one row (runs never cross a row, PS3.5 G.3.1), appended to `out`. */
function packRow(row: Uint8Array, out: number[]): void {
  const n = row.length;
  let i = 0;
  while (i < n) {
    let run = 1;
    while (i + run < n && run < 128 && row[i + run] === row[i]) run++;
    if (run >= 2) {
      out.push(257 - run, row[i]!);
      i += run;
      continue;
    }
    // Literal: up to the next run of three equal bytes (a run of two costs as much as a literal).
    const from = i;
    while (i < n && i - from < 128) {
      if (i + 2 < n && row[i] === row[i + 1] && row[i] === row[i + 2]) break;
      i++;
    }
    out.push(i - from - 1);
    for (let k = from; k < i; k++) out.push(row[k]!);
  }
}

export function encodeRle(pixels: Buffer, d: PixelDescription, ts = RLE_LOSSLESS): Buffer {
  const { planes, length } = layout(d, ts);
  if (pixels.length !== length)
    throw new CodecError(`frame has ${pixels.length} bytes; the pixel description needs ${length}`, ts);
  const segments: Buffer[] = [];
  const row = new Uint8Array(d.columns);
  for (const plane of planes) {
    const bytes: number[] = [];
    for (let r = 0; r < d.rows; r++) {
      let o = plane.start + r * d.columns * plane.stride;
      for (let c = 0; c < d.columns; c++, o += plane.stride) row[c] = pixels[o]!;
      packRow(row, bytes);
    }
    // Segments are even-length; a trailing −128 (no-op) keeps the pad byte meaningless to any decoder.
    if (bytes.length % 2 === 1) bytes.push(128);
    segments.push(Buffer.from(bytes));
  }
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(segments.length, 0);
  let at = HEADER;
  segments.forEach((s, i) => {
    header.writeUInt32LE(at, 4 + 4 * i);
    at += s.length;
  });
  return Buffer.concat([header, ...segments]);
}

export const rleCodec: FrameCodec = {
  transferSyntaxUids: [RLE_LOSSLESS],
  lossless: true,
  async decode(frame: Buffer, d: PixelDescription, ts: string): Promise<DecodedFrame> {
    return {
      pixels: decodeRle(frame, d, ts),
      photometricInterpretation: d.photometricInterpretation,
      planarConfiguration: d.samplesPerPixel > 1 ? d.planarConfiguration : 0,
    };
  },
  async encode(pixels: Buffer, d: PixelDescription, ts: string): Promise<EncodedFrame> {
    return { data: encodeRle(pixels, d, ts), photometricInterpretation: d.photometricInterpretation };
  },
};
