/**
 * The corpus MANIFEST's pixel_sha256 rule (../shared/testdata/README.md, "pixel_sha256"), applied to
 * decoded native frames: every sample shifted down by HighBit+1−BitsStored, masked to Bits Stored, written
 * little-endian in a Bits Allocated container, pixels interleaved whatever the planar configuration, all
 * frames concatenated, SHA-256 in hex.
 *
 * Special layouts, as the README names them:
 * - packed-bits (Bits Allocated 1): the frames' bits concatenated (each frame rows×columns×samples bits,
 *   not padded to a byte) and packed bit 0 first: ceil(total/8) bytes.
 * - stored-bytes (native YBR_FULL_422): the stored Y Y Cb Cr bytes as they are.
 * - float32-le / 64-bit float: the little-endian bytes (the rule is the identity for them).
 */
import { createHash } from 'node:crypto';
import type { PixelDescription } from '../../src/codecs/codec.js';
import { nativeCodec } from '../../src/codecs/native.js';
import { allFrameBytes, describePixels } from '../../src/codecs/pixel-data.js';
import { readDicomFile } from '../../src/dicom/reader.js';

export function pixelHash(frames: readonly Buffer[], d: PixelDescription): string {
  const hash = createHash('sha256');
  if (d.bitsAllocated === 1) {
    hash.update(packFrameBits(frames, d.rows * d.columns * d.samplesPerPixel));
    return hash.digest('hex');
  }
  const storedBytes = d.photometricInterpretation === 'YBR_FULL_422' && d.samplesPerPixel === 3;
  for (const frame of frames)
    hash.update(storedBytes || d.bitsAllocated === 64 ? frame : canonical(frame, d));
  return hash.digest('hex');
}

/** One frame in the hashed form: interleaved, each sample shifted and masked in its container. */
export function canonical(frame: Buffer, d: PixelDescription): Buffer {
  const bytes = d.bitsAllocated / 8;
  const samples = d.rows * d.columns * d.samplesPerPixel;
  if (frame.length < samples * bytes)
    throw new Error(`frame has ${frame.length} bytes, ${samples * bytes} expected`);
  const shift = d.highBit + 1 - d.bitsStored;
  const mask = d.bitsStored >= 32 ? 0xffffffff : 2 ** d.bitsStored - 1;
  const planar = d.planarConfiguration === 1 && d.samplesPerPixel > 1;
  const pixels = d.rows * d.columns;
  const out = Buffer.alloc(samples * bytes);
  for (let i = 0; i < samples; i++) {
    // Source sample i of the interleaved order: pixel p, sample s.
    const p = Math.floor(i / d.samplesPerPixel);
    const s = i % d.samplesPerPixel;
    const src = (planar ? s * pixels + p : i) * bytes;
    const dst = i * bytes;
    if (bytes === 1) out[dst] = (frame[src]! >>> shift) & mask;
    else if (bytes === 2) out.writeUInt16LE((frame.readUInt16LE(src) >>> shift) & mask, dst);
    else out.writeUInt32LE(((frame.readUInt32LE(src) >>> shift) & mask) >>> 0, dst);
  }
  return out;
}

/** Concatenates `bitsPerFrame` bits of each frame (bit 0 of byte 0 first) and packs them. */
export function packFrameBits(frames: readonly Buffer[], bitsPerFrame: number): Buffer {
  const out = Buffer.alloc(Math.ceil((bitsPerFrame * frames.length) / 8));
  let bit = 0;
  for (const frame of frames) {
    if (frame.length * 8 < bitsPerFrame)
      throw new Error(`1-bit frame has ${frame.length} bytes, ${Math.ceil(bitsPerFrame / 8)} expected`);
    for (let i = 0; i < bitsPerFrame; i++, bit++)
      if ((frame[i >>> 3]! >>> (i & 7)) & 1) out[bit >>> 3] = out[bit >>> 3]! | (1 << (bit & 7));
  }
  return out;
}

/** The decoded (little-endian) frames of a file in a native or deflated syntax, and their description. */
export async function readNativeFrames(path: string): Promise<{ frames: Buffer[]; d: PixelDescription }> {
  const file = await readDicomFile(path);
  const ts = file.transferSyntax.uid;
  const d = describePixels(file.dataset, ts);
  const frames: Buffer[] = [];
  for (const raw of allFrameBytes(file.dataset, ts))
    frames.push((await nativeCodec.decode(raw, d, ts)).pixels);
  return { frames, d };
}
