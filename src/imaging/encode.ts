/**
 * Picture encoders for rendered frames: JPEG and PNG through sharp (libvips), GIF (also animated) through
 * gifenc, BMP by hand (bmp.ts). See README.md for why each.
 */
import { createRequire } from 'node:module';
import sharp, { type Sharp } from 'sharp';
import { ImagingError } from './errors.js';
import type { RenderedImage } from './render.js';

export { encodeBmp } from './bmp.js';

function raw(image: RenderedImage): Sharp {
  if (image.data.length !== image.width * image.height * image.channels)
    throw new ImagingError(
      `image buffer has ${image.data.length} bytes for ${image.width}x${image.height}x${image.channels}`,
    );
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

/** Baseline JPEG; quality 1..100 (Conquest writes 95). Gray images give a one-component JPEG. */
export async function encodeJpeg(image: RenderedImage, quality = 95): Promise<Buffer> {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new ImagingError(`JPEG quality ${quality} is not 1..100`);
  return raw(image).jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer();
}

/** Lossless PNG (8-bit gray or RGB). */
export async function encodePng(image: RenderedImage): Promise<Buffer> {
  return raw(image).png().toBuffer();
}

// ---- GIF --------------------------------------------------------------------------------------------

interface GifEncoderStream {
  writeFrame(
    index: Uint8Array,
    width: number,
    height: number,
    options: { palette?: number[][]; delay?: number; repeat?: number },
  ): void;
  finish(): void;
  bytes(): Uint8Array;
}

interface GifencModule {
  GIFEncoder(): GifEncoderStream;
}

const gifenc = createRequire(import.meta.url)('gifenc') as GifencModule;

const GRAY_PALETTE: number[][] = Array.from({ length: 256 }, (_, i) => [i, i, i]);

export interface GifOptions {
  /** Delay between frames in milliseconds (animated GIFs only). */
  readonly delayMs?: number;
}

/**
 * A gray GIF (256 gray levels, as Conquest's mono GIF) of one or more frames; with several frames it is
 * animated and loops forever (NETSCAPE2.0). Every frame must be gray and of the first frame's size.
 */
export function encodeGif(frames: readonly RenderedImage[], options: GifOptions = {}): Buffer {
  const first = frames[0];
  if (!first) throw new ImagingError('a GIF needs at least one frame');
  const gif = gifenc.GIFEncoder();
  frames.forEach((f, i) => {
    if (f.channels !== 1) throw new ImagingError('GIF frames must be gray (render with toGray)');
    if (f.width !== first.width || f.height !== first.height)
      throw new ImagingError(`GIF frame ${i} is ${f.width}x${f.height}, not ${first.width}x${first.height}`);
    gif.writeFrame(new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.length), f.width, f.height, {
      ...(i === 0 ? { palette: GRAY_PALETTE } : {}),
      // repeat -1: no NETSCAPE2.0 loop block for a still picture.
      ...(frames.length > 1 ? { delay: options.delayMs ?? 100, repeat: 0 } : { repeat: -1 }),
    });
  });
  gif.finish();
  return Buffer.from(gif.bytes());
}
