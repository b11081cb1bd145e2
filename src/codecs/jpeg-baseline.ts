/**
 * 8-bit JPEG (ISO 10918-1) through libjpeg-turbo: decode and encode of JPEG Baseline
 * 1.2.840.10008.1.2.4.50, and decode of JPEG Extended (.51), Spectral Selection (.53, retired) and Full
 * Progression (.55, retired) frames whose precision is 8 bits. 12-bit frames are refused with a CodecError
 * so that a registry can hand them to the 12-bit decoder.
 */
import {
  CodecError,
  type DecodedFrame,
  type EncodedFrame,
  type EncodeOptions,
  type FrameCodec,
  type PixelDescription,
} from './codec.js';
import { loadLibJpegTurbo, wasmErrorMessage, withObject } from './wasm/modules.js';
import {
  checkFrameInfo,
  checkSupported,
  evenLength,
  fromCodecSamples,
  nativeFrameLength,
  toCodecSamples,
} from './wasm/samples.js';

export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
export const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
export const JPEG_SPECTRAL = '1.2.840.10008.1.2.4.53';
export const JPEG_PROGRESSIVE = '1.2.840.10008.1.2.4.55';
const DECODABLE = [JPEG_BASELINE, JPEG_EXTENDED, JPEG_SPECTRAL, JPEG_PROGRESSIVE];
/** Conquest's LossyQuality default. */
export const DEFAULT_JPEG_QUALITY = 95;
/** TurboJPEG TJSAMP_422: chroma halved horizontally, which DICOM calls YBR_FULL_422. */
const TJSAMP_422 = 1;

/** The frame header (SOFn) of a JPEG stream: its process marker and sample precision. */
export interface JpegFrameHeader {
  readonly marker: number;
  readonly precision: number;
}

/** Walks the marker segments up to the first SOFn; undefined when there is none before the scan. */
export function readJpegFrameHeader(stream: Buffer): JpegFrameHeader | undefined {
  if (stream.length < 4 || stream[0] !== 0xff || stream[1] !== 0xd8) return undefined;
  let pos = 2;
  while (pos + 4 <= stream.length) {
    if (stream[pos] !== 0xff) return undefined;
    const marker = stream[pos + 1]!;
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    const length = stream.readUInt16BE(pos + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return pos + 4 < stream.length ? { marker, precision: stream[pos + 4]! } : undefined;
    if (marker === 0xda) return undefined;
    pos += 2 + length;
  }
  return undefined;
}

function checkDecodable(frame: Buffer, uid: string): void {
  if (!DECODABLE.includes(uid)) throw new CodecError(`not an 8-bit JPEG transfer syntax: ${uid}`, uid);
  const header = readJpegFrameHeader(frame);
  if (!header) throw new CodecError('JPEG stream has no SOI marker or frame header (SOFn)', uid);
  if (header.precision !== 8) {
    throw new CodecError(
      `JPEG precision ${header.precision} is not handled by the 8-bit libjpeg-turbo decoder (use the 12-bit JPEG decoder)`,
      uid,
    );
  }
  if (header.marker === 0xc3 || header.marker === 0xc7 || header.marker === 0xcb || header.marker === 0xcf) {
    throw new CodecError('lossless JPEG (process 14) is not handled by the libjpeg-turbo decoder', uid);
  }
}

async function decode(frame: Buffer, d: PixelDescription, uid: string): Promise<DecodedFrame> {
  checkDecodable(frame, uid);
  checkSupported(d, uid, 8);
  const turbo = await loadLibJpegTurbo();
  const samples = withObject(
    () => new turbo.JPEGDecoder(),
    (decoder) => {
      decoder.getEncodedBuffer(frame.length).set(frame);
      try {
        decoder.decode();
      } catch (err) {
        throw new CodecError(`JPEG decode failed: ${wasmErrorMessage(err)}`, uid);
      }
      checkFrameInfo(decoder.getFrameInfo(), d, uid);
      return Uint8Array.from(decoder.getDecodedBuffer());
    },
  );
  // libjpeg converts YCbCr scans to RGB (and leaves Adobe/“RGB”-tagged scans alone), so colour is RGB.
  return {
    pixels: fromCodecSamples(samples, d, uid),
    photometricInterpretation: d.samplesPerPixel === 3 ? 'RGB' : d.photometricInterpretation,
    planarConfiguration: 0,
  };
}

function qualityOf(uid: string, options: EncodeOptions | undefined): number {
  const quality = options?.quality ?? DEFAULT_JPEG_QUALITY;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new CodecError(`JPEG quality must be an integer 1..100, got ${quality}`, uid);
  }
  return quality;
}

function checkEncodable(d: PixelDescription, uid: string): void {
  if (uid !== JPEG_BASELINE) throw new CodecError(`this codec encodes JPEG Baseline only, not ${uid}`, uid);
  if (d.bitsStored > 8) throw new CodecError(`JPEG Baseline holds 8 bits, not ${d.bitsStored}`, uid);
  if (d.pixelRepresentation === 1) throw new CodecError('JPEG Baseline cannot hold signed pixels', uid);
  if (d.samplesPerPixel === 3 && d.photometricInterpretation !== 'RGB') {
    throw new CodecError(`JPEG Baseline encode takes RGB colour, not ${d.photometricInterpretation}`, uid);
  }
}

async function encode(
  pixels: Buffer,
  d: PixelDescription,
  uid: string,
  options?: EncodeOptions,
): Promise<EncodedFrame> {
  checkSupported(d, uid, 8);
  checkEncodable(d, uid);
  const quality = qualityOf(uid, options);
  const input = toCodecSamples(pixels, d, 'pattern', uid);
  const turbo = await loadLibJpegTurbo();
  const data = withObject(
    () => new turbo.JPEGEncoder(),
    (encoder) => {
      const info = {
        width: d.columns,
        height: d.rows,
        bitsPerSample: 8,
        componentCount: d.samplesPerPixel,
        isSigned: false,
      };
      encoder.getDecodedBuffer(info).set(input);
      encoder.setProgressive(0); // the wrapper defaults to progressive, which is not .50
      encoder.setQuality(quality);
      encoder.setSubSampling(TJSAMP_422);
      try {
        encoder.encode();
      } catch (err) {
        throw new CodecError(`JPEG encode failed: ${wasmErrorMessage(err)}`, uid);
      }
      return evenLength(encoder.getEncodedBuffer());
    },
  );
  // TurboJPEG writes a JFIF YCbCr stream for RGB input: PS3.5 8.2.1 requires YBR_FULL_422 for 4:2:2.
  const photometricInterpretation = d.samplesPerPixel === 3 ? 'YBR_FULL_422' : d.photometricInterpretation;
  return {
    data,
    photometricInterpretation,
    lossy: { ratio: nativeFrameLength(d) / data.length, method: 'ISO_10918_1' },
  };
}

export const jpegBaselineCodec: FrameCodec = {
  transferSyntaxUids: DECODABLE,
  lossless: false,
  decode,
  encode,
};
