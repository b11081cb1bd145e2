/**
 * Naming a remote DICOM node on the command line: an AE title from acrnema.map (wildcard entries
 * included), or `AE@host:port`, or `host:port` (the called AE is then the host part's upper-case form,
 * unless given).
 */
import type { AcrNemaMap } from '../config/acrnema-map.js';
import { UsageError } from './arguments.js';

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
