/**
 * High-Throughput JPEG 2000 (ISO 15444-15) through OpenJPH: decode of 1.2.840.10008.1.2.4.201 (lossless),
 * .202 (lossless, RPCL) and .203 (lossy). Like Part 1, a codestream with the colour transform decodes to RGB.
 */
import { CodecError, type DecodedFrame, type FrameCodec, type PixelDescription } from './codec.js';
import { decodedPhotometric } from './jpeg-2000.js';
import { loadOpenJPH, wasmErrorMessage, withObject } from './wasm/modules.js';
import { checkFrameInfo, checkSupported, fromCodecSamples } from './wasm/samples.js';

export const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';
export const HTJ2K_LOSSLESS_RPCL = '1.2.840.10008.1.2.4.202';
export const HTJ2K = '1.2.840.10008.1.2.4.203';
const SYNTAXES = [HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K];

async function decode(frame: Buffer, d: PixelDescription, uid: string): Promise<DecodedFrame> {
  if (!SYNTAXES.includes(uid)) throw new CodecError(`not an HTJ2K transfer syntax: ${uid}`, uid);
  checkSupported(d, uid, 16);
  const openjph = await loadOpenJPH();
  const samples = withObject(
    () => new openjph.HTJ2KDecoder(),
    (decoder) => {
      decoder.getEncodedBuffer(frame.length).set(frame);
      try {
        decoder.decode();
      } catch (err) {
        const detail = decoder.getLastErrorMessage?.() || wasmErrorMessage(err);
        throw new CodecError(`HTJ2K decode failed: ${detail}`, uid);
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

export const htj2kCodec: FrameCodec = {
  transferSyntaxUids: SYNTAXES,
  lossless: false,
  decode,
};
