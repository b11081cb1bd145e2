/**
 * JPEG 2000 Part 1 (PS3.5 A.4.4, ISO 15444-1) through OpenJPEG: 1.2.840.10008.1.2.4.90 reversible (5/3)
 * and .91 irreversible (9/7). RGB is encoded with the multi-component transform, so the data set must then
 * say YBR_RCT (.90) or YBR_ICT (.91) (PS3.5 8.2.4); OpenJPEG inverts the transform on decode, which
 * therefore returns RGB for those.
 */
import {
  CodecError,
  type DecodedFrame,
  type EncodedFrame,
  type EncodeOptions,
  type FrameCodec,
  type PixelDescription,
} from './codec.js';
import { loadOpenJPEG, wasmErrorMessage, withObject } from './wasm/modules.js';
import {
  checkFrameInfo,
  checkSupported,
  evenLength,
  fromCodecSamples,
  nativeFrameLength,
  toCodecSamples,
} from './wasm/samples.js';

export const JPEG_2000_LOSSLESS = '1.2.840.10008.1.2.4.90';
export const JPEG_2000 = '1.2.840.10008.1.2.4.91';
/** Compression ratio for .91 when no quality is given (10:1, a common diagnostic-quality setting). */
export const DEFAULT_J2K_RATIO = 10;
/** Precision OpenJPEG's wrapper accepts (its buffers are 8 or 16 bits per sample). */
const MAX_BITS = 16;

function checkSyntax(uid: string): void {
  if (uid !== JPEG_2000_LOSSLESS && uid !== JPEG_2000) {
    throw new CodecError(`not a JPEG 2000 (Part 1) transfer syntax: ${uid}`, uid);
  }
}

/** Photometric of the decoded pixels: the colour transforms are undone by the decoder. */
export function decodedPhotometric(photometric: string): string {
  return photometric === 'YBR_RCT' || photometric === 'YBR_ICT' ? 'RGB' : photometric;
}

async function decode(frame: Buffer, d: PixelDescription, uid: string): Promise<DecodedFrame> {
  checkSyntax(uid);
  checkSupported(d, uid, MAX_BITS);
  const openjpeg = await loadOpenJPEG();
  const samples = withObject(
    () => new openjpeg.J2KDecoder(),
    (decoder) => {
      decoder.getEncodedBuffer(frame.length).set(frame);
      try {
        decoder.decode();
      } catch (err) {
        throw new CodecError(`JPEG 2000 decode failed: ${wasmErrorMessage(err)}`, uid);
      }
      checkFrameInfo(decoder.getFrameInfo(), d, uid);
      return Uint8Array.from(decoder.getDecodedBuffer());
    },
  );
  return {
    pixels: fromCodecSamples(samples, d, uid),
    photometricInterpretation: decodedPhotometric(d.photometricInterpretation),
    planarConfiguration: 0,
  };
}

/** Five decompositions (OpenJPEG's default) unless the image is too small for them. */
function decompositions(d: PixelDescription): number {
  return Math.max(0, Math.min(5, Math.floor(Math.log2(Math.min(d.rows, d.columns)))));
}

function checkEncodable(d: PixelDescription, uid: string): void {
  if (d.samplesPerPixel === 3 && (d.photometricInterpretation !== 'RGB' || d.bitsStored > 8)) {
    // The wrapper always applies the colour transform to 3 components, and only copies 8-bit colour.
    throw new CodecError(
      `JPEG 2000 encode takes 8-bit RGB colour, not ${d.bitsStored}-bit ${d.photometricInterpretation}`,
      uid,
    );
  }
  if (d.pixelRepresentation === 1 && d.bitsStored <= 8) {
    throw new CodecError('JPEG 2000 encode of signed pixels needs Bits Stored > 8', uid);
  }
}

function ratioOf(uid: string, options: EncodeOptions | undefined): number {
  const ratio = options?.quality ?? DEFAULT_J2K_RATIO;
  if (!(ratio > 1) || !Number.isFinite(ratio)) {
    throw new CodecError(`JPEG 2000 compression ratio must be > 1, got ${ratio}`, uid);
  }
  return ratio;
}

async function encode(
  pixels: Buffer,
  d: PixelDescription,
  uid: string,
  options?: EncodeOptions,
): Promise<EncodedFrame> {
  checkSyntax(uid);
  checkSupported(d, uid, MAX_BITS);
  checkEncodable(d, uid);
  const lossless = uid === JPEG_2000_LOSSLESS;
  const ratio = lossless ? 0 : ratioOf(uid, options);
  const input = toCodecSamples(pixels, d, 'extended', uid);
  const openjpeg = await loadOpenJPEG();
  const data = withObject(
    () => new openjpeg.J2KEncoder(),
    (encoder) => {
      const info = {
        width: d.columns,
        height: d.rows,
        bitsPerSample: d.bitsStored,
        componentCount: d.samplesPerPixel,
        isSigned: d.pixelRepresentation === 1,
      };
      encoder.getDecodedBuffer(info).set(input);
      encoder.setDecompositions(decompositions(d));
      if (lossless) encoder.setQuality(true, 0);
      else {
        encoder.setQuality(false, 1);
        encoder.setCompressionRatio(0, ratio);
      }
      try {
        encoder.encode();
      } catch (err) {
        throw new CodecError(`JPEG 2000 encode failed: ${wasmErrorMessage(err)}`, uid);
      }
      return evenLength(encoder.getEncodedBuffer());
    },
  );
  const photometricInterpretation =
    d.samplesPerPixel === 3 ? (lossless ? 'YBR_RCT' : 'YBR_ICT') : d.photometricInterpretation;
  if (lossless) return { data, photometricInterpretation };
  return {
    data,
    photometricInterpretation,
    lossy: { ratio: nativeFrameLength(d) / data.length, method: 'ISO_15444_1' },
  };
}

export const jpeg2000Codec: FrameCodec = {
  transferSyntaxUids: [JPEG_2000_LOSSLESS, JPEG_2000],
  lossless: false,
  decode,
  encode,
};
