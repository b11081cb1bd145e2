/**
 * Conquest's rendering and frame conversion commands (manual Appendix 5, conversion options; argument
 * parsing as dgate.cpp's server-command handler does it):
 *   --convert_to_gif:file,size,out,l/w/f   gray GIF (animated over all frames when f > 10000: f % 100 fps)
 *   --convert_to_bmp:file,size,out,l/w/f   24-bit colour BMP
 *   --convert_to_jpg:file,size,out,l/w/f   colour JPEG, quality 95
 *   --convert_to_dicom:file,size,comp,f,out  select frame f, downsize to size, recompress to comp
 *   --extract_frames:file,out,first,last    a DICOM file with frames first..last
 * size: the largest side in pixels (default 256; 0 = original size). l/w/f: level/window/frame separated by
 * '/', default 0/0/0; window 0 means the file's own window (else its VOI LUT, else automatic); frames are
 * numbered from 0. Conquest writes to a temporary file returned to the caller when out is empty; this
 * version needs an output file.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { downsizeDataset } from '../../codecs/downsize.js';
import { parseCompressionMode } from '../../codecs/modes.js';
import { frameCount } from '../../codecs/pixel-data.js';
import { recompress } from '../../codecs/recompress.js';
import { copyDataset } from '../../codecs/transcode.js';
import { readDicomFile } from '../../dicom/reader.js';
import { writeDicomFile } from '../../dicom/writer.js';
import { encodeBmp, encodeGif, encodeJpeg } from '../../imaging/encode.js';
import { extractFrames } from '../../imaging/frames.js';
import { type RenderedImage, renderFrame, toGray, toRgb } from '../../imaging/render.js';
import { resize } from '../../imaging/resize.js';
import { splitArgs, UsageError } from '../arguments.js';
import { commandMode } from '../compression-mode.js';
import type { CommandContext } from '../context.js';

/** C's atoi: the leading integer of the text, 0 when there is none. */
export function atoi(text: string | undefined): number {
  const m = /^\s*([+-]?\d+)/.exec(text ?? '');
  return m ? Number(m[1]) : 0;
}

/** C's atof: the leading number of the text, 0 when there is none. */
export function atof(text: string | undefined): number {
  const m = /^\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(text ?? '');
  return m ? Number(m[1]) : 0;
}

export interface LevelWindowFrame {
  readonly level: number;
  readonly window: number;
  readonly frame: number;
}

/** "l/w/f" as Conquest reads it: each part optional, missing ones 0. */
export function parseLevelWindowFrame(text: string | undefined): LevelWindowFrame {
  const [l, w, f] = (text || '0/0').split('/');
  return { level: atof(l), window: atof(w), frame: atoi(f) };
}

type Picture = 'gif' | 'bmp' | 'jpg';

const FORMS: Readonly<Record<Picture, string>> = {
  gif: '--convert_to_gif:file,size,out,level/window/frame',
  bmp: '--convert_to_bmp:file,size,out,level/window/frame',
  jpg: '--convert_to_jpg:file,size,out,level/window/frame',
};

/** Writes through a temporary file and a rename, so that a reader never sees half a picture. */
function writeAtomically(target: string, bytes: Buffer): void {
  const temp = `${target}.${process.pid}.part`;
  writeFileSync(temp, bytes);
  renameSync(temp, target);
}

async function renderOne(
  path: string,
  size: number,
  lwf: LevelWindowFrame,
  frame: number,
): Promise<RenderedImage> {
  const file = await readDicomFile(path);
  return resize(
    await renderFrame(file.dataset, file.transferSyntax.uid, {
      frame,
      ...(lwf.window !== 0 ? { window: { center: lwf.level, width: lwf.window } } : {}),
    }),
    size,
  );
}

async function convertPicture(kind: Picture, args: string, ctx: CommandContext): Promise<void> {
  const [input, sizeText, output, lwfText] = splitArgs(args, 4);
  if (!input) throw new UsageError(FORMS[kind]);
  if (!output || output === 'binary' || output === 'cgi')
    throw new UsageError(
      `${FORMS[kind]}: this version needs an output file (Conquest's temporary-file forms are not supported)`,
    );
  const size = sizeText === undefined ? 256 : atoi(sizeText);
  if (size < 0) throw new UsageError(`${FORMS[kind]}: size ${sizeText} must be 0 (original) or more`);
  const lwf = parseLevelWindowFrame(lwfText);
  let bytes: Buffer;
  let summary: string;
  if (kind === 'gif' && lwf.frame > 10000) {
    const { frames, delayMs } = await animatedFrames(input, size, lwf);
    bytes = encodeGif(frames, { delayMs });
    summary = `${frames[0]!.width}x${frames[0]!.height} GIF, ${frames.length} frame(s)`;
  } else {
    const image = await renderOne(input, size, lwf, lwf.frame);
    bytes =
      kind === 'gif'
        ? encodeGif([toGray(image)])
        : kind === 'bmp'
          ? encodeBmp(toRgb(image))
          : await encodeJpeg(toRgb(image), 95);
    summary = `${image.width}x${image.height} ${kind.toUpperCase()}, frame ${lwf.frame}`;
  }
  writeAtomically(output, bytes);
  ctx.stdout.write(`${output}: ${summary}\n`);
}

