/**
 * Typed loaders for the @cornerstonejs WASM codec builds (CharLS, OpenJPEG, libjpeg-turbo, OpenJPH). Each
 * module is instantiated once, lazily, on first use: the promise is cached so concurrent first calls share
 * one instantiation. The interfaces below describe only what our adapters call; the emscripten objects they
 * hand out hold WASM memory and must be released with `.delete()` after each frame.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The value object the embind wrappers exchange (FrameInfo.hpp). */
export interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
  isUsingColorTransform?: boolean;
}

/** An embind-wrapped C++ object: WASM memory until delete() is called. */
interface EmbindObject {
  delete(): void;
}

/** Decoders share one shape: copy the stream in, decode, read the frame info and the pixels out. */
export interface WasmDecoder extends EmbindObject {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): WasmFrameInfo;
}

export interface WasmEncoder extends EmbindObject {
  getDecodedBuffer(frameInfo: WasmFrameInfo): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
}

export interface JpegLSDecoder extends WasmDecoder {
  /** 0 none (one scan per component), 1 line, 2 sample. */
  getInterleaveMode(): number;
  getNearLossless(): number;
}

export interface JpegLSEncoder extends WasmEncoder {
  setNearLossless(near: number): void;
  setInterleaveMode(mode: number): void;
}

export interface J2KDecoder extends WasmDecoder {
  readHeader(): void;
  getIsReversible(): boolean;
  getColorSpace(): number;
}

export interface J2KEncoder extends WasmEncoder {
  setDecompositions(n: number): void;
  /** lossless = reversible 5/3 wavelet; layers each need a ratio from setCompressionRatio. */
  setQuality(lossless: boolean, layers: number): void;
  setCompressionRatio(layer: number, ratio: number): void;
  setProgressionOrder(order: number): void;
}

export interface JpegTurboDecoder extends WasmDecoder {
  readHeader(): void;
}

export interface JpegTurboEncoder extends WasmEncoder {
  setProgressive(progressive: number): void;
  setQuality(quality: number): void;
  /** TurboJPEG TJSAMP_*: 0 4:4:4, 1 4:2:2, 2 4:2:0, 3 grey. */
  setSubSampling(subsampling: number): void;
}

export interface HTJ2KDecoder extends WasmDecoder {
  readHeader(): void;
  getIsReversible(): boolean;
  getIsHeaderValid?(): boolean;
  getLastErrorMessage?(): string;
}

export interface HTJ2KEncoder extends WasmEncoder {
  setDecompositions(n: number): void;
  setQuality(lossless: boolean, quantizationStep: number): void;
}

export interface CharLSModule {
  JpegLSDecoder: new () => JpegLSDecoder;
  JpegLSEncoder: new () => JpegLSEncoder;
}
export interface OpenJPEGModule {
  J2KDecoder: new () => J2KDecoder;
  J2KEncoder: new () => J2KEncoder;
}
export interface LibJpegTurboModule {
  JPEGDecoder: new () => JpegTurboDecoder;
  JPEGEncoder: new () => JpegTurboEncoder;
}
export interface OpenJPHModule {
  HTJ2KDecoder: new () => HTJ2KDecoder;
  HTJ2KEncoder: new () => HTJ2KEncoder;
}

type Factory<M> = (options?: Record<string, unknown>) => Promise<M>;

/** One cached instantiation per package subpath. The builds print library messages; keep them off stdout. */
function lazyModule<M>(specifier: string): () => Promise<M> {
  let cached: Promise<M> | undefined;
  return () => {
    if (!cached) {
      const factory = require(specifier) as Factory<M>;
      const quiet = (): void => {};
      cached = factory({ print: quiet, printErr: quiet });
      // A failed instantiation must not stay cached forever: the next call retries.
      cached.catch(() => {
        cached = undefined;
      });
    }
    return cached;
  };
}

export const loadCharLS = lazyModule<CharLSModule>('@cornerstonejs/codec-charls/wasmjs');
export const loadOpenJPEG = lazyModule<OpenJPEGModule>('@cornerstonejs/codec-openjpeg/wasmjs');
export const loadLibJpegTurbo = lazyModule<LibJpegTurboModule>(
  '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs',
);
export const loadOpenJPH = lazyModule<OpenJPHModule>('@cornerstonejs/codec-openjph/wasmjs');

/** Runs `use` on a fresh embind object and always frees it, whatever `use` does. */
export function withObject<T extends EmbindObject, R>(create: () => T, use: (obj: T) => R): R {
  const obj = create();
  try {
    return use(obj);
  } finally {
    obj.delete();
  }
}

/** A C++ exception thrown through emscripten arrives as a number or an odd object: name it. */
export function wasmErrorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (typeof err === 'number') return `WASM exception (pointer ${err})`;
  return String(err);
}
