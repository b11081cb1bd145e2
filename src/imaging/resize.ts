/**
 * Conquest's size argument of --convert_to_gif/bmp/jpg: the largest side, in pixels, that the picture may
 * have; 0 means the original size. As Conquest's renderer does it (To8bitMonochromeOrRGB in nkiqrsop.cpp):
 * one integer factor f = ceil(larger side ÷ size) for both directions, new sides floor(side ÷ f) (at
 * least 1), and decimation — output pixel (r, c) is input pixel (r·f, c·f). The aspect ratio is kept to
 * within one pixel; there is no interpolation, so a picture is never blurred (nor enlarged).
 */
import { downsizeGeometry } from '../codecs/downsize.js';
import { ImagingError } from './errors.js';
import type { RenderedImage } from './render.js';

export function resize(image: RenderedImage, size: number): RenderedImage {
  if (!Number.isInteger(size) || size < 0) throw new ImagingError(`size ${size} is not a whole number ≥ 0`);
  if (size === 0) return image;
  const g = downsizeGeometry(image.height, image.width, size);
  if (g.factor === 1) return image;
  const ch = image.channels;
  const data = Buffer.alloc(g.rows * g.columns * ch);
  for (let r = 0; r < g.rows; r++)
    for (let c = 0; c < g.columns; c++) {
      const src = (r * g.factor * image.width + c * g.factor) * ch;
      image.data.copy(data, (r * g.columns + c) * ch, src, src + ch);
    }
  return { width: g.columns, height: g.rows, channels: ch, data };
}
