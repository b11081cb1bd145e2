#!/usr/bin/env node
/**
 * `dgate`: Conquest's command-line program (manual Appendix 5). This file only dispatches; each command
 * lives in src/cli/commands.
 */
import { DicomParseError } from '../dicom/errors.js';
import { parseArguments, UsageError } from './arguments.js';
import { dumpHeaderCommand, dumpJsonCommand } from './commands/dump.js';
import { usage } from './usage.js';

type Command = (args: string, stdout: NodeJS.WritableStream) => Promise<void>;

const COMMANDS: Readonly<Record<string, Command>> = {
  dump_header: dumpHeaderCommand,
  dump_json: dumpJsonCommand,
};

export async function main(
  argv: readonly string[],
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const parsed = parseArguments(argv);
  if (parsed.switches.some((s) => s.flag === '?')) {
    stdout.write(usage());
    return 0;
  }
  if (parsed.command) {
    const run = COMMANDS[parsed.command.name];
    if (!run)
      throw new UsageError(
        `unknown or not yet available command --${parsed.command.name} (dgate -? lists the commands)`,
      );
    await run(parsed.command.args, stdout);
    return 0;
  }
  throw new UsageError(
    'the DICOM server is not part of this version yet; dgate -? lists the commands that are',
  );
}

function report(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`dgate: ${e.message}\n`);
    return 2;
  }
  if (e instanceof DicomParseError) {
    process.stderr.write(`dgate: not a readable DICOM file: ${e.message}\n`);
    return 1;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT' || err?.code === 'EACCES' || err?.code === 'EISDIR') {
    process.stderr.write(`dgate: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`dgate: ${err?.stack ?? String(e)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = report(e);
  },
);
