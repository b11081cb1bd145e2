/**
 * The uncompressed syntaxes as a FrameCodec, so that the transcoder treats every syntax alike: a native
 * frame (from frameBytes) "decodes" to itself in Little Endian, and is byte-swapped per sample container
 * (Bits Allocated 16, 32 or 64) from and to Explicit VR Big Endian. Deflate is undone/done by the reader
 * and writer for the whole data set, so the Deflated syntax's frames are plain Little Endian here.
 */
import type { DecodedFrame, EncodedFrame, FrameCodec, PixelDescription } from './codec.js';
import { CodecError } from './codec.js';
import { nativeFrameLength } from './pixel-data.js';

export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const ENCAPSULATED_UNCOMPRESSED_LE = '1.2.840.10008.1.2.1.98';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';

const NATIVE_SYNTAXES = [IMPLICIT_LE, EXPLICIT_LE, ENCAPSULATED_UNCOMPRESSED_LE, DEFLATED_LE, EXPLICIT_BE];

/** A copy of `frame` with every `bitsAllocated` container reversed (the frame itself is left alone). */
export function swapContainers(frame: Buffer, bitsAllocated: number): Buffer {
  if (bitsAllocated <= 8) return frame;
  const size = bitsAllocated / 8;
  if (frame.length % size !== 0)
    throw new CodecError(
      `frame of ${frame.length} bytes is not a whole number of ${size}-byte samples`,
      EXPLICIT_BE,
    );
  const out = Buffer.from(frame);
  if (size === 2) out.swap16();
  else if (size === 4) out.swap32();
  else out.swap64();
  return out;
}

/** The frame without the pad byte an odd-length frame gets as a fragment of the .98 syntax. */
function check(frame: Buffer, d: PixelDescription, ts: string): Buffer {
  if (!NATIVE_SYNTAXES.includes(ts)) throw new CodecError('not an uncompressed transfer syntax', ts);
  const expected = nativeFrameLength(d);
  if (ts === ENCAPSULATED_UNCOMPRESSED_LE && frame.length === expected + 1 && expected % 2 === 1)
    return frame.subarray(0, expected);
  if (frame.length !== expected)
    throw new CodecError(
      `native frame has ${frame.length} bytes; ${d.rows}x${d.columns}x${d.samplesPerPixel} at ` +
        `${d.bitsAllocated} bits needs ${expected}`,
      ts,
    );
  return frame;
}

export const nativeCodec: FrameCodec = {
  transferSyntaxUids: NATIVE_SYNTAXES,
  lossless: true,
  async decode(frame: Buffer, d: PixelDescription, ts: string): Promise<DecodedFrame> {
    const body = check(frame, d, ts);
    const pixels = ts === EXPLICIT_BE ? swapContainers(body, d.bitsAllocated) : body;
    return {
      pixels,
      photometricInterpretation: d.photometricInterpretation,
      planarConfiguration: d.planarConfiguration,
    };
  },
  async encode(pixels: Buffer, d: PixelDescription, ts: string): Promise<EncodedFrame> {
    check(pixels, d, ts);
    const data = ts === EXPLICIT_BE ? swapContainers(pixels, d.bitsAllocated) : pixels;
    return { data, photometricInterpretation: d.photometricInterpretation };
  },
};
