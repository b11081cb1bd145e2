/**
 * Moves samples between DICOM native layout (Bits Allocated containers, High Bit anywhere, planar or
 * interleaved) and the layout the WASM codecs exchange: interleaved, one byte per sample up to 8 bits,
 * else two bytes little-endian, value in the low Bits Stored bits.
 */
import { CodecError, type PixelDescription } from '../codec.js';

/**
 * Bytes of a frame as the codecs take and give it: every sample of every pixel present. Not
 * pixel-data.ts's nativeFrameLength, which counts a native YBR_FULL_422 frame (stored 4:2:2) at two samples
 * per pixel: a JPEG frame described as YBR_FULL_422 decodes to three.
 */
export function nativeFrameLength(d: PixelDescription): number {
  return d.rows * d.columns * d.samplesPerPixel * (d.bitsAllocated / 8);
}

/** Bytes per sample in the codecs' buffers. */
export function codecBytesPerSample(bitsStored: number): 1 | 2 {
  return bitsStored <= 8 ? 1 : 2;
}

/** How the codec wants signed values: as the Bits Stored bit pattern (JPEG-LS, JPEG) or sign-extended (J2K). */
export type SignedForm = 'pattern' | 'extended';

export function checkSupported(d: PixelDescription, uid: string, maxBits: number): void {
  if (d.bitsAllocated !== 8 && d.bitsAllocated !== 16) {
    throw new CodecError(`Bits Allocated ${d.bitsAllocated} is not supported (8 or 16)`, uid);
  }
  if (d.bitsStored < 2 || d.bitsStored > Math.min(maxBits, d.bitsAllocated)) {
    throw new CodecError(`Bits Stored ${d.bitsStored} is not supported (2..${maxBits})`, uid);
  }
  if (d.highBit >= d.bitsAllocated || d.highBit + 1 < d.bitsStored) {
    throw new CodecError(`High Bit ${d.highBit} does not fit Bits Stored ${d.bitsStored}`, uid);
  }
  if (d.samplesPerPixel !== 1 && d.samplesPerPixel !== 3) {
    throw new CodecError(`Samples per Pixel ${d.samplesPerPixel} is not supported (1 or 3)`, uid);
  }
}

/** Native frame → codec input (interleaved, low bits, signed as asked). */
export function toCodecSamples(
  pixels: Buffer,
  d: PixelDescription,
  signed: SignedForm,
  uid: string,
): Uint8Array {
  const count = d.rows * d.columns * d.samplesPerPixel;
  if (pixels.length < nativeFrameLength(d)) {
    throw new CodecError(`frame has ${pixels.length} bytes, ${nativeFrameLength(d)} expected`, uid);
  }
  const bytes = codecBytesPerSample(d.bitsStored);
  const out = new Uint8Array(count * bytes);
  const shift = d.highBit + 1 - d.bitsStored;
  const mask = d.bitsStored >= 32 ? 0xffffffff : (1 << d.bitsStored) - 1;
  const sign = 1 << (d.bitsStored - 1);
  const extend = signed === 'extended' && d.pixelRepresentation === 1;
  const planar = d.samplesPerPixel > 1 && d.planarConfiguration === 1;
  const pixelCount = d.rows * d.columns;
  for (let i = 0; i < count; i++) {
    // i is the interleaved index; read from the planar position when the frame is planar.
    const src = planar ? (i % d.samplesPerPixel) * pixelCount + Math.floor(i / d.samplesPerPixel) : i;
    const word = d.bitsAllocated === 8 ? pixels[src]! : pixels.readUInt16LE(src * 2);
    let v = (word >>> shift) & mask;
    if (extend && v & sign) v -= 1 << d.bitsStored;
    if (bytes === 1) out[i] = v & 0xff;
    else {
      out[i * 2] = v & 0xff;
      out[i * 2 + 1] = (v >> 8) & 0xff;
    }
  }
  return out;
}

/**
 * Codec output → native frame (interleaved). Values go back to High Bit's position; signed values are
 * sign-extended through the container, as most writers store them.
 */
export function fromCodecSamples(samples: Uint8Array, d: PixelDescription, uid: string): Buffer {
  const count = d.rows * d.columns * d.samplesPerPixel;
  const bytes = codecBytesPerSample(d.bitsStored);
  if (samples.length < count * bytes) {
    throw new CodecError(`decoded ${samples.length} bytes, ${count * bytes} expected`, uid);
  }
  const out = Buffer.alloc(nativeFrameLength(d));
  const shift = d.highBit + 1 - d.bitsStored;
  const mask = (1 << d.bitsStored) - 1;
  const sign = 1 << (d.bitsStored - 1);
  const containerMask = d.bitsAllocated === 8 ? 0xff : 0xffff;
  const signed = d.pixelRepresentation === 1;
  for (let i = 0; i < count; i++) {
    let v = bytes === 1 ? samples[i]! : samples[i * 2]! | (samples[i * 2 + 1]! << 8);
    v &= mask;
    if (signed && v & sign) v -= 1 << d.bitsStored;
    const word = (v << shift) & containerMask;
    if (d.bitsAllocated === 8) out[i] = word;
    else out.writeUInt16LE(word, i * 2);
  }
  return out;
}

/** Checks the stream's own header against the data set's before trusting either. */
export function checkFrameInfo(
  info: { width: number; height: number; componentCount: number; bitsPerSample: number },
  d: PixelDescription,
  uid: string,
): void {
  if (info.width !== d.columns || info.height !== d.rows) {
    throw new CodecError(
      `stream is ${info.width}x${info.height} but Columns/Rows say ${d.columns}x${d.rows}`,
      uid,
    );
  }
  if (info.componentCount !== d.samplesPerPixel) {
    throw new CodecError(
      `stream has ${info.componentCount} components but Samples per Pixel is ${d.samplesPerPixel}`,
      uid,
    );
  }
  if (
    codecBytesPerSample(info.bitsPerSample) !== codecBytesPerSample(d.bitsStored) ||
    info.bitsPerSample > d.bitsAllocated
  ) {
    throw new CodecError(
      `stream precision ${info.bitsPerSample} does not fit Bits Stored ${d.bitsStored} / Allocated ${d.bitsAllocated}`,
      uid,
    );
  }
}

/** Fragments have even length (PS3.5 A.4): a stream of odd length gets one trailing NUL after its EOI. */
export function evenLength(encoded: Uint8Array): Buffer {
  if (encoded.length % 2 === 0) return Buffer.from(encoded);
  const out = Buffer.alloc(encoded.length + 1);
  out.set(encoded);
  return out;
}
