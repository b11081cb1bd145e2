/**
 * Conquest's conversion commands (manual Appendix 5) that need no rendering:
 *   --compress:file,mode,out     recompress a file to a mode (un, n1..n4, j1..j7, js, jk, jl, k1..kc...)
 *   --uncompress:file,out        decompress (NKI and every encapsulated syntax) to Explicit VR Little Endian
 *   --count_frames:file          the number of frames
 * Without `out` the file is rewritten in place (through a temporary file and a rename).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { parseCompressionMode } from '../../codecs/modes.js';
import { frameCount } from '../../codecs/pixel-data.js';
import { recompress } from '../../codecs/recompress.js';
import { readDicomFile } from '../../dicom/reader.js';
import { writeDicomFile } from '../../dicom/writer.js';
import { splitArgs, UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';

async function convert(
  input: string,
  output: string | undefined,
  modeText: string,
  ctx: CommandContext,
): Promise<void> {
  let quality: number | undefined;
  try {
    quality = ctx.config().server.lossyQuality;
  } catch {
    quality = undefined; // no dicom.ini here: the default quality
  }
  const mode = parseCompressionMode(modeText, quality);
  const file = await readDicomFile(input);
  const result = await recompress(file.dataset, file.transferSyntax.uid, mode);
  const bytes = writeDicomFile(file.meta, result.dataset, result.transferSyntaxUid);
  const target = output || input;
  const temp = `${target}.${process.pid}.part`;
  writeFileSync(temp, bytes);
  renameSync(temp, target);
  ctx.stdout.write(
    `${target}: ${mode.text} -> ${result.transferSyntaxUid}${result.note ? ` (unchanged: ${result.note})` : ''}\n`,
  );
}

export async function compressCommand(args: string, ctx: CommandContext): Promise<void> {
  const [input, mode, output] = splitArgs(args, 3);
  if (!input || !mode) throw new UsageError('--compress:file,mode[,out] (mode e.g. j2, jk, js, n4, un)');
  await convert(input, output, mode, ctx);
}

export async function uncompressCommand(args: string, ctx: CommandContext): Promise<void> {
  const [input, output] = splitArgs(args, 2);
  if (!input) throw new UsageError('--uncompress:file[,out]');
  await convert(input, output, 'ue', ctx);
}

export async function countFramesCommand(args: string, ctx: CommandContext): Promise<void> {
  const [input] = splitArgs(args, 1);
  if (!input) throw new UsageError('--count_frames:file');
  const file = await readDicomFile(input, { bulkDataThreshold: 1 << 16 });
  ctx.stdout.write(
    `${file.dataset.has(0x7fe00010) || file.dataset.has(0x7fdf0010) ? frameCount(file.dataset) : 0}\n`,
  );
}
