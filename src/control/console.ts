/**
 * The server's end of the server-command channel (server-command.ts): who may send commands, and running
 * them in the server. Conquest accepts any peer; we accept commands only from the OperatorConsole
 * addresses (dicom.ini, default 127.0.0.1) and only on an association whose calling and called AE titles
 * are both the server's own, as dgate sends them. A refused command gets a failure status (not a plain
 * echo success), so that the sender knows it did not run.
 */
import { Status } from '../net/dimse/status.js';
import type { ServiceRequest } from '../net/server.js';
import type { CommandContext } from './context.js';
import { commandEntry } from './registry.js';
import { serverCommandOf, serverCommandResponse } from './server-command.js';

/** C-ECHO-RSP statuses for refused or failed commands (Conquest's own client only reads the output text). */
export const COMMAND_REFUSED = 0xc201;
export const COMMAND_FAILED = 0xc200;

export interface ConsoleOptions {
  /** OperatorConsole: addresses allowed to send commands. */
  allowedAddresses: readonly string[];
  /** The server's AE title. */
  aeTitle: string;
  /** A context whose output goes to `out`. */
  context(out: { write(text: string): unknown }): CommandContext;
}

/** Splits dicom.ini's OperatorConsole (one address, or several separated by commas, semicolons or spaces). */
export function operatorConsoleAddresses(value: string): string[] {
  return value
    .split(/[\s,;]+/)
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

function isAllowed(address: string, allowed: readonly string[]): boolean {
  const a = address.replace(/^::ffff:/, '');
  return allowed.some(
    (x) => x === '*' || x === a || (x === 'localhost' && (a === '127.0.0.1' || a === '::1')),
  );
}

/**
 * Handles a C-ECHO-RQ that carries a server command; returns false for a plain C-ECHO (the caller then
 * answers it as Verification).
 */
export async function handleServerCommand(req: ServiceRequest, options: ConsoleOptions): Promise<boolean> {
  const command = serverCommandOf(req.message.command);
  if (!command) return false;
  const assoc = req.association;
  const reply = async (status: number, text: string, errorComment?: string): Promise<void> => {
    await req.respond({
      status,
      ...(errorComment ? { errorComment: errorComment.slice(0, 64) } : {}),
      extra: serverCommandResponse(Buffer.from(text, 'utf8')),
    });
  };
  const who = `${assoc.callingAETitle}@${assoc.peerAddress}`;
  if (!isAllowed(assoc.peerAddress, options.allowedAddresses)) {
    req.log.warn(`server command '${command.text}' from ${who} refused: not an OperatorConsole address`);
    await reply(COMMAND_REFUSED, '', 'server commands are only accepted from OperatorConsole');
    return true;
  }
  if (assoc.callingAETitle !== options.aeTitle || assoc.calledAETitle !== options.aeTitle) {
    req.log.warn(
      `server command '${command.text}' from ${who} refused: AE titles are not ${options.aeTitle}`,
    );
    await reply(COMMAND_REFUSED, '', `server commands need calling and called AE ${options.aeTitle}`);
    return true;
  }
  const colon = command.text.indexOf(':');
  const name = colon < 0 ? command.text : command.text.slice(0, colon);
  const args = colon < 0 ? '' : command.text.slice(colon + 1);
  const entry = commandEntry(name);
  if (!entry) {
    await reply(COMMAND_FAILED, `unknown server command --${name}\n`, `unknown command ${name}`);
    return true;
  }
  req.log.info(`server command --${command.text} from ${who}`);
  const chunks: string[] = [];
  const restoreIdle = assoc.suspendIdleTimeout();
  try {
    const run = await entry.load();
    await run(args, options.context({ write: (t: string) => chunks.push(t) }));
    await reply(Status.Success, chunks.join(''));
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    req.log.error(`server command --${name} failed: ${message}`);
    await reply(COMMAND_FAILED, `${chunks.join('')}*** ${message}\n`, message);
  } finally {
    restoreIdle();
  }
  return true;
}
