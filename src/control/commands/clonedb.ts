/**
 * `--clonedb:AE` (manual Appendix 1 and the dgate command list: "Clone db from server for testing"):
 * copies the index of the node AE — an acrnema.map entry, or AE@host:port / host:port like the other
 * client commands — into this server's index over C-FIND, records only (see
 * archive/maintenance/clonedb.ts). It runs in the server when one answers, so that the server's index
 * writer enters the records, else in dgate's own process. Progress goes to the log every ~2 s; the summary
 * line to the output.
 */
import {
  CloneError,
  cloneDb,
  cloneSummary,
  PATIENT_ROOT_FIND,
  STUDY_ROOT_FIND,
} from '../../archive/maintenance/clonedb.js';
import type { ProposedContext } from '../../net/client.js';
import { UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { isLocalNode, ourAETitle, peerFor, withPeer } from '../peer.js';

const NATIVE = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];
const CONTEXTS: ProposedContext[] = [
  { abstractSyntax: PATIENT_ROOT_FIND, transferSyntaxes: NATIVE },
  { abstractSyntax: STUDY_ROOT_FIND, transferSyntaxes: NATIVE },
];

export async function cloneDbCommand(args: string, ctx: CommandContext): Promise<void> {
  const ae = args.trim();
  if (ae === '')
    throw new UsageError('--clonedb:AE needs the server to clone (an AE title from acrnema.map)');
  if (isLocalNode(ae)) throw new UsageError('--clonedb: a server cannot clone its own index');
  // An unknown AE is a usage error before anything is opened.
  peerFor(ae, ctx);
  const archive = await ctx.archive();
  const result = await withPeer(ae, ctx, CONTEXTS, (client, peer) =>
    cloneDb(archive, client, { log: ctx.log, remoteAE: peer.aeTitle, ourAE: ourAETitle(ctx) }),
  );
  ctx.stdout.write(`${cloneSummary(ae, result)}\n`);
  if (result.failed > 0) throw new CloneError(`clonedb: ${result.failed} records could not be entered`);
}
