/**
 * Value encoding and decoding per VR (PS3.5 6.2): padding, multiplicity, numbers as text (IS/DS) and as
 * binary, AT, PN components and groups, DA/TM/DT parsing. Pure functions over bytes; the Dataset getters
 * and setters are built on these.
 */
import type { SpecificCharacterSet } from './charset.js';
import { DicomValueError } from './errors.js';
import { makeTag, type Tag } from './tag.js';
import {
  binaryValueSize,
  isSingleValuedText,
  isStringVR,
  padByte,
  usesSpecificCharacterSet,
  type VR,
} from './vr.js';

/** Text of a string element, decoded with the character set where the VR uses it (PS3.5 6.1.2.3). */
export function decodeText(bytes: Uint8Array, vr: VR, charset: SpecificCharacterSet): string {
  if (!usesSpecificCharacterSet(vr) || charset.isDefault)
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1', 0, bytes.length);
  return charset.decode(bytes, vr);
}

/** Removes the padding and insignificant spaces PS3.5 6.2 allows for the VR. */
export function trimValue(value: string, vr: VR): string {
  switch (vr) {
    case 'UI':
      return value.replace(/[\0 ]+$/, '');
    case 'AE':
    case 'AS':
    case 'CS':
    case 'DA':
    case 'DS':
    case 'IS':
    case 'LO':
    case 'SH':
      return value.replace(/^[ \0]+|[ \0]+$/g, '');
    default:
      // PN, TM, DT, LT, ST, UT, UC, UR: leading spaces are significant, trailing ones are padding.
      return value.replace(/[ \0]+$/, '');
  }
}

/** The values of a string element, split on backslash except for the single-valued text VRs. */
export function decodeStrings(bytes: Uint8Array, vr: VR, charset: SpecificCharacterSet): string[] {
  if (bytes.length === 0) return [];
  const text = decodeText(bytes, vr, charset);
  if (isSingleValuedText(vr)) return [trimValue(text, vr)];
  return text.split('\\').map((v) => trimValue(v, vr));
}

/** Encodes string values, joined by backslash and padded to even length with the VR's pad byte. */
export function encodeStrings(values: readonly string[], vr: VR, charset: SpecificCharacterSet): Buffer {
  if (!isStringVR(vr)) throw new DicomValueError(`cannot encode text as ${vr}`);
  if (isSingleValuedText(vr) && values.length > 1) throw new DicomValueError(`${vr} holds a single value`);
  const text = values.join('\\');
  // Text VRs go through the character set, which writes '?' for what it cannot encode (never a cut byte).
  const raw = usesSpecificCharacterSet(vr) ? charset.encode(text, vr) : Buffer.from(text, 'latin1');
  return padEven(raw, vr);
}

export function padEven(raw: Buffer, vr: VR): Buffer {
  if ((raw.length & 1) === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + 1);
  raw.copy(out);
  out[raw.length] = padByte(vr);
  return out;
}

/** Numbers of a binary numeric element (US SS UL SL FL FD OW OF OD OL; SV/UV as Number when exact). */
export function decodeBinaryNumbers(bytes: Uint8Array, vr: VR, littleEndian: boolean): number[] {
  const size = binaryValueSize(vr);
  if (size === 0) throw new DicomValueError(`${vr} is not a binary numeric VR`);
  const n = Math.floor(bytes.length / size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * size);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = readBinary(view, i * size, vr, littleEndian);
  return out;
}

function readBinary(view: DataView, at: number, vr: VR, le: boolean): number {
  switch (vr) {
    case 'US':
    case 'OW':
    case 'AT':
      return view.getUint16(at, le);
    case 'SS':
      return view.getInt16(at, le);
    case 'UL':
    case 'OL':
      return view.getUint32(at, le);
    case 'SL':
      return view.getInt32(at, le);
    case 'FL':
    case 'OF':
      return view.getFloat32(at, le);
    case 'FD':
    case 'OD':
      return view.getFloat64(at, le);
    case 'SV':
      return Number(view.getBigInt64(at, le));
    case 'UV':
    case 'OV':
      return Number(view.getBigUint64(at, le));
    default:
      throw new DicomValueError(`${vr} is not a binary numeric VR`);
  }
}

