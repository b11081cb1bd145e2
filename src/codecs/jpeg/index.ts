/**
 * JPEG codecs written here (ITU-T T.81), for what no maintained WASM build offers in Node: lossless
 * process 14 (.57 any predictor, .70 predictor 1), encode and decode; and DCT decoding at 12 bits
 * (extended .51) plus the retired progressive / spectral selection syntaxes (.53, .55), and their encoding.
 */
import {
  CodecError,
  type DecodedFrame,
  type EncodedFrame,
  type FrameCodec,
  type PixelDescription,
} from '../codec.js';
import { nativeFrameLength } from '../pixel-data.js';
import { decodeDct } from './dct-decode.js';
import { type DctProcess, encodeDct } from './dct-encode.js';
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
 * DCT JPEG: extended sequential (.51) at 8 or 12 bits, spectral selection (.53) and progressive (.55),
 * Huffman coded, components not subsampled; decode, and encode (encodeJpegDct). The registry lists it
 * after libjpeg-turbo, which decodes 8-bit frames faster and refuses to encode these syntaxes.
 */
export const jpegExtended12Codec: FrameCodec = {
  transferSyntaxUids: [JPEG_EXTENDED, JPEG_SPECTRAL, JPEG_PROGRESSIVE],
  lossless: false,
  async decode(frame, description, transferSyntaxUid) {
    return guarded(transferSyntaxUid, () => decodeDctFrame(frame, description));
  },
  async encode(pixels, description, transferSyntaxUid, options) {
    return encodeJpegDct(pixels, description, transferSyntaxUid, options?.quality ?? DEFAULT_DCT_QUALITY);
  },
};

/** Conquest's LossyQuality default (dicom.ini), used when EncodeOptions.quality is absent. */
export const DEFAULT_DCT_QUALITY = 95;

const PROCESS_OF: Readonly<Record<string, DctProcess>> = {
  [JPEG_EXTENDED]: 'sequential',
  [JPEG_SPECTRAL]: 'spectral',
  [JPEG_PROGRESSIVE]: 'progressive',
};

/** Why a frame cannot be DCT-encoded here, or undefined when it can. */
function dctRefusal(d: PixelDescription): string | undefined {
  if (d.bitsStored < 2 || d.bitsStored > 12)
    return `DCT JPEG holds 8 or 12 bits, not Bits Stored ${d.bitsStored}`;
  if (d.pixelRepresentation === 1) return 'lossy JPEG of signed pixels is not supported';
  const p = d.photometricInterpretation;
  if (d.samplesPerPixel === 1 && p !== 'MONOCHROME1' && p !== 'MONOCHROME2')
    return `lossy JPEG takes MONOCHROME1/2 grey images, not ${p}`;
  if (d.samplesPerPixel === 3 && p !== 'RGB' && p !== 'YBR_FULL')
    return `lossy JPEG takes RGB or YBR_FULL colour, not ${p}`;
  if (d.samplesPerPixel !== 1 && d.samplesPerPixel !== 3) return `${d.samplesPerPixel} samples per pixel`;
  if (d.rows < 1 || d.columns < 1 || d.rows > 65535 || d.columns > 65535)
    return `${d.columns}x${d.rows} image`;
  return undefined;
}

/** IJG's RGB → YCbCr (jccolor.c coefficients), kept fractional: the DCT rounds once, later. */
function rgbToYcbcr(planes: readonly Uint16Array[], precision: number): Float64Array[] {
  const [r, g, b] = planes as [Uint16Array, Uint16Array, Uint16Array];
  const center = 1 << (precision - 1);
  const n = r.length;
  const y = new Float64Array(n);
  const cb = new Float64Array(n);
  const cr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = 0.299 * r[i]! + 0.587 * g[i]! + 0.114 * b[i]!;
    cb[i] = -0.168735892 * r[i]! - 0.331264108 * g[i]! + 0.5 * b[i]! + center;
    cr[i] = 0.5 * r[i]! - 0.418687589 * g[i]! - 0.081312411 * b[i]! + center;
  }
  return [y, cb, cr];
}

/**
 * Encodes one native frame as DCT JPEG: .51 extended sequential (SOF1), .53 spectral selection or .55
 * full progression (SOF2). Precision 8 when Bits Stored ≤ 8, else 12. RGB is coded as YCbCr and the
 * result says YBR_FULL (no subsampling), as Conquest's j4/j5/j6 via IJG do.
 */
export function encodeJpegDct(
  pixels: Buffer,
  d: PixelDescription,
  transferSyntaxUid: string,
  quality = DEFAULT_DCT_QUALITY,
): EncodedFrame {
  const uid = transferSyntaxUid;
  const process = PROCESS_OF[uid];
  if (!process) throw new CodecError(`not a DCT JPEG transfer syntax this codec encodes: ${uid}`, uid);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new CodecError(`JPEG quality must be an integer 1..100, got ${quality}`, uid);
  const refusal = dctRefusal(d);
  if (refusal) throw new CodecError(`JPEG: ${refusal}`, uid);
  return guarded(uid, () => {
    const precision = d.bitsStored <= 8 ? 8 : 12;
    const samples = toPlanes(pixels, d);
    const planes =
      d.samplesPerPixel === 3 && d.photometricInterpretation === 'RGB'
        ? rgbToYcbcr(samples, precision)
        : samples.map((p) => Float64Array.from(p));
    const data = encodeDct({ width: d.columns, height: d.rows, precision, planes }, process, quality);
    return {
      data,
      photometricInterpretation: d.samplesPerPixel === 3 ? 'YBR_FULL' : d.photometricInterpretation,
      lossy: { ratio: nativeFrameLength(d) / data.length, method: 'ISO_10918_1' },
    };
  });
}
