/**
 * JPEG codecs written here (ITU-T T.81), for what no maintained WASM build offers in Node: lossless
 * process 14 (.57 any predictor, .70 predictor 1), encode and decode; and DCT decoding at 12 bits
 * (extended .51) plus the retired progressive / spectral selection syntaxes (.53, .55).
 */
import {
  CodecError,
  type DecodedFrame,
  type EncodedFrame,
  type FrameCodec,
  type PixelDescription,
} from '../codec.js';
import { decodeDct } from './dct-decode.js';
import { fail, JpegDataError } from './errors.js';
import { decodeLossless } from './lossless-decode.js';
import { encodeLossless } from './lossless-encode.js';
import { parseJpeg } from './markers.js';
import { fromPlanes, toPlanes, ycbcrToRgb } from './pixels.js';

export const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.57';
export const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
export const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
export const JPEG_SPECTRAL = '1.2.840.10008.1.2.4.53';
export const JPEG_PROGRESSIVE = '1.2.840.10008.1.2.4.55';

/**
 * The predictor Conquest's `j2` compression uses (jpegconv.cpp CompressJPEGL: .57 with selection value 6;
 * `j1` is .70, selection value 1). Pass it to encodeJpegLossless to produce what Conquest's j2 produces.
 */
export const CONQUEST_J2_PREDICTOR = 6;

/** Runs `fn`, turning malformed-stream errors into CodecError for this transfer syntax. */
function guarded<T>(uid: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof JpegDataError) throw new CodecError(`JPEG: ${e.message}`, uid);
    throw e;
  }
}

function checkGeometry(width: number, height: number, components: number, d: PixelDescription): void {
  if (width !== d.columns || height !== d.rows) {
    fail(`JPEG frame is ${width}x${height}, the data set says ${d.columns}x${d.rows}`, 0);
  }
  if (components !== d.samplesPerPixel) {
    fail(
      `JPEG frame has ${components} components, the data set says ${d.samplesPerPixel} samples per pixel`,
      0,
    );
  }
}

function decodeLosslessFrame(frame: Buffer, d: PixelDescription): DecodedFrame {
  const img = decodeLossless(frame, parseJpeg(frame));
  checkGeometry(img.width, img.height, img.planes.length, d);
  if (img.precision > d.bitsAllocated)
    fail(`precision ${img.precision} exceeds Bits Allocated ${d.bitsAllocated}`, 0);
  return {
    pixels: fromPlanes(img.planes, d),
    photometricInterpretation: d.photometricInterpretation,
    planarConfiguration: 0,
  };
}

/**
 * Encodes one native frame as JPEG lossless with the given predictor (selection value 1..7), precision =
 * Bits Stored, optimal Huffman table. Signed pixels are encoded as their Bits Stored bit pattern.
 */
export function encodeJpegLossless(pixels: Buffer, d: PixelDescription, predictor = 1): EncodedFrame {
  const uid = predictor === 1 ? JPEG_LOSSLESS_SV1 : JPEG_LOSSLESS;
  return guarded(uid, () => {
    if (!Number.isInteger(predictor) || predictor < 1 || predictor > 7)
      fail(`predictor ${predictor} not in 1..7`, 0);
    if (d.bitsStored < 2 || d.bitsStored > 16) fail(`Bits Stored ${d.bitsStored} not in 2..16`, 0);
    if (d.samplesPerPixel !== 1 && d.samplesPerPixel !== 3) fail(`${d.samplesPerPixel} samples per pixel`, 0);
    if (d.rows < 1 || d.columns < 1 || d.rows > 65535 || d.columns > 65535)
      fail(`${d.columns}x${d.rows} image`, 0);
    const planes = toPlanes(pixels, d);
    const data = encodeLossless(
      { width: d.columns, height: d.rows, precision: d.bitsStored, planes },
      predictor,
    );
    return { data, photometricInterpretation: d.photometricInterpretation };
  });
}

/** JPEG Lossless process 14: .57 (any predictor; we encode SV1 unless encodeJpegLossless says otherwise), .70. */
export const jpegLosslessCodec: FrameCodec = {
  transferSyntaxUids: [JPEG_LOSSLESS, JPEG_LOSSLESS_SV1],
  lossless: true,
  async decode(frame, description, transferSyntaxUid) {
    return guarded(transferSyntaxUid, () => decodeLosslessFrame(frame, description));
  },
  async encode(pixels, description, transferSyntaxUid, options) {
    if (transferSyntaxUid !== JPEG_LOSSLESS && transferSyntaxUid !== JPEG_LOSSLESS_SV1) {
      throw new CodecError(`not a JPEG lossless transfer syntax: ${transferSyntaxUid}`, transferSyntaxUid);
    }
    // .70 is by definition first-order prediction (SV1); .57 may use any predictor.
    const predictor = transferSyntaxUid === JPEG_LOSSLESS ? (options?.predictor ?? 1) : 1;
    return encodeJpegLossless(pixels, description, predictor);
  },
};

const YBR = /^YBR_(FULL|FULL_422|PARTIAL_422|PARTIAL_420)$/;

function decodeDctFrame(frame: Buffer, d: PixelDescription): DecodedFrame {
  const img = decodeDct(frame, parseJpeg(frame));
  checkGeometry(img.width, img.height, img.planes.length, d);
  if (img.precision > d.bitsAllocated)
    fail(`precision ${img.precision} exceeds Bits Allocated ${d.bitsAllocated}`, 0);
  let photometric = d.photometricInterpretation;
  if (img.planes.length === 3 && YBR.test(photometric)) {
    ycbcrToRgb(img.planes, img.precision);
    photometric = 'RGB';
  }
  return {
    pixels: fromPlanes(img.planes, d),
    photometricInterpretation: photometric,
    planarConfiguration: 0,
  };
}

/**
 * DCT JPEG decoding: extended sequential (.51) at 8 or 12 bits, spectral selection (.53) and progressive
 * (.55), Huffman coded, components not subsampled. Decode only.
 */
export const jpegExtended12Codec: FrameCodec = {
  transferSyntaxUids: [JPEG_EXTENDED, JPEG_SPECTRAL, JPEG_PROGRESSIVE],
  lossless: false,
  async decode(frame, description, transferSyntaxUid) {
    return guarded(transferSyntaxUid, () => decodeDctFrame(frame, description));
  },
};
