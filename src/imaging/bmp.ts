/**
 * Windows BMP writer (BITMAPFILEHEADER + BITMAPINFOHEADER, uncompressed): 24-bit BGR for colour, 8-bit
 * indexed with a 256-entry gray palette for gray. Rows are stored bottom-up and padded to 4 bytes (so no
 * column is dropped: Conquest instead truncates the width to a multiple of 4). Resolution 0x0ECE pixels per
 * metre (96 dpi), as Conquest writes.
 */
import type { RenderedImage } from './render.js';

const FILE_HEADER = 14;
const INFO_HEADER = 40;
const PIXELS_PER_METRE = 0x0ece;

export function encodeBmp(image: RenderedImage): Buffer {
  const { width, height, channels } = image;
  const bytesPerPixel = channels === 3 ? 3 : 1;
  const stride = Math.ceil((width * bytesPerPixel) / 4) * 4;
  const paletteSize = channels === 3 ? 0 : 256 * 4;
  const offset = FILE_HEADER + INFO_HEADER + paletteSize;
  const imageSize = stride * height;
  const out = Buffer.alloc(offset + imageSize);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(INFO_HEADER, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22); // positive: bottom-up rows
  out.writeUInt16LE(1, 26); // planes
  out.writeUInt16LE(bytesPerPixel * 8, 28);
  out.writeUInt32LE(0, 30); // BI_RGB
  out.writeUInt32LE(imageSize, 34);
  out.writeInt32LE(PIXELS_PER_METRE, 38);
  out.writeInt32LE(PIXELS_PER_METRE, 42);
  out.writeUInt32LE(channels === 3 ? 0 : 256, 46); // colours used
  out.writeUInt32LE(0, 50);
  if (channels !== 3)
    for (let i = 0; i < 256; i++)
      out.writeUInt32LE((i << 16) | (i << 8) | i, FILE_HEADER + INFO_HEADER + i * 4);
  for (let r = 0; r < height; r++) {
    const dst = offset + (height - 1 - r) * stride;
    for (let c = 0; c < width; c++) {
      const src = (r * width + c) * channels;
      if (channels === 3) {
        out[dst + c * 3] = image.data[src + 2]!;
        out[dst + c * 3 + 1] = image.data[src + 1]!;
        out[dst + c * 3 + 2] = image.data[src]!;
      } else out[dst + c] = image.data[src]!;
    }
  }
  return out;
}
