/**
 * `--echo:AE[,file]` and `--forward:file,mode,AE` (manual Appendix 5): C-ECHO a node, send one file in a
 * compression mode (empty: as it is).
 * The node is an acrnema.map AE title, `AE@host:port`, `host:port` or `(local)` (see ../peer.ts).
 */
import { writeFileSync } from 'node:fs';
import { AssociationError } from '../../net/association.js';
import { describeFile, VERIFICATION_SOP_CLASS } from '../../net/client.js';
import { formatStatus } from '../../net/dimse/status.js';
import { storeInMode } from '../../services/outgoing-store.js';
import { proposalFor } from '../../services/outgoing-syntax.js';
import { splitArgs, UsageError } from '../arguments.js';
import { commandMode } from '../compression-mode.js';
import type { CommandContext } from '../context.js';
import { connectPeer } from '../peer.js';

const NATIVE = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];

export async function echoCommand(args: string, ctx: CommandContext): Promise<void> {
  const [spec, output] = splitArgs(args, 2);
  if (!spec) throw new UsageError('--echo needs a node: --echo:AE[,file]');
  const { client, peer } = await connectPeer(spec, ctx, [
    { abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: NATIVE },
  ]);
  const status = await client.echo();
  await client.release();
  const result = status === 0 ? 'success' : `status ${formatStatus(status)}`;
  const text = `C-ECHO to ${peer.aeTitle} at ${peer.host}:${peer.port}: ${result}\n`;
  if (output) writeFileSync(output, text);
  else ctx.stdout.write(text);
  if (status !== 0) throw new AssociationError(`echo answered with ${formatStatus(status)}`);
}

export async function forwardCommand(args: string, ctx: CommandContext): Promise<void> {
  const [file, modeText, spec] = splitArgs(args, 3);
  if (!file || !spec) throw new UsageError('--forward needs a file and a node: --forward:file,mode,AE');
  // An empty mode sends the file as it is; otherwise Conquest's modes, with fallback to uncompressed.
  const mode = commandMode(modeText || 'as', ctx);
  const described = await describeFile(file);
  const proposal = proposalFor(
    [{ sopClassUid: described.sopClassUid, transferSyntaxUid: described.transferSyntax.uid }],
    mode,
  );
  const { client, peer } = await connectPeer(spec, ctx, proposal);
  try {
    const status = await storeInMode(client, described, undefined, mode);
    ctx.stdout.write(
      `C-STORE of ${file} to ${peer.aeTitle}: ${status === 0 ? 'success' : formatStatus(status)}\n`,
    );
    if (status !== 0 && (status & 0xf000) !== 0xb000) {
      throw new AssociationError(`store answered with ${formatStatus(status)}`);
    }
  } finally {
    await client.release();
  }
}
