/**
 * Which transfer syntaxes to offer a receiver, and in which order to try what it accepted, for objects
 * sent under a compression mode (the acrnema.map column of a C-MOVE destination, `--forward:file,mode,AE`;
 * manual 7.4 and 7.7). As Conquest: the mode's syntaxes are proposed each in a presentation context of
 * its own, with an uncompressed context as fallback ("if the remote host does not accept the offered
 * compression, images will automatically be sent with simpler compression or uncompressed"); `as`/`is`
 * offer each object's stored syntax. Unlike Conquest's `un`, which proposes only Implicit VR Little
 * Endian, the uncompressed context also offers Explicit VR Little Endian first (it keeps the VRs).
 */
import { type CompressionMode, isJpegFamily } from '../codecs/modes.js';
import type { ProposedContext } from '../net/client.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const NATIVE = new Set([EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE]);
const MAX_CONTEXTS = 128;

export interface OutgoingObject {
  readonly sopClassUid: string;
  /** The syntax the object is stored in. */
  readonly transferSyntaxUid: string;
}

/** The native syntaxes to offer in the fallback context. */
function nativeOffer(mode: CompressionMode): string[] {
  const fromMode = mode.proposedTransferSyntaxUids.filter((t) => NATIVE.has(t));
  if (mode.noUncompressedFallback && fromMode.length) return fromMode;
  const out = fromMode.filter((t) => t !== IMPLICIT_LE);
  if (!out.includes(EXPLICIT_LE) && !fromMode.includes(EXPLICIT_BE)) out.unshift(EXPLICIT_LE);
  return [...out, IMPLICIT_LE];
}

/** The compressed syntaxes to offer for objects of one SOP class stored in `stored`. */
function compressedOffer(mode: CompressionMode, stored: readonly string[]): string[] {
  switch (mode.kind) {
    case 'as-is':
      return stored.filter((t) => !NATIVE.has(t));
    case 'jpeg':
      return mode.proposedTransferSyntaxUids.filter((t) => !NATIVE.has(t));
    case 'uncompressed-unless-jpeg':
    case 'nki-unless-jpeg':
      return stored.filter(isJpegFamily);
    default:
      return [];
  }
}

/** The presentation contexts to propose for sending these objects under `mode`. */
export function proposalFor(
  objects: readonly OutgoingObject[],
  mode: CompressionMode,
  roles?: { scuRole: boolean; scpRole: boolean },
): ProposedContext[] {
  const bySop = new Map<string, Set<string>>();
  for (const o of objects) {
    const set = bySop.get(o.sopClassUid) ?? new Set<string>();
    set.add(o.transferSyntaxUid);
    bySop.set(o.sopClassUid, set);
  }
  const natives: ProposedContext[] = [];
  const compressed: ProposedContext[] = [];
  const context = (sop: string, ts: string[]): ProposedContext => ({
    abstractSyntax: sop,
    transferSyntaxes: ts,
    ...(roles ? { roles } : {}),
  });
  for (const [sop, stored] of bySop) {
    natives.push(context(sop, nativeOffer(mode)));
    for (const ts of compressedOffer(mode, [...stored])) compressed.push(context(sop, [ts]));
  }
  // Every SOP class keeps its uncompressed context; compressed ones fill what is left of the 128.
  return [
    ...natives.slice(0, MAX_CONTEXTS),
    ...compressed.slice(0, Math.max(0, MAX_CONTEXTS - natives.length)),
  ];
}

/**
 * The syntaxes to try for one object, best first, among those the receiver accepted for its SOP class:
 * the mode's choice (the stored syntax for as/is, nj, uj when it is JPEG), then the other accepted
 * compressed ones in the mode's order, then uncompressed.
 */
export function sendOrder(storedTs: string, accepted: readonly string[], mode: CompressionMode): string[] {
  const wanted: string[] = [];
  const add = (t: string): void => {
    if (accepted.includes(t) && !wanted.includes(t)) wanted.push(t);
  };
  const keepsStored =
    mode.kind === 'as-is' ||
    ((mode.kind === 'uncompressed-unless-jpeg' || mode.kind === 'nki-unless-jpeg') && isJpegFamily(storedTs));
  if (keepsStored) add(storedTs);
  if (mode.kind === 'jpeg') for (const t of mode.proposedTransferSyntaxUids) if (!NATIVE.has(t)) add(t);
  // Uncompressed: the stored native syntax saves a conversion, else Explicit, then the others.
  if (NATIVE.has(storedTs)) add(storedTs);
  for (const t of [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE]) add(t);
  // Anything else accepted (a C-GET requester's own choice).
  for (const t of accepted) add(t);
  return wanted;
}
