/**
 * Conquest's compression mode strings (DroppedFileCompression, IncomingCompression, ArchiveCompression,
 * "forward compressed as xx", the compression column of acrnema.map, SERVER~xx called AEs), parsed into a
 * typed CompressionMode. The list is the manual's (7.2 DroppedFileCompression, 7.7); what each does is from
 * Conquest's nkiqrsop.cpp recompress(), AddTransferSyntaxs() and GetAcceptedCompressionType().
 * Case-insensitive. A trailing "!" (e.g. "JK!") means: do not also propose Implicit VR Little Endian on an
 * outgoing association.
 */
import { CodecError, type EncodeOptions } from './codec.js';

export type CompressionKind =
  /** as, is: leave the object as it is. */
  | 'as-is'
  /** un, ul, ub, ue, ui: decompress to native pixels (ul/ub/ue/ui also pick the native syntax). */
  | 'uncompressed'
  /** n1..n4: NKI private compression. */
  | 'nki'
  /** j1..j7, js, jk, jl: a JPEG family transfer syntax. */
  | 'jpeg'
  /** nj: leave JPEG as it is, else the highest NKI mode. */
  | 'nki-unless-jpeg'
  /** uj: leave JPEG as it is, else decompress. */
  | 'uncompressed-unless-jpeg'
  /** k1..kc: downsize. */
  | 'downsize'
  /** s0..s9: run CompressionConverterN. */
  | 'converter'
  /** vX (IncomingCompression only): do not store the object at all. */
  | 'discard';

export interface CompressionMode {
  /** The string as given, trimmed. */
  readonly text: string;
  readonly kind: CompressionKind;
  /** The transfer syntax the object ends up in, when the mode fixes one. */
  readonly transferSyntaxUid?: string;
  /** Transfer syntaxes to propose for an outgoing association, in Conquest's order. */
  readonly proposedTransferSyntaxUids: readonly string[];
  readonly lossy: boolean;
  /** Lossy modes: the quality to use (the NN override, else LossyQuality). */
  readonly quality?: number;
  /** The NN appended to j3..j6, j7 or jl. */
  readonly qualityOverride?: number;
  readonly nkiMode?: 1 | 2 | 3 | 4;
  /** Downsize modes: the largest Rows/Columns kept. */
  readonly downsizeTo?: number;
  /** s0..s9: N of CompressionConverterN. */
  readonly converter?: number;
  /** A trailing "!": no Implicit VR Little Endian fallback is proposed. */
  readonly noUncompressedFallback: boolean;
}

/** A string that is not one of Conquest's compression modes. */
export class CompressionModeError extends CodecError {
  constructor(readonly modeText: string) {
    super(
      `unknown compression mode '${modeText}' (expected as, is, un, ul, ub, ue, n1..n4, nj, uj, j1..j6, j3NN..j6NN, js, j7, j7NN, jk, jl, jlNN, k1, k2, k4, k8, ka, kb, kc, s0..s9)`,
      'compression mode',
    );
  }
}

export const DEFAULT_LOSSY_QUALITY = 95;

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';

interface JpegEntry {
  readonly uid: string;
  readonly lossy: boolean;
  /** What AddTransferSyntaxs proposes for this mode (before the Implicit LE fallback). */
  readonly propose: readonly string[];
}

const TS = (n: number): string => `1.2.840.10008.1.2.4.${n}`;

const JPEG: Readonly<Record<string, JpegEntry>> = {
  '1': { uid: TS(70), lossy: false, propose: [TS(57), TS(70)] },
  '2': { uid: TS(57), lossy: false, propose: [TS(57), TS(70)] },
  '3': { uid: TS(50), lossy: true, propose: [TS(51), TS(50)] },
  '4': { uid: TS(51), lossy: true, propose: [TS(51), TS(50)] },
  '5': { uid: TS(53), lossy: true, propose: [TS(53), TS(51), TS(50)] },
  '6': { uid: TS(55), lossy: true, propose: [TS(55), TS(51), TS(50)] },
  s: { uid: TS(80), lossy: false, propose: [TS(80)] },
  '7': { uid: TS(81), lossy: true, propose: [TS(81), TS(80)] },
  k: { uid: TS(90), lossy: false, propose: [TS(90)] },
  l: { uid: TS(91), lossy: true, propose: [TS(91), TS(90)] },
};

const DOWNSIZE: Readonly<Record<string, number>> = {
  '1': 1024,
  '2': 512,
  '4': 256,
  '8': 128,
  a: 64,
  b: 32,
  c: 16,
};

const UNCOMPRESSED: Readonly<Record<string, { uid?: string; propose: readonly string[] }>> = {
  un: { propose: [] },
  ul: { uid: EXPLICIT_LE, propose: [EXPLICIT_LE] },
  ub: { uid: EXPLICIT_BE, propose: [EXPLICIT_BE] },
  ue: { uid: EXPLICIT_LE, propose: [EXPLICIT_LE, EXPLICIT_BE] },
  ui: { uid: IMPLICIT_LE, propose: [] },
};

type Draft = Omit<CompressionMode, 'text' | 'noUncompressedFallback' | 'proposedTransferSyntaxUids'> & {
  readonly propose?: readonly string[];
};

