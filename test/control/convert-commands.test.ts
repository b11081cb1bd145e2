/**
 * dgate --convert_to_gif / --convert_to_bmp / --convert_to_jpg / --convert_to_dicom / --extract_frames,
 * end to end through the dgate executable: the pictures are read back with sharp and compared with the
 * in-process renderer; the DICOM outputs are decoded and compared with the selected frames of the source.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { downsizeFrame } from '../../src/codecs/downsize.js';
import { describePixels, frameBytes, frameCount } from '../../src/codecs/pixel-data.js';
import { decodeAllFrames } from '../../src/codecs/registry.js';
import { atof, atoi, parseLevelWindowFrame } from '../../src/control/commands/convert.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { type RenderedImage, renderFrame, toGray, toRgb } from '../../src/imaging/render.js';
import { resize } from '../../src/imaging/resize.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';
import { pixelHash } from '../support/pixel-hash.js';

const run = promisify(execFile);
const DGATE = fileURLToPath(new URL('../../src/cli/dgate.js', import.meta.url));
const CT = corpusPath('pixel/mono2_s16_ct.dcm');
const XA = corpusPath('pixel/xa_mono8_10f.dcm');
const RLE_XA = corpusPath('codec/rle_xa10.dcm');

const dir = mkdtempSync(join(tmpdir(), 'cq-convert-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function dgate(command: string): Promise<string> {
  const { stdout } = await run(process.execPath, [DGATE, command], { cwd: dir });
  return stdout;
}

async function rendered(
  path: string,
  frame: number,
  size: number,
  window?: [number, number],
): Promise<RenderedImage> {
  const f = await readDicomFile(path);
  const img = await renderFrame(f.dataset, f.transferSyntax.uid, {
    frame,
    ...(window ? { window: { center: window[0], width: window[1] } } : {}),
  });
  return resize(img, size);
}

async function pixelsOf(
  path: string,
): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** sharp reads no BMP: a 24-bit bottom-up BMP back to top-down RGB, checking the header on the way. */
function readBmp24(b: Buffer): { data: Buffer; width: number; height: number } {
  assert.equal(b.toString('latin1', 0, 2), 'BM');
  assert.equal(b.readUInt16LE(28), 24);
  const width = b.readInt32LE(18);
  const height = b.readInt32LE(22);
  const offset = b.readUInt32LE(10);
  const stride = Math.ceil((width * 3) / 4) * 4;
  const data = Buffer.alloc(width * height * 3);
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++) {
      const s = offset + (height - 1 - r) * stride + c * 3;
      data.set([b[s + 2]!, b[s + 1]!, b[s]!], (r * width + c) * 3);
    }
  return { data, width, height };
}

describe("argument parsing as Conquest's", () => {
  it('reads l/w/f with defaults and C number rules', () => {
    assert.deepEqual(parseLevelWindowFrame(undefined), { level: 0, window: 0, frame: 0 });
    assert.deepEqual(parseLevelWindowFrame('40/400'), { level: 40, window: 400, frame: 0 });
    assert.deepEqual(parseLevelWindowFrame('-600.5/1500/7'), { level: -600.5, window: 1500, frame: 7 });
    assert.equal(atoi('12abc'), 12);
    assert.equal(atoi('x'), 0);
    assert.equal(atof('1.5e2px'), 150);
  });
});