/** SV, UV and OV values exactly, as bigint. */
export function decodeBigInts(bytes: Uint8Array, vr: VR, littleEndian: boolean): bigint[] {
  const n = Math.floor(bytes.length / 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 8);
  const out = new Array<bigint>(n);
  for (let i = 0; i < n; i++)
    out[i] = vr === 'SV' ? view.getBigInt64(i * 8, littleEndian) : view.getBigUint64(i * 8, littleEndian);
  return out;
}

export function encodeBinaryNumbers(
  values: readonly (number | bigint)[],
  vr: VR,
  littleEndian: boolean,
): Buffer {
  const size = binaryValueSize(vr);
  if (size === 0 || vr === 'AT') throw new DicomValueError(`${vr} is not a binary numeric VR`);
  const out = Buffer.alloc(values.length * size);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < values.length; i++) writeBinary(view, i * size, vr, values[i]!, littleEndian);
  return out;
}

function writeBinary(view: DataView, at: number, vr: VR, v: number | bigint, le: boolean): void {
  const num = typeof v === 'bigint' ? Number(v) : v;
  const checkInt = (min: number, max: number): number => {
    if (!Number.isInteger(num) || num < min || num > max)
      throw new DicomValueError(`${v} does not fit ${vr}`);
    return num;
  };
  switch (vr) {
    case 'US':
    case 'OW':
      view.setUint16(at, checkInt(0, 0xffff), le);
      return;
    case 'SS':
      view.setInt16(at, checkInt(-0x8000, 0x7fff), le);
      return;
    case 'UL':
    case 'OL':
      view.setUint32(at, checkInt(0, 0xffffffff), le);
      return;
    case 'SL':
      view.setInt32(at, checkInt(-0x80000000, 0x7fffffff), le);
      return;
    case 'FL':
    case 'OF':
      view.setFloat32(at, num, le);
      return;
    case 'FD':
    case 'OD':
      view.setFloat64(at, num, le);
      return;
    case 'SV':
      view.setBigInt64(at, BigInt(v), le);
      return;
    case 'UV':
    case 'OV':
      view.setBigUint64(at, BigInt(v), le);
      return;
    default:
      throw new DicomValueError(`${vr} is not a binary numeric VR`);
  }
}

/** AT values: each is a group and an element, 16 bits each in the syntax's byte order. */
export function decodeTags(bytes: Uint8Array, littleEndian: boolean): Tag[] {
  const n = Math.floor(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 4);
  const out = new Array<Tag>(n);
  for (let i = 0; i < n; i++)
    out[i] = makeTag(view.getUint16(i * 4, littleEndian), view.getUint16(i * 4 + 2, littleEndian));
  return out;
}

export function encodeTags(tags: readonly Tag[], littleEndian: boolean): Buffer {
  const out = Buffer.alloc(tags.length * 4);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  tags.forEach((t, i) => {
    view.setUint16(i * 4, t >>> 16, littleEndian);
    view.setUint16(i * 4 + 2, t & 0xffff, littleEndian);
  });
  return out;
}

/** IS: an integer string (PS3.5 6.2), NaN when not one. */
export function parseIS(text: string): number {
  const t = text.trim();
  return /^[+-]?\d+$/.test(t) ? Number.parseInt(t, 10) : Number.NaN;
}

/** DS: a decimal string (fixed or exponent form), NaN when not one. */
export function parseDS(text: string): number {
  const t = text.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
}

/** Formats a number as DS in at most 16 characters (PS3.5 6.2 limits DS to 16 bytes). */
export function formatDS(n: number): string {
  if (!Number.isFinite(n)) throw new DicomValueError(`DS cannot hold ${n}`);
  let s = String(n);
  for (let p = 16; s.length > 16 && p > 0; p--) s = String(Number(n.toPrecision(p)));
  if (s.length > 16) s = n.toExponential(9);
  return s;
}

