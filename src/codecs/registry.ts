/**
 * Which codec handles which transfer syntax, in order of preference: the first that accepts a frame wins,
 * and a CodecError of one (e.g. libjpeg-turbo and a 12-bit JPEG) passes the frame to the next. Codec
 * modules load on first use (their WASM builds are megabytes).
 */
import type { Dataset } from '../dicom/dataset.js';
import {
  CodecError,
  type DecodedFrame,
  type EncodedFrame,
  type EncodeOptions,
  type FrameCodec,
  type PixelDescription,
} from './codec.js';
import { describePixels, frameBytes, frameCount } from './pixel-data.js';

type Loader = () => Promise<FrameCodec>;

const native: Loader = async () => (await import('./native.js')).nativeCodec;
const rle: Loader = async () => (await import('./rle.js')).rleCodec;
const jpegLs: Loader = async () => (await import('./jpeg-ls.js')).jpegLsCodec;
const j2k: Loader = async () => (await import('./jpeg-2000.js')).jpeg2000Codec;
const htj2k: Loader = async () => (await import('./htj2k.js')).htj2kCodec;
const baseline: Loader = async () => (await import('./jpeg-baseline.js')).jpegBaselineCodec;
const lossless: Loader = async () => (await import('./jpeg/index.js')).jpegLosslessCodec;
const extended: Loader = async () => (await import('./jpeg/index.js')).jpegExtended12Codec;

const CODECS: ReadonlyMap<string, readonly Loader[]> = new Map([
  ['1.2.840.10008.1.2', [native]],
  ['1.2.840.10008.1.2.1', [native]],
  ['1.2.840.10008.1.2.2', [native]],
  ['1.2.840.10008.1.2.1.99', [native]],
  ['1.2.840.10008.1.2.5', [rle]],
  ['1.2.840.10008.1.2.4.50', [baseline]],
  ['1.2.840.10008.1.2.4.51', [baseline, extended]],
  ['1.2.840.10008.1.2.4.53', [baseline, extended]],
  ['1.2.840.10008.1.2.4.55', [baseline, extended]],
  ['1.2.840.10008.1.2.4.57', [lossless]],
  ['1.2.840.10008.1.2.4.70', [lossless]],
  ['1.2.840.10008.1.2.4.80', [jpegLs]],
  ['1.2.840.10008.1.2.4.81', [jpegLs]],
  ['1.2.840.10008.1.2.4.90', [j2k]],
  ['1.2.840.10008.1.2.4.91', [j2k]],
  ['1.2.840.10008.1.2.4.201', [htj2k]],
  ['1.2.840.10008.1.2.4.202', [htj2k]],
  ['1.2.840.10008.1.2.4.203', [htj2k]],
]);

/** Whether a transfer syntax has a codec here (to decode; `encode` also to encode). */
export function hasCodec(transferSyntaxUid: string): boolean {
  return CODECS.has(transferSyntaxUid);
}

async function codecsFor(transferSyntaxUid: string): Promise<FrameCodec[]> {
  const loaders = CODECS.get(transferSyntaxUid);
  if (!loaders) throw new CodecError(`no codec for transfer syntax ${transferSyntaxUid}`, transferSyntaxUid);
  return Promise.all(loaders.map((l) => l()));
}

/** Decodes one frame with the first codec that accepts it. */
export async function decodeFrame(
  frame: Buffer,
  description: PixelDescription,
  transferSyntaxUid: string,
  index = 0,
): Promise<DecodedFrame> {
  let last: CodecError | undefined;
  for (const codec of await codecsFor(transferSyntaxUid)) {
    try {
      return await codec.decode(frame, description, transferSyntaxUid);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      last = e;
    }
  }
  throw new CodecError(
    `frame ${index + 1}: ${last?.message ?? 'no codec accepted it'}`,
    transferSyntaxUid,
    index,
  );
}

/** Encodes one frame with the first codec of the syntax that can encode it. */
export async function encodeFrame(
  pixels: Buffer,
  description: PixelDescription,
  transferSyntaxUid: string,
  options?: EncodeOptions,
  index = 0,
): Promise<EncodedFrame> {
  let last: CodecError | undefined;
  for (const codec of await codecsFor(transferSyntaxUid)) {
    if (!codec.encode) continue;
    try {
      return await codec.encode(pixels, description, transferSyntaxUid, options);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      last = e;
    }
  }
  throw new CodecError(
    `frame ${index + 1}: ${last?.message ?? `this version cannot encode ${transferSyntaxUid}`}`,
    transferSyntaxUid,
    index,
  );
}

/** Every frame of a data set's Pixel Data, decoded (frame by frame: a caller streaming frames should use decodeFrame). */
export async function decodeAllFrames(
  ds: Dataset,
  transferSyntaxUid: string,
): Promise<{ description: PixelDescription; frames: DecodedFrame[] }> {
  const description = describePixels(ds, transferSyntaxUid);
  const frames: DecodedFrame[] = [];
  const n = frameCount(ds, transferSyntaxUid);
  for (let i = 0; i < n; i++)
    frames.push(await decodeFrame(frameBytes(ds, i, transferSyntaxUid), description, transferSyntaxUid, i));
  return { description, frames };
}
