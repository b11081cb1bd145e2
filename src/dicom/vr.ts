/**
 * Value Representations (PS3.5 6.2): the codes and how each is laid out on the wire.
 */
export const VRS = [
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
] as const;

export type VR = (typeof VRS)[number];

const VR_SET: ReadonlySet<string> = new Set(VRS);

export function isVR(code: string): code is VR {
  return VR_SET.has(code);
}

/** VR codes by their two bytes (first << 8 | second), for the parser's hot path. */
const VR_BY_CODE: (VR | undefined)[] = new Array(65536).fill(undefined);
for (const vr of VRS) VR_BY_CODE[(vr.charCodeAt(0) << 8) | vr.charCodeAt(1)] = vr;

/** The VR whose code is these two bytes, or undefined. */
export function vrFromBytes(first: number, second: number): VR | undefined {
  return VR_BY_CODE[(first << 8) | second];
}

/** VRs whose explicit-VR header has 2 reserved bytes and a 32-bit length (PS3.5 Table 7.1-1). */
const LONG_LENGTH: ReadonlySet<VR> = new Set<VR>([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'SV',
  'UC',
  'UN',
  'UR',
  'UT',
  'UV',
]);

export function hasLongLength(vr: VR): boolean {
  return LONG_LENGTH.has(vr);
}

/** Text VRs: values are characters, padded with a space to even length. */
const STRING_VRS: ReadonlySet<VR> = new Set<VR>([
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'TM',
  'UC',
  'UI',
  'UR',
  'UT',
]);

export function isStringVR(vr: VR): boolean {
  return STRING_VRS.has(vr);
}

/** Text VRs whose characters follow Specific Character Set (PS3.5 6.1.2.3); others are the default repertoire. */
const CHARSET_VRS: ReadonlySet<VR> = new Set<VR>(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

export function usesSpecificCharacterSet(vr: VR): boolean {
  return CHARSET_VRS.has(vr);
}

/** Text VRs that hold one value only: a backslash is a character, not a separator. */
const SINGLE_VALUE_TEXT: ReadonlySet<VR> = new Set<VR>(['LT', 'ST', 'UT', 'UR']);

export function isSingleValuedText(vr: VR): boolean {
  return SINGLE_VALUE_TEXT.has(vr);
}

/** Size in bytes of one binary value, for byte swapping and value counting; 0 for non-binary VRs. */
export function binaryValueSize(vr: VR): number {
  switch (vr) {
    case 'US':
    case 'SS':
    case 'OW':
    case 'AT': // an AT is two 16-bit halves, each swapped on its own
      return 2;
    case 'UL':
    case 'SL':
    case 'FL':
    case 'OF':
    case 'OL':
      return 4;
    case 'FD':
    case 'OD':
    case 'SV':
    case 'UV':
    case 'OV':
      return 8;
    default:
      return 0;
  }
}

/** Pad byte for an odd-length value: NUL for UI and binary VRs, space for text (PS3.5 6.2). */
export function padByte(vr: VR): number {
  return isStringVR(vr) && vr !== 'UI' ? 0x20 : 0x00;
}
