/**
 * Transfer syntaxes (PS3.5 10 and Annex A): how a dataset is encoded, and which ones this library can read
 * structurally. Pixel compression itself belongs to src/codecs; here a syntax only says whether Pixel Data
 * is encapsulated.
 */
export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  readonly explicitVR: boolean;
  readonly littleEndian: boolean;
  /** The whole dataset after the meta header is raw DEFLATE (PS3.5 A.5). */
  readonly deflated: boolean;
  /** Pixel Data is a sequence of fragments (PS3.5 A.4). */
  readonly encapsulated: boolean;
  /** The encoding loses information (lossy JPEG, JPEG-LS near-lossless, JPEG 2000 lossy, video...). */
  readonly lossy: boolean;
  readonly retired: boolean;
}

function ts(
  uid: string,
  name: string,
  opts: Partial<Omit<TransferSyntax, 'uid' | 'name'>> = {},
): TransferSyntax {
  return {
    uid,
    name,
    explicitVR: opts.explicitVR ?? true,
    littleEndian: opts.littleEndian ?? true,
    deflated: opts.deflated ?? false,
    encapsulated: opts.encapsulated ?? true,
    lossy: opts.lossy ?? false,
    retired: opts.retired ?? false,
  };
}

export const ImplicitVRLittleEndian = ts('1.2.840.10008.1.2', 'Implicit VR Little Endian', {
  explicitVR: false,
  encapsulated: false,
});
export const ExplicitVRLittleEndian = ts('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', {
  encapsulated: false,
});
export const EncapsulatedUncompressedExplicitVRLittleEndian = ts(
  '1.2.840.10008.1.2.1.98',
  'Encapsulated Uncompressed Explicit VR Little Endian',
);
export const DeflatedExplicitVRLittleEndian = ts(
  '1.2.840.10008.1.2.1.99',
  'Deflated Explicit VR Little Endian',
  {
    deflated: true,
    encapsulated: false,
  },
);
export const ExplicitVRBigEndian = ts('1.2.840.10008.1.2.2', 'Explicit VR Big Endian', {
  littleEndian: false,
  encapsulated: false,
  retired: true,
});

const lossy = { lossy: true };
const retiredLossy = { lossy: true, retired: true };
const retired = { retired: true };

const ALL: readonly TransferSyntax[] = [
  ImplicitVRLittleEndian,
  ExplicitVRLittleEndian,
  EncapsulatedUncompressedExplicitVRLittleEndian,
  DeflatedExplicitVRLittleEndian,
  ExplicitVRBigEndian,
  ts('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', lossy),
  ts('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', lossy),
  ts('1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 & 5)', retiredLossy),
  ts('1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)', retiredLossy),
  ts('1.2.840.10008.1.2.4.54', 'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9)', retiredLossy),
  ts('1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12)', retiredLossy),
  ts('1.2.840.10008.1.2.4.56', 'JPEG Full Progression, Non-Hierarchical (Process 11 & 13)', retiredLossy),
  ts('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)'),
  ts('1.2.840.10008.1.2.4.58', 'JPEG Lossless, Non-Hierarchical (Process 15)', retired),
  ts('1.2.840.10008.1.2.4.59', 'JPEG Extended, Hierarchical (Process 16 & 18)', retiredLossy),
  ts('1.2.840.10008.1.2.4.60', 'JPEG Extended, Hierarchical (Process 17 & 19)', retiredLossy),
  ts('1.2.840.10008.1.2.4.61', 'JPEG Spectral Selection, Hierarchical (Process 20 & 22)', retiredLossy),
  ts('1.2.840.10008.1.2.4.62', 'JPEG Spectral Selection, Hierarchical (Process 21 & 23)', retiredLossy),
  ts('1.2.840.10008.1.2.4.63', 'JPEG Full Progression, Hierarchical (Process 24 & 26)', retiredLossy),
  ts('1.2.840.10008.1.2.4.64', 'JPEG Full Progression, Hierarchical (Process 25 & 27)', retiredLossy),
  ts('1.2.840.10008.1.2.4.65', 'JPEG Lossless, Hierarchical (Process 28)', retired),
  ts('1.2.840.10008.1.2.4.66', 'JPEG Lossless, Hierarchical (Process 29)', retired),
  ts(
    '1.2.840.10008.1.2.4.70',
    'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])',
  ),
  ts('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless Image Compression'),
  ts('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless) Image Compression', lossy),
  ts('1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)'),
  ts('1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', lossy),
  ts('1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)'),
  ts('1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component Image Compression', lossy),
  ts('1.2.840.10008.1.2.4.94', 'JPIP Referenced', { encapsulated: false }),
  ts('1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate', { encapsulated: false, deflated: true }),
  ts('1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level', lossy),
  ts('1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level', lossy),
  ts('1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', lossy),
  ts('1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', lossy),
  ts('1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', lossy),
  ts('1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', lossy),
  ts('1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', lossy),
  ts('1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', lossy),
  ts('1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1', lossy),
  ts('1.2.840.10008.1.2.4.110', 'JPEG XL Lossless'),
  ts('1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression'),
  ts('1.2.840.10008.1.2.4.112', 'JPEG XL', lossy),
  ts('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)'),
  ts(
    '1.2.840.10008.1.2.4.202',
    'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)',
  ),
  ts('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000 Image Compression', lossy),
  ts('1.2.840.10008.1.2.4.204', 'JPIP HTJ2K Referenced', { encapsulated: false }),
  ts('1.2.840.10008.1.2.4.205', 'JPIP HTJ2K Referenced Deflate', { encapsulated: false, deflated: true }),
  ts('1.2.840.10008.1.2.5', 'RLE Lossless'),
  ts('1.2.840.10008.1.2.6.1', 'RFC 2557 MIME encapsulation', retired),
  ts('1.2.840.10008.1.2.6.2', 'XML Encoding', retired),
  ts('1.2.840.10008.1.2.7.1', 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', {
    encapsulated: false,
  }),
  ts('1.2.840.10008.1.2.7.2', 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', {
    encapsulated: false,
  }),
  ts('1.2.840.10008.1.2.7.3', 'SMPTE ST 2110-30 PCM Digital Audio', { encapsulated: false }),
];

const BY_UID: ReadonlyMap<string, TransferSyntax> = new Map(ALL.map((t) => [t.uid, t]));

export function allTransferSyntaxes(): readonly TransferSyntax[] {
  return ALL;
}

/** The syntax for a UID (trailing NUL/space padding ignored); undefined when unknown. */
export function findTransferSyntax(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid.replace(/[\0 ]+$/, ''));
}

/** True for the three native syntaxes that need no codec: Implicit LE, Explicit LE and Explicit BE. */
export function isNative(t: TransferSyntax): boolean {
  return !t.encapsulated && !t.deflated;
}
