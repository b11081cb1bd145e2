/**
 * The contract every pixel codec fulfils (src/codecs): one frame at a time, from its encoded bytes to
 * native pixels and back. A codec knows nothing of files, data sets or the network; the transcoder
 * (later) gives it the frame bytes and the pixel description read from the data set.
 *
 * Native pixels ("decoded") are, whatever the codec: rows × columns pixels in row-major order, samples of a
 * pixel next to each other (planar configuration 0) unless `planarConfiguration` says 1, each sample
 * little-endian in a container of `bitsAllocated` bits (1 = packed bits, 8, 16 or 32), as DICOM stores
 * native Pixel Data. Encoders take pixels in the same form.
 */

/** What the data set says about its pixels (PS3.3 C.7.6.3), as read from the header. */
export interface PixelDescription {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: 0 | 1;
  /** 0 interleaved (R,G,B,R,G,B…), 1 planar (R…R,G…G,B…B); only meaningful for samplesPerPixel > 1. */
  readonly planarConfiguration: 0 | 1;
  /** MONOCHROME1, MONOCHROME2, RGB, YBR_FULL, YBR_FULL_422, YBR_ICT, YBR_RCT, PALETTE COLOR... */
  readonly photometricInterpretation: string;
  readonly numberOfFrames: number;
}

/** A decoded frame and how its pixels are now to be described. */
export interface DecodedFrame {
  /** Native pixels (see the module comment). */
  readonly pixels: Buffer;
  /**
   * The photometric interpretation of `pixels` — it can change: a JPEG baseline YBR_FULL_422 frame decodes
   * to RGB, a JPEG 2000 YBR_ICT/YBR_RCT frame to RGB.
   */
  readonly photometricInterpretation: string;
  readonly planarConfiguration: 0 | 1;
}

export interface EncodeOptions {
  /**
   * Lossy quality: JPEG quality 1..100, JPEG 2000 compression ratio / bit rate, JPEG-LS NEAR (allowed
   * error). Ignored by lossless codecs. Default: the codec's (Conquest's LossyQuality default is 95).
   */
  readonly quality?: number;
  /**
   * JPEG lossless process 14 (.57): the predictor (selection value) 1..7; default 1. Conquest's j2 writes
   * .57 with predictor 6 (jpegconv.cpp).
   */
  readonly predictor?: number;
}

/** An encoded frame, and what the data set must then say about it. */
export interface EncodedFrame {
  readonly data: Buffer;
  /** The photometric interpretation the encoded frame decodes to (e.g. YBR_FULL_422 for baseline colour). */
  readonly photometricInterpretation: string;
  /** For lossy encodings: Lossy Image Compression Ratio and Method (0028,2112 / 0028,2114). */
  readonly lossy?: { readonly ratio: number; readonly method: string };
}

/** Typed failure of a codec; `frame` is the frame index when known. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    message: string,
    readonly transferSyntaxUid: string,
    readonly frame?: number,
  ) {
    super(message);
  }
}

/** One transfer syntax's codec. */
export interface FrameCodec {
  /** The transfer syntaxes it decodes (and, with `encode`, encodes). */
  readonly transferSyntaxUids: readonly string[];
  /** Lossless for every input it accepts (false for .50/.51/.81/.91 and the like). */
  readonly lossless: boolean;
  decode(frame: Buffer, description: PixelDescription, transferSyntaxUid: string): Promise<DecodedFrame>;
  /** Absent when the codec only decodes (e.g. HTJ2K in this version). */
  encode?(
    pixels: Buffer,
    description: PixelDescription,
    transferSyntaxUid: string,
    options?: EncodeOptions,
  ): Promise<EncodedFrame>;
}
