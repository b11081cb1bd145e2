/**
 * Conquest's conversion commands (manual Appendix 5) that need no rendering:
 *   --compress:file,mode,out     recompress a file to a mode (un, n1..n4, j1..j7, js, jk, jl, k1..kc...)
 *   --uncompress:file,out        decompress (NKI and every encapsulated syntax) to Explicit VR Little Endian
 *   --count_frames:file          the number of frames
 *   --testcompress:file          store copies in many compression modes (see testCompressCommand)
 * Without `out` the file is rewritten in place (through a temporary file and a rename).
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addFile } from '../../archive/maintenance/import.js';
import { CodecError } from '../../codecs/codec.js';
import { parseCompressionMode } from '../../codecs/modes.js';
import { frameCount } from '../../codecs/pixel-data.js';
import { recompress } from '../../codecs/recompress.js';
import { copyDataset } from '../../codecs/transcode.js';
import type { Dataset } from '../../dicom/dataset.js';
import { generateUid } from '../../dicom/implementation.js';
import { readDicomFile } from '../../dicom/reader.js';
import { writeDicomFile } from '../../dicom/writer.js';
import { splitArgs, UsageError } from '../arguments.js';
import { commandMode } from '../compression-mode.js';
import type { CommandContext } from '../context.js';

async function convert(
  input: string,
  output: string | undefined,
  modeText: string,
  ctx: CommandContext,
): Promise<void> {
  const mode = commandMode(modeText, ctx);
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

/**
 * The modes --testcompress stores, in Conquest's order (its list when built with JPEG 2000: dgate.cpp
 * ServerTask "testcompress:").
 */
export const TEST_COMPRESS_MODES: readonly string[] = [
  'un',
  'as',
  'n1',
  'n2',
  'n3',
  'n4',
  'j1',
  'j2',
  'j3',
  'j4',
  'j5',
  'j6',
  'jk',
  'jl',
  'k1',
  'k2',
  'k4',
  'k8',
];

/**
 * --testcompress:file — Conquest's TestCompress: for every mode, four copies of the file go into the
 * archive, each with a new SOP Instance UID and the step in Instance Number (0020,0013): `org` (as read),
 * `MODE` (recompressed), `MODE_un` (that decompressed) and `MODE_un_MODE` (compressed again). Each is added
 * as --addimagefile adds a file, but kept in the syntax it was made in. Conquest repeats all of it for FileNameSyntax 3 and 4; here the
 * configured FileNameSyntax is used once. A mode that fails is reported and the next one tried.
 */
export async function testCompressCommand(args: string, ctx: CommandContext): Promise<void> {
  const [input] = splitArgs(args, 1);
  if (!input) throw new UsageError('--testcompress:file');
  const config = ctx.config();
  const quality = config.server.lossyQuality;
  const prefix = config.server.uidPrefix;
  const file = await readDicomFile(input);
  const archive = await ctx.archive();
  const temp = mkdtempSync(join(tmpdir(), 'cq-testcompress-'));
  const add = async (ds: Dataset, ts: string, label: string, what: string): Promise<Dataset> => {
    const copy = copyDataset(ds);
    copy.setStrings('SOPInstanceUID', generateUid(prefix), 'UI');
    copy.setStrings('InstanceNumber', label, 'IS');
    const path = join(temp, `${label}.dcm`);
    writeFileSync(path, writeDicomFile(undefined, copy, ts));
    // As Conquest's SaveToDisk: the copy keeps the syntax it was made in (no DroppedFileCompression).
    const added = await addFile(archive, path, { log: ctx.log, asIs: true });
    ctx.stdout.write(`Added file: ${added.path} (${what})\n`);
    return copy;
  };
  try {
    for (const text of TEST_COMPRESS_MODES) {
      try {
        const mode = parseCompressionMode(text, quality);
        const org = await add(file.dataset, file.transferSyntax.uid, 'org', 'original');
        let r = await recompress(org, file.transferSyntax.uid, mode);
        const compressed = await add(r.dataset, r.transferSyntaxUid, text, `compression ${text}`);
        r = await recompress(compressed, r.transferSyntaxUid, parseCompressionMode('un'));
        const un = await add(r.dataset, r.transferSyntaxUid, `${text}_un`, `compression ${text}_un`);
        r = await recompress(un, r.transferSyntaxUid, mode);
        await add(r.dataset, r.transferSyntaxUid, `${text}_un_${text}`, `compression ${text}_un_${text}`);
      } catch (e) {
        if ((e as Error).name !== 'CodecError' && !(e instanceof CodecError)) throw e;
        ctx.stdout.write(`*** [TestCompress] ${input} mode ${text} failed: ${(e as Error).message}\n`);
      }
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
