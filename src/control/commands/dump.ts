/**
 * `--dump_header:in[,out]` (Conquest) and `--dump_json:in[,out]` (ours): a file's header as text in the
 * style of dcmdump, or as DICOM JSON (PS3.18 F.2). Without `out` the result goes to standard output.
 */
import { writeFileSync } from 'node:fs';
import { dumpDataset } from '../../dicom/dump.js';
import { datasetToJson, dicomJsonToString } from '../../dicom/json.js';
import { readDicomFile } from '../../dicom/reader.js';
import { splitArgs, UsageError } from '../arguments.js';
import type { CommandContext, CommandOutput } from '../context.js';

/** Values over 64 KiB stay in the file while dumping: a header dump never needs them. */
const BULK_THRESHOLD = 64 * 1024;

export async function dumpHeaderCommand(args: string, ctx: CommandContext): Promise<void> {
  const [input, output] = inputOutput(args, 'dump_header');
  const file = await readDicomFile(input, { bulkDataThreshold: BULK_THRESHOLD });
  let text = dumpDataset(file.dataset, { meta: file.preamble || file.meta.size ? file.meta : undefined });
  for (const w of file.warnings) text += `# warning: ${w}\n`;
  emit(text, output, ctx.stdout);
}

export async function dumpJsonCommand(args: string, ctx: CommandContext): Promise<void> {
  const [input, output] = inputOutput(args, 'dump_json');
  const file = await readDicomFile(input);
  emit(`${dicomJsonToString(datasetToJson(file.dataset), 2)}\n`, output, ctx.stdout);
}

function inputOutput(args: string, name: string): [string, string | undefined] {
  const [input, output] = splitArgs(args, 2);
  if (!input) throw new UsageError(`--${name} needs a file: --${name}:filein[,fileout]`);
  return [input, output || undefined];
}

function emit(text: string, output: string | undefined, stdout: CommandOutput): void {
  if (output) writeFileSync(output, text);
  else stdout.write(text);
}