export function formatIS(n: number): string {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1)
    throw new DicomValueError(`IS cannot hold ${n}`);
  return String(n);
}

/** One value of a PN (PS3.5 6.2.1): up to three component groups, each of up to five components. */
export class PersonName {
  constructor(
    readonly alphabetic: string,
    readonly ideographic = '',
    readonly phonetic = '',
  ) {}

  static parse(value: string): PersonName {
    const [a = '', i = '', p = ''] = value.split('=');
    return new PersonName(a, i, p);
  }

  /** Family, given, middle, prefix, suffix of one group ('alphabetic' by default). */
  components(group: 'alphabetic' | 'ideographic' | 'phonetic' = 'alphabetic'): string[] {
    const parts = this[group].split('^');
    while (parts.length < 5) parts.push('');
    return parts;
  }

  get familyName(): string {
    return this.components()[0]!;
  }

  get givenName(): string {
    return this.components()[1]!;
  }

  /** The PN value string: groups joined by '=', trailing empty groups dropped. */
  toString(): string {
    const groups = [this.alphabetic, this.ideographic, this.phonetic];
    while (groups.length > 1 && groups[groups.length - 1] === '') groups.pop();
    return groups.join('=');
  }
}

export interface DicomDate {
  year: number;
  month: number;
  day: number;
}

/** DA "YYYYMMDD" (also the ACR-NEMA "YYYY.MM.DD" form); undefined when not a valid date. */
export function parseDA(text: string): DicomDate | undefined {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) return undefined;
  return d;
}

export interface DicomTime {
  hours: number;
  minutes: number;
  seconds: number;
  /** Fraction of a second in microseconds. */
  micros: number;
}

/** TM "HH[MM[SS[.FFFFFF]]]" (also "HH:MM:SS" of ACR-NEMA); undefined when not a valid time. */
export function parseTM(text: string): DicomTime | undefined {
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:\.(\d{1,6}))?)?)?$/.exec(text.trim());
  if (!m) return undefined;
  const t = {
    hours: Number(m[1]),
    minutes: Number(m[2] ?? 0),
    seconds: Number(m[3] ?? 0),
    micros: m[4] ? Number(m[4].padEnd(6, '0')) : 0,
  };
  if (t.hours > 23 || t.minutes > 59 || t.seconds > 60) return undefined;
  return t;
}

export interface DicomDateTime extends DicomDate, DicomTime {
  /** Offset from UTC in minutes, when the value has one ("&ZZXX"). */
  utcOffsetMinutes?: number;
}

/** DT "YYYY[MM[DD[HH[MM[SS[.F]]]]]][&ZZXX]"; missing parts default to their lowest value. */
export function parseDT(text: string): DicomDateTime | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$/.exec(text.trim());
  if (!m) return undefined;
  const dt: DicomDateTime = {
    year: Number(m[1]),
    month: Number(m[2] ?? 1),
    day: Number(m[3] ?? 1),
    hours: Number(m[4] ?? 0),
    minutes: Number(m[5] ?? 0),
    seconds: Number(m[6] ?? 0),
    micros: m[7] ? Number(m[7].padEnd(6, '0')) : 0,
  };
  if (m[8]) {
    const sign = m[8][0] === '-' ? -1 : 1;
    dt.utcOffsetMinutes = sign * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(3, 5)));
  }
  if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > 31 || dt.hours > 23 || dt.minutes > 59)
    return undefined;
  return dt;
}

/** Formats a JS Date as DA in local time. */
export function formatDA(date: Date): string {
  return `${date.getFullYear()}${String(date.getMonth() + 1).padStart(2, '0')}${String(date.getDate()).padStart(2, '0')}`;
}

/** Formats a JS Date as TM "HHMMSS.ffffff" in local time (milliseconds precision). */
export function formatTM(date: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}.${p(date.getMilliseconds(), 3)}000`;
}
