/**
 * A stored frame as a picture (image/jpeg, image/png, image/gif), for WADO-RS /rendered and /thumbnail and
 * for WADO-URI: src/imaging renders (Modality LUT, window, photometric), then an optional region (fractions
 * of the image, WADO-URI `region`), then the size limit (Conquest's decimation, never enlarged).
 */

import { CodecError } from '../../codecs/codec.js';
import type { Dataset } from '../../dicom/dataset.js';
import { encodeGif, encodeJpeg, encodePng } from '../../imaging/encode.js';
import { ImagingError } from '../../imaging/errors.js';
import { type RenderedImage, renderFrame, toGray } from '../../imaging/render.js';
import { resize } from '../../imaging/resize.js';
import { WebRequestError } from './common.js';

export type PictureType = 'image/jpeg' | 'image/png' | 'image/gif';

export interface PictureOptions {
  type: PictureType;
  /** 0-based. */
  frame: number;
  window?: { center: number; width: number };
  /** Largest side in pixels (0: as rendered). */
  size: number;
  /** x1,y1,x2,y2 as fractions 0..1 of the columns and rows. */
  region?: readonly [number, number, number, number];
  quality?: number;
}

function crop(image: RenderedImage, r: readonly [number, number, number, number]): RenderedImage {
  const [x1, y1, x2, y2] = r;
  const c0 = Math.floor(x1 * image.width);
  const r0 = Math.floor(y1 * image.height);
  const c1 = Math.max(c0 + 1, Math.ceil(x2 * image.width));
  const r1 = Math.max(r0 + 1, Math.ceil(y2 * image.height));
  const w = Math.min(c1, image.width) - c0;
  const h = Math.min(r1, image.height) - r0;
  const ch = image.channels;
  const data = Buffer.alloc(w * h * ch);
  for (let y = 0; y < h; y++)
    image.data.copy(
      data,
      y * w * ch,
      ((r0 + y) * image.width + c0) * ch,
      ((r0 + y) * image.width + c0 + w) * ch,
    );
  return { width: w, height: h, channels: ch, data };
}

/** Renders and encodes; a frame that does not exist or cannot be decoded is a 404 / 422-like 400. */
export async function renderPicture(ds: Dataset, ts: string, o: PictureOptions): Promise<Buffer> {
  let image: RenderedImage;
  try {
    image = await renderFrame(ds, ts, { frame: o.frame, ...(o.window ? { window: o.window } : {}) });
  } catch (e) {
    if (e instanceof ImagingError && /does not exist/.test(e.message))
      throw new WebRequestError(404, e.message);
    if (e instanceof ImagingError || e instanceof CodecError)
      throw new WebRequestError(400, `this object cannot be rendered: ${e.message}`);
    throw e;
  }
  if (o.region) image = crop(image, o.region);
  if (o.size > 0) image = resize(image, o.size);
  switch (o.type) {
    case 'image/png':
      return encodePng(image);
    case 'image/gif':
      return encodeGif([image.channels === 1 ? image : toGray(image)]);
    default:
      return encodeJpeg(image, o.quality ?? 90);
  }
}

/** A window from two numbers (WADO-URI windowCenter/windowWidth, WADO-RS window=c,w). */
export function parseWindow(
  center: string | undefined,
  width: string | undefined,
): { center: number; width: number } | undefined {
  if (center === undefined && width === undefined) return undefined;
  const c = Number(center);
  const w = Number(width);
  if (!Number.isFinite(c) || !Number.isFinite(w) || w <= 0)
    throw new WebRequestError(400, 'the window needs a center and a width > 0 (numbers)');
  return { center: c, width: w };
}