describe('dgate picture conversions', { skip: CORPUS_SKIP }, () => {
  it('--convert_to_jpg: size is the largest side; colour JPEG close to the rendering', async () => {
    const out = join(dir, 'ct.jpg');
    const text = await dgate(`--convert_to_jpg:${CT},64,${out},40/400`);
    assert.match(text, /64x64 JPG/);
    const back = await pixelsOf(out);
    assert.equal(back.width, 64);
    assert.equal(back.height, 64);
    assert.equal(back.channels, 3);
    const expected = await rendered(CT, 0, 64, [40, 400]);
    let sum = 0;
    for (let i = 0; i < 64 * 64; i++) sum += Math.abs(back.data[i * 3]! - expected.data[i]!);
    assert.ok(sum / (64 * 64) < 3, `mean error ${sum / 4096}`);
  });

  it('--convert_to_bmp: 24-bit, exact pixels, size 0 keeps the original size', async () => {
    const out = join(dir, 'ct.bmp');
    await dgate(`--convert_to_bmp:${CT},0,${out}`);
    const back = readBmp24(readFileSync(out));
    const expected = toRgb(await rendered(CT, 0, 0));
    assert.equal(back.width, expected.width);
    assert.equal(back.height, expected.height);
    assert.deepEqual(back.data, expected.data);
  });

  it('--convert_to_gif: a still gray GIF of frame f (numbered from 0) with the given window', async () => {
    const out = join(dir, 'xa3.gif');
    await dgate(`--convert_to_gif:${XA},0,${out},100/120/3`);
    const back = await pixelsOf(out);
    const expected = toGray(await rendered(XA, 3, 0, [100, 120]));
    assert.equal(back.width, 128);
    const ch = back.channels;
    for (const i of [0, 500, 8000, 128 * 128 - 1])
      assert.equal(back.data[i * ch], expected.data[i], `pixel ${i}`);
    const other = toGray(await rendered(XA, 0, 0, [100, 120]));
    assert.notDeepEqual(expected.data, other.data, 'frames 0 and 3 differ, so the frame was selected');
  });

  it('--convert_to_gif with f > 10000 animates every frame at f % 100 frames per second', async () => {
    const out = join(dir, 'xa.gif');
    await dgate(`--convert_to_gif:${XA},64,${out},0/0/10005`);
    const meta = await sharp(out, { animated: true }).metadata();
    assert.equal(meta.pages, 10);
    assert.equal(meta.width, 64);
    assert.deepEqual(meta.delay, Array(10).fill(200)); // 100/5 = 20 hundredths of a second
  });

  it('refuses a missing output file with the right form', async () => {
    await assert.rejects(dgate(`--convert_to_gif:${CT},64`), (e: { stderr?: string; code?: number }) => {
      assert.match(String(e.stderr), /convert_to_gif:file,size,out/);
      return true;
    });
    await assert.rejects(
      dgate(`--convert_to_bmp:${XA},0,${join(dir, 'no.bmp')},0/0/10`),
      (e: { stderr?: string; code?: number }) => {
        assert.equal(e.code, 1);
        assert.match(
          String(e.stderr),
          /frame 10 does not exist: the object has 10 frame\(s\), numbered from 0/,
        );
        return true;
      },
    );
  });
});

describe('dgate --extract_frames and --convert_to_dicom', { skip: CORPUS_SKIP }, () => {
  async function decoded(path: string) {
    const f = await readDicomFile(path);
    const all = await decodeAllFrames(f.dataset, f.transferSyntax.uid);
    return { file: f, ...all, pixels: all.frames.map((x) => x.pixels) };
  }

  it('native multi-frame: frames 2..4, Number of Frames 3, pixels of those frames', async () => {
    const out = join(dir, 'xa-2-4.dcm');
    assert.match(await dgate(`--extract_frames:${XA},${out},2,4`), /frames 2\.\.4/);
    const src = await decoded(XA);
    const got = await decoded(out);
    assert.equal(got.file.dataset.string('NumberOfFrames'), '3');
    assert.equal(
      pixelHash(got.pixels, got.description),
      pixelHash(src.pixels.slice(2, 5), { ...src.description, numberOfFrames: 3 }),
    );
  });

  it('encapsulated (RLE): frames copied byte for byte; a last frame past the end means the end', async () => {
    const out = join(dir, 'rle-7-end.dcm');
    await dgate(`--extract_frames:${RLE_XA},${out},7,99`);
    const src = await readDicomFile(RLE_XA);
    const got = await readDicomFile(out);
    const ts = got.transferSyntax.uid;
    assert.equal(ts, src.transferSyntax.uid);
    assert.equal(frameCount(got.dataset, ts), 3);
    for (let i = 0; i < 3; i++)
      assert.deepEqual(frameBytes(got.dataset, i, ts), frameBytes(src.dataset, 7 + i, ts), `frame ${i}`);
    const d = await decoded(out);
    const s = await decoded(RLE_XA);
    assert.equal(pixelHash(d.pixels, d.description), pixelHash(s.pixels.slice(7), d.description));
  });

  it('--extract_frames with one frame number keeps just that frame', async () => {
    const out = join(dir, 'xa-5.dcm');
    await dgate(`--extract_frames:${XA},${out},5`);
    const got = await decoded(out);
    const src = await decoded(XA);
    assert.equal(got.pixels.length, 1);
    assert.deepEqual(got.pixels[0], src.pixels[5]);
  });

  it('--convert_to_dicom: frame 3, downsized to 64, JPEG lossless j1', async () => {
    const out = join(dir, 'xa-3-64-j1.dcm');
    await dgate(`--convert_to_dicom:${XA},64,j1,3,${out}`);
    const got = await decoded(out);
    assert.equal(got.file.transferSyntax.uid, '1.2.840.10008.1.2.4.70');
    assert.equal(got.pixels.length, 1);
    assert.equal(got.description.rows, 64);
    const src = await decoded(XA);
    const expected = downsizeFrame(src.pixels[3]!, describePixels(src.file.dataset), 64).pixels;
    assert.deepEqual(got.pixels[0], expected);
  });
});
