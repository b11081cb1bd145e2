/**
 * JPEG-LS (PS3.5 A.4.3, ISO 14495-1) through CharLS: 1.2.840.10008.1.2.4.80 lossless and .81 near-lossless.
 * CharLS codes the Bits Stored bit pattern, so signed pixels travel as their two's-complement pattern and are
 * sign-extended again on decode.
 */
import {
  CodecError,
  type DecodedFrame,
  type EncodedFrame,
  type EncodeOptions,
  type FrameCodec,
  type PixelDescription,
} from './codec.js';
import { loadCharLS, wasmErrorMessage, withObject } from './wasm/modules.js';
import {
  checkFrameInfo,
  checkSupported,
  codecBytesPerSample,
  evenLength,
  fromCodecSamples,
  nativeFrameLength,
  toCodecSamples,
} from './wasm/samples.js';

export const JPEG_LS_LOSSLESS = '1.2.840.10008.1.2.4.80';
export const JPEG_LS_NEAR_LOSSLESS = '1.2.840.10008.1.2.4.81';
/** NEAR used for .81 when no quality is given (the value dcmtk's dcmcjpls tests and the corpus use). */
export const DEFAULT_NEAR = 2;

/** CharLS interleave modes (ISO 14495-1 ILV). */
const ILV_NONE = 0;
const ILV_SAMPLE = 2;

function checkSyntax(uid: string): void {
  if (uid !== JPEG_LS_LOSSLESS && uid !== JPEG_LS_NEAR_LOSSLESS) {
    throw new CodecError(`not a JPEG-LS transfer syntax: ${uid}`, uid);
  }
}

/** ILV=0 streams decode to one plane per component; the contract wants samples interleaved. */
function interleavePlanes(planar: Uint8Array, d: PixelDescription): Uint8Array {
  const bytes = codecBytesPerSample(d.bitsStored);
  const pixels = d.rows * d.columns;
  const out = new Uint8Array(pixels * d.samplesPerPixel * bytes);
  for (let c = 0; c < d.samplesPerPixel; c++) {
    for (let p = 0; p < pixels; p++) {
      const src = (c * pixels + p) * bytes;
      const dst = (p * d.samplesPerPixel + c) * bytes;
      out[dst] = planar[src]!;
      if (bytes === 2) out[dst + 1] = planar[src + 1]!;
    }
  }
  return out;
}

async function decode(frame: Buffer, d: PixelDescription, uid: string): Promise<DecodedFrame> {
  checkSyntax(uid);
  checkSupported(d, uid, 16);
  const charls = await loadCharLS();
  const samples = withObject(
    () => new charls.JpegLSDecoder(),
    (decoder) => {
      decoder.getEncodedBuffer(frame.length).set(frame);
      try {
        decoder.decode();
      } catch (err) {
        throw new CodecError(`JPEG-LS decode failed: ${wasmErrorMessage(err)}`, uid);
      }
      checkFrameInfo(decoder.getFrameInfo(), d, uid);
      // Copy out before delete() frees the WASM memory the view points into.
      const decoded = Uint8Array.from(decoder.getDecodedBuffer());
      return d.samplesPerPixel > 1 && decoder.getInterleaveMode() === ILV_NONE
        ? interleavePlanes(decoded, d)
        : decoded;
    },
  );
  return {
    pixels: fromCodecSamples(samples, d, uid),
    photometricInterpretation: d.photometricInterpretation,
    planarConfiguration: 0,
  };
}

function nearValue(uid: string, options: EncodeOptions | undefined): number {
  if (uid === JPEG_LS_LOSSLESS) return 0;
  const near = options?.quality ?? DEFAULT_NEAR;
  if (!Number.isInteger(near) || near < 1 || near > 255) {
    throw new CodecError(`JPEG-LS NEAR must be an integer 1..255, got ${near}`, uid);
  }
  return near;
}

async function encode(
  pixels: Buffer,
  d: PixelDescription,
  uid: string,
  options?: EncodeOptions,
): Promise<EncodedFrame> {
  checkSyntax(uid);
  checkSupported(d, uid, 16);
  const near = nearValue(uid, options);
  const input = toCodecSamples(pixels, d, 'pattern', uid);
  const charls = await loadCharLS();
  const data = withObject(
    () => new charls.JpegLSEncoder(),
    (encoder) => {
      const info = {
        width: d.columns,
        height: d.rows,
        bitsPerSample: d.bitsStored,
        componentCount: d.samplesPerPixel,
      };
      encoder.getDecodedBuffer(info).set(input);
      encoder.setNearLossless(near);
      if (d.samplesPerPixel > 1) encoder.setInterleaveMode(ILV_SAMPLE);
      try {
        encoder.encode();
      } catch (err) {
        throw new CodecError(`JPEG-LS encode failed: ${wasmErrorMessage(err)}`, uid);
      }
      return evenLength(encoder.getEncodedBuffer());
    },
  );
  const result: EncodedFrame = { data, photometricInterpretation: d.photometricInterpretation };
  if (near === 0) return result;
  return { ...result, lossy: { ratio: nativeFrameLength(d) / data.length, method: 'ISO_14495_1' } };
}

export const jpegLsCodec: FrameCodec = {
  transferSyntaxUids: [JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS],
  lossless: false,
  decode,
  encode,
};