function plain(kind: CompressionKind): Draft {
  return { kind, lossy: false };
}

function parseJpeg(rest: string, lossyQuality: number): Draft | undefined {
  const entry = JPEG[rest[0] ?? ''];
  if (!entry) return undefined;
  const digits = rest.slice(1);
  if (digits === '') {
    // LossyQuality is a JPEG quality (1..100). The other lossy codecs read `quality` in their own unit —
    // JPEG-LS (j7) as NEAR, the allowed error; JPEG 2000 (jl) as the compression ratio — so a bare j7 or jl
    // uses the codec's default (NEAR 2, ratio 10) rather than LossyQuality (95 would mean ±95, 95:1).
    // j7NN and jlNN give NN in the codec's unit.
    const quality = entry.lossy && rest[0] !== '7' && rest[0] !== 'l' ? { quality: lossyQuality } : {};
    return {
      kind: 'jpeg',
      transferSyntaxUid: entry.uid,
      lossy: entry.lossy,
      ...quality,
      propose: entry.propose,
    };
  }
  // NN is documented for the lossy ones only (j3NN..j6NN, j7NN, jlNN).
  if (!entry.lossy || !/^\d{1,3}$/.test(digits)) return undefined;
  const nn = Number(digits);
  if (nn < 1 || nn > 100) return undefined;
  return {
    kind: 'jpeg',
    transferSyntaxUid: entry.uid,
    lossy: true,
    quality: nn,
    qualityOverride: nn,
    propose: entry.propose,
  };
}

function parseBody(s: string, lossyQuality: number): Draft | undefined {
  if (s === '' || s === 'as' || s === 'is') return plain('as-is');
  const un = UNCOMPRESSED[s];
  if (un)
    return {
      kind: 'uncompressed',
      lossy: false,
      ...(un.uid ? { transferSyntaxUid: un.uid } : {}),
      propose: un.propose,
    };
  if (s === 'nj') return { kind: 'nki-unless-jpeg', lossy: false, nkiMode: 4 };
  if (s === 'uj') return plain('uncompressed-unless-jpeg');
  if (/^n[1-4]$/.test(s)) return { kind: 'nki', lossy: false, nkiMode: Number(s[1]) as 1 | 2 | 3 | 4 };
  if (s.length === 2 && s[0] === 'k' && DOWNSIZE[s[1]!])
    return { kind: 'downsize', lossy: false, downsizeTo: DOWNSIZE[s[1]!]! };
  if (/^s\d$/.test(s)) return { kind: 'converter', lossy: false, converter: Number(s[1]) };
  if (/^v.$/.test(s)) return plain('discard');
  if (s[0] === 'j') return parseJpeg(s.slice(1), lossyQuality);
  return undefined;
}

/**
 * Parses a compression mode string. `lossyQuality` is dicom.ini's LossyQuality (default 95), used by
 * lossy modes without an NN suffix. An empty string means as-is, as in Conquest's recompress().
 */
export function parseCompressionMode(text: string, lossyQuality = DEFAULT_LOSSY_QUALITY): CompressionMode {
  const trimmed = text.trim();
  const bang = trimmed.endsWith('!');
  const body = (bang ? trimmed.slice(0, -1) : trimmed).toLowerCase();
  const draft = parseBody(body, lossyQuality);
  if (!draft) throw new CompressionModeError(trimmed);
  const { propose = [], ...rest } = draft;
  return {
    ...rest,
    text: trimmed,
    proposedTransferSyntaxUids: bang ? propose : [...propose, IMPLICIT_LE],
    noUncompressedFallback: bang,
  };
}

/** The mode string Conquest's GetAcceptedCompressionType reports for an accepted transfer syntax. */
export function modeForAcceptedTransferSyntax(uid: string): string {
  const table: Readonly<Record<string, string>> = {
    [TS(70)]: 'j1',
    [TS(57)]: 'j2',
    [TS(50)]: 'j3',
    [TS(51)]: 'j4',
    [TS(53)]: 'j5',
    [TS(55)]: 'j6',
    [TS(90)]: 'jk',
    [TS(91)]: 'jl',
    [TS(80)]: 'js',
    [TS(81)]: 'j7',
    [EXPLICIT_LE]: 'ul',
    [EXPLICIT_BE]: 'ub',
    [IMPLICIT_LE]: 'ui',
  };
  return table[uid] ?? 'un';
}

/** The JPEG family (1.2.840.10008.1.2.4.x), which nj and uj leave as it is. */
export function isJpegFamily(transferSyntaxUid: string): boolean {
  return transferSyntaxUid.startsWith('1.2.840.10008.1.2.4.');
}

/**
 * What the encoder is told for a mode: its quality, and for j2 predictor 6 (Conquest's jpegconv.cpp writes
 * j2 as .57 with selection value 6).
 */
export function encodeOptionsFor(mode: CompressionMode): EncodeOptions {
  return {
    ...(mode.quality !== undefined ? { quality: mode.quality } : {}),
    ...(/^j2/i.test(mode.text) ? { predictor: 6 } : {}),
  };
}