/** Conquest's animated GIF: every frame, at (f % 100) frames per second (0 → 1), delay in whole 1/100 s. */
async function animatedFrames(
  path: string,
  size: number,
  lwf: LevelWindowFrame,
): Promise<{ frames: RenderedImage[]; delayMs: number }> {
  const file = await readDicomFile(path);
  const ts = file.transferSyntax.uid;
  const n = frameCount(file.dataset, ts);
  const fps = lwf.frame % 100 || 1;
  const window = lwf.window !== 0 ? { window: { center: lwf.level, width: lwf.window } } : {};
  const frames: RenderedImage[] = [];
  for (let i = 0; i < n; i++)
    frames.push(toGray(resize(await renderFrame(file.dataset, ts, { frame: i, ...window }), size)));
  return { frames, delayMs: Math.floor(100 / fps) * 10 };
}

export const convertToGifCommand = (args: string, ctx: CommandContext) => convertPicture('gif', args, ctx);
export const convertToBmpCommand = (args: string, ctx: CommandContext) => convertPicture('bmp', args, ctx);
export const convertToJpgCommand = (args: string, ctx: CommandContext) => convertPicture('jpg', args, ctx);

const DICOM_FORM = '--convert_to_dicom:file,size,compression,frame,out';

/** Select a frame (when f is given), downsize (size > 0), recompress (default un) — Conquest's order. */
export async function convertToDicomCommand(args: string, ctx: CommandContext): Promise<void> {
  const [input, sizeText, compText, frameText, output] = splitArgs(args, 5);
  if (!input) throw new UsageError(DICOM_FORM);
  if (!output) throw new UsageError(`${DICOM_FORM}: this version needs an output file`);
  const mode = commandMode(compText || 'un', ctx);
  const size = atoi(sizeText);
  const file = await readDicomFile(input);
  let ds = file.dataset;
  let ts = file.transferSyntax.uid;
  const notes: string[] = [];
  if (frameText !== undefined && frameText !== '') {
    const sel = extractFrames(ds, ts, atoi(frameText));
    ds = sel.dataset;
    if (sel.note) notes.push(sel.note);
  }
  if (size > 0) {
    const plain = await recompress(ds, ts, parseCompressionMode('un'));
    const copy = copyDataset(plain.dataset);
    const r = downsizeDataset(copy, size);
    ds = copy;
    ts = plain.transferSyntaxUid;
    if (!r.changed) notes.push(r.reason);
  }
  const result = await recompress(ds, ts, mode);
  if (result.note) notes.push(result.note);
  writeAtomically(output, writeDicomFile(file.meta, result.dataset, result.transferSyntaxUid));
  ctx.stdout.write(`${output}: ${result.transferSyntaxUid}${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
}

const EXTRACT_FORM = '--extract_frames:file,out,first,last';

export async function extractFramesCommand(args: string, ctx: CommandContext): Promise<void> {
  const [input, output, firstText, lastText] = splitArgs(args, 4);
  if (!input || !output) throw new UsageError(EXTRACT_FORM);
  const first = atoi(firstText);
  const last = lastText === undefined ? first : atoi(lastText);
  if (first < 0 || last < 0) throw new UsageError(`${EXTRACT_FORM}: frames are numbered from 0`);
  const file = await readDicomFile(input);
  const ts = file.transferSyntax.uid;
  const sel = extractFrames(file.dataset, ts, first, last);
  writeAtomically(output, writeDicomFile(file.meta, sel.dataset, ts));
  const kept = sel.frames.length
    ? `frames ${sel.frames[0]}..${sel.frames[sel.frames.length - 1]}`
    : 'unchanged';
  ctx.stdout.write(`${output}: ${kept}${sel.note ? ` (${sel.note})` : ''}\n`);
}
