/**
 * Conquest's command line (manual Appendix 5): switches such as `-v`, `-p5678`, `-hAE`, `-wDIR`, and at
 * most one `--command:arguments`, whose arguments are split by each command (most use commas; some, such
 * as `--deletestudy:patid:studyuid`, also colons).
 */
import { UsageError } from '../control/arguments.js';

export interface DgateArguments {
  /** Single-letter switches in order: `-p5678` → { flag: 'p', value: '5678' }. */
  switches: { flag: string; value: string }[];
  /** `--dump_header:in,out` → { name: 'dump_header', args: 'in,out' }. */
  command?: { name: string; args: string };
  /** Arguments after the switches that are neither (kept for commands such as `-nu IN OUT`). */
  rest: string[];
}

export { UsageError };

export function parseArguments(argv: readonly string[]): DgateArguments {
  const out: DgateArguments = { switches: [], rest: [] };
  for (const arg of argv) {
    if (arg.startsWith('--')) {
      if (arg === '--help') {
        out.switches.push({ flag: '?', value: '' });
        continue;
      }
      if (out.command)
        throw new UsageError(`only one --command may be given (got ${out.command.name} and ${arg})`);
      const body = arg.slice(2);
      const colon = body.indexOf(':');
      out.command =
        colon < 0 ? { name: body, args: '' } : { name: body.slice(0, colon), args: body.slice(colon + 1) };
    } else if (arg.startsWith('-') && arg.length >= 2) {
      out.switches.push({ flag: arg[1]!, value: arg.slice(2) });
    } else out.rest.push(arg);
  }
  return out;
}
