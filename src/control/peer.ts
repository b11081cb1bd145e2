/**
 * Naming a remote DICOM node on the command line: an AE title from acrnema.map (wildcard entries
 * included), or `AE@host:port`, or `host:port` (the called AE is then the host part's upper-case form,
 * unless given), or `(local)` for this server; and opening an association to it, shared by the client
 * commands (echo, forward, the move family, the finders and listers, grab).
 */
import type { AcrNemaMap } from '../config/acrnema-map.js';
import { DicomClient, type ProposedContext } from '../net/client.js';
import { UsageError } from './arguments.js';
import type { CommandContext } from './context.js';

export interface Peer {
  aeTitle: string;
  host: string;
  port: number;
  /** The acrnema.map compression column, when the peer came from the map. */
  compression: string | undefined;
}

export function resolvePeer(spec: string, map: AcrNemaMap | undefined): Peer {
  const at = /^([^@]+)@([^:]+):(\d+)$/.exec(spec);
  if (at) return { aeTitle: at[1]!, host: at[2]!, port: Number(at[3]), compression: undefined };
  const hostPort = /^([^:@]+):(\d+)$/.exec(spec);
  if (hostPort)
    return { aeTitle: 'ANY-SCP', host: hostPort[1]!, port: Number(hostPort[2]), compression: undefined };
  const entry = map?.resolve(spec);
  if (!entry)
    throw new UsageError(
      `'${spec}' is not in acrnema.map (give AE@host:port or host:port to reach an unlisted node)`,
    );
  return { aeTitle: spec, host: entry.host, port: entry.port, compression: entry.compression };
}

/** `(local)` (Conquest's move commands) or `local` (its finders and listers): this server itself. */
export function isLocalNode(spec: string): boolean {
  const s = spec.trim().toLowerCase();
  return s === '(local)' || s === 'local';
}

/** This node's AE title: -h, else MyACRNema. */
export function ourAETitle(ctx: CommandContext): string {
  return ctx.aeTitle ?? ctx.config().server.myACRNema;
}

/** A node named on the command line; `(local)` is this server at 127.0.0.1 on its port (-p, else TCPPort). */
export function peerFor(spec: string, ctx: CommandContext): Peer {
  const config = ctx.config();
  if (isLocalNode(spec))
    return {
      aeTitle: ourAETitle(ctx),
      host: '127.0.0.1',
      port: ctx.port ?? config.server.tcpPort,
      compression: undefined,
    };
  return resolvePeer(spec.trim(), config.acrNemaMap);
}

/** Opens an association to a node named on the command line, calling as this server's AE title. */
export async function connectPeer(
  spec: string,
  ctx: CommandContext,
  contexts: readonly ProposedContext[],
): Promise<{ client: DicomClient; peer: Peer }> {
  const peer = peerFor(spec, ctx);
  const client = await DicomClient.connect(
    {
      host: peer.host,
      port: peer.port,
      callingAETitle: ourAETitle(ctx),
      calledAETitle: peer.aeTitle,
      log: ctx.log,
    },
    contexts,
  );
  return { client, peer };
}

/** Runs `use` on an association to the node and releases it after (aborts when the release fails). */
export async function withPeer<T>(
  spec: string,
  ctx: CommandContext,
  contexts: readonly ProposedContext[],
  use: (client: DicomClient, peer: Peer) => Promise<T>,
): Promise<T> {
  const { client, peer } = await connectPeer(spec, ctx, contexts);
  try {
    return await use(client, peer);
  } finally {
    await client.release().catch(() => client.abort());
  }
}
