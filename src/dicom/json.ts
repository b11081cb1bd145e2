/**
 * The DICOM JSON Model (PS3.18 Annex F.2), both ways: a Dataset to the JSON object DICOMweb sends
 * (application/dicom+json), and such an object back to a Dataset.
 *
 * Choices where the standard leaves room (and what DCMTK's dcm2json 3.6.7 does, for comparison):
 * - IS and DS values are JSON numbers (F.2.3). A value that is not a valid number is kept as a JSON string,
 *   so no information is lost and the output stays valid JSON (dcm2json prints it unquoted: invalid JSON).
 * - FL values are written with the shortest decimal that reads back as the same 32-bit float (0.1, not
 *   0.10000000149011612); FD with the shortest that reads back as the same double. NaN and ±Infinity,
 *   which JSON numbers cannot hold, are written as the strings "NaN", "Infinity", "-Infinity" (dcm2json
 *   refuses them by default) and read back.
 * - SV and UV values are numbers when they are exact in a double (|v| < 2^53), strings of decimal digits
 *   otherwise (F.2.3.1), as dcm2json does.
 * - An empty value (length 0, or padding only) has no "Value"; an empty value among several is null (F.2.5).
 * - Binary VRs (OB OD OF OL OV OW UN) are "InlineBinary" (base64 of the little-endian octets, whatever the
 *   data set's byte order) or "BulkDataURI"; encapsulated Pixel Data is the whole encapsulated stream (items
 *   and Sequence Delimitation Item) inline, or a BulkDataURI (dcm2json refuses encapsulated Pixel Data).
 * - Group Length (gggg,0000) attributes are left out (F.2.2).
 * - Specific Character Set (0008,0005) keeps its original value: the JSON text itself is Unicode, and the
 *   attribute tells what the source data set used (CP-2518; dcm2json replaces it by "ISO_IR 192").
 *
 * Object keys and JSON order: JavaScript objects list integer-like keys ("30060020", "60000010") before all
 * others, so a DicomJsonObject cannot hold the ascending order PS3.18 shows. Use dicomJsonToString() to
 * serialise with the keys ascending.
 */
import { Dataset } from './dataset.js';
import { lookupTag } from './dictionary/index.js';
import { DataElement } from './element.js';
import { DicomValueError } from './errors.js';
import { ItemTag, parseTag, SequenceDelimitationTag, type Tag, tagToJsonKey } from './tag.js';
import {
  decodeBigInts,
  decodeBinaryNumbers,
  decodeStrings,
  decodeTags,
  formatDS,
  padEven,
  parseDS,
  parseIS,
} from './values.js';
import { binaryValueSize, isStringVR, isVR, usesSpecificCharacterSet, type VR } from './vr.js';
import { swapBytes } from './writer.js';

// ---- types --------------------------------------------------------------------------------------------

/** A PN value (F.2.2): the component groups that are not empty. */
export interface DicomJsonPersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

export type DicomJsonValue = string | number | null | DicomJsonPersonName | DicomJsonObject;

/** One attribute (F.2.2): its VR and at most one of Value, InlineBinary, BulkDataURI. */
export interface DicomJsonElement {
  vr: VR;
  Value?: DicomJsonValue[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

/** A data set (F.2.1): attributes keyed by their tag as 8 upper-case hex digits. */
export type DicomJsonObject = { [tag: string]: DicomJsonElement };

/** One sequence on the way down to an element: the sequence's tag and the 0-based index of the item. */
export interface BulkPathStep {
  readonly sequence: Tag;
  readonly item: number;
}

/** Which element a BulkDataURI is asked for, so that the web layer can build a URI it can resolve later. */
export interface BulkPath {
  /** The sequences and items from the top-level data set down to the element ([] at the top level). */
  readonly steps: readonly BulkPathStep[];
  readonly tag: Tag;
  readonly vr: VR;
  /** Length of the value in bytes (for encapsulated Pixel Data, of the whole encapsulated stream). */
  readonly length: number;
  readonly element: DataElement;
  /** The data set holding the element (for its byte order, see jsonBinaryValue). */
  readonly owner: Dataset;
}

export interface ToJsonOptions {
  /**
   * Binary values longer than this many bytes become a BulkDataURI when bulkDataUri gives one (default 0:
   * every non-empty binary value). Values left in the source file (BulkDataRef) are always asked for.
   */
  bulkDataThreshold?: number;
  /** The URI for a binary value; undefined writes it inline. */
  bulkDataUri?: (path: BulkPath) => string | undefined;
  /**
   * Write binary values that do not become a BulkDataURI as InlineBinary (default true). False leaves
   * them out: the attribute keeps its vr with no value (as in a QIDO-RS response).
   */
  inlineBinary?: boolean;
}

export interface FromJsonOptions {
  /** The bytes behind a BulkDataURI (little-endian value octets, as InlineBinary would hold them). */
  resolveBulkData?: (uri: string) => Buffer | undefined;
  /** Byte order of the data set built (default true). */
  littleEndian?: boolean;
  /**
   * Encode text in this Specific Character Set (a (0008,0005) value such as 'ISO_IR 192') instead of the
   * one the JSON names; (0008,0005) of the top-level data set is set to it, and items' own are dropped.
   */
  characterSet?: string;
  /** Receives a note for everything that could not be taken over as it is. */
  warnings?: string[];
}

// ---- constants ----------------------------------------------------------------------------------------

const SPECIFIC_CHARACTER_SET: Tag = 0x00080005;
const CHARSET_KEY = '00080005';
const PIXEL_DATA: Tag = 0x7fe00010;
const BINARY_VRS: ReadonlySet<VR> = new Set<VR>(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** VRs whose JSON form is InlineBinary / BulkDataURI (F.2.7). */
export function isJsonBinaryVR(vr: VR): boolean {
  return BINARY_VRS.has(vr);
}

// ---- Dataset -> JSON ----------------------------------------------------------------------------------

/** The DICOM JSON object of a data set (the meta group is not part of it unless it is in `ds`). */
export function datasetToJson(ds: Dataset, options: ToJsonOptions = {}): DicomJsonObject {
  return toJsonObject(ds, [], options);
}

function toJsonObject(ds: Dataset, steps: readonly BulkPathStep[], options: ToJsonOptions): DicomJsonObject {
  const out: DicomJsonObject = {};
  for (const el of ds) {
    // Group Length (gggg,0000) attributes shall not be included (F.2.2).
    if ((el.tag & 0xffff) === 0) continue;
    out[tagToJsonKey(el.tag)] = elementToJson(el, ds, steps, options);
  }
  return out;
}

function elementToJson(
  el: DataElement,
  ds: Dataset,
  steps: readonly BulkPathStep[],
  options: ToJsonOptions,
): DicomJsonElement {
  if (el.items) {
    const out: DicomJsonElement = { vr: 'SQ' };
    if (el.items.length > 0) {
      out.Value = el.items.map((item, i) =>
        toJsonObject(item, [...steps, { sequence: el.tag, item: i }], options),
      );
    }
    return out;
  }
  const vr = el.vr;
  const out: DicomJsonElement = { vr };
  if (el.fragments || el.bulk || isJsonBinaryVR(vr)) {
    binaryToJson(out, el, ds, steps, options);
    return out;
  }
  const bytes = el.bytes;
  if (!bytes || bytes.length === 0) return out;
  const values = valuesToJson(el, bytes, ds);
  if (values.length > 0) out.Value = values;
  return out;
}

function binaryToJson(
  out: DicomJsonElement,
  el: DataElement,
  ds: Dataset,
  steps: readonly BulkPathStep[],
  options: ToJsonOptions,
): void {
  const length = el.fragments ? encapsulatedLength(el.fragments) : el.valueLength;
  if (length <= 0 && !el.fragments) return;
  const threshold = options.bulkDataThreshold ?? 0;
  if (options.bulkDataUri && (el.bulk || length > threshold)) {
    const uri = options.bulkDataUri({ steps, tag: el.tag, vr: el.vr, length, element: el, owner: ds });
    if (uri !== undefined) {
      out.BulkDataURI = uri;
      return;
    }
  }
  if (el.bulk) {
    throw new DicomValueError(
      'value still in the source file: give a BulkDataURI for it or call loadBulkData() first',
      el.tag,
    );
  }
  if (options.inlineBinary === false) return;
  out.InlineBinary = jsonBinaryValue(el, ds).toString('base64');
}

/**
 * The octets of a binary value as DICOM JSON and DICOMweb bulk data carry them: little endian whatever the
 * data set's byte order; for encapsulated Pixel Data, the encapsulated stream (items and delimiter).
 */
export function jsonBinaryValue(el: DataElement, owner: Dataset): Buffer {
  if (el.fragments) return encapsulatedStream(el.fragments);
  if (el.bulk) throw new DicomValueError('value still in the source file: call loadBulkData() first', el.tag);
  const bytes = el.bytes ?? Buffer.alloc(0);
  if (owner.littleEndian) return bytes;
  const size = binaryValueSize(el.vr);
  return size > 1 ? swapBytes(bytes, size) : bytes;
}

function encapsulatedLength(fragments: readonly Buffer[]): number {
  let n = 8;
  for (const f of fragments) n += 8 + f.length;
  return n;
}

function encapsulatedStream(fragments: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fragments) {
    parts.push(itemHeader(ItemTag, f.length), f);
  }
  parts.push(itemHeader(SequenceDelimitationTag, 0));
  return Buffer.concat(parts);
}

function itemHeader(tag: Tag, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  b.writeUInt32LE(length, 4);
  return b;
}

function valuesToJson(el: DataElement, bytes: Buffer, ds: Dataset): DicomJsonValue[] {
  const vr = el.vr;
  switch (vr) {
    case 'AT':
      return decodeTags(bytes, ds.littleEndian).map(tagToJsonKey);
    case 'US':
    case 'SS':
    case 'UL':
    case 'SL':
      return decodeBinaryNumbers(bytes, vr, ds.littleEndian);
    case 'FL':
      return decodeBinaryNumbers(bytes, vr, ds.littleEndian).map(float32ToJson);
    case 'FD':
      return decodeBinaryNumbers(bytes, vr, ds.littleEndian).map(float64ToJson);
    case 'SV':
    case 'UV':
      return decodeBigInts(bytes, vr, ds.littleEndian).map(bigIntToJson);
    default:
      break;
  }
  if (!isStringVR(vr)) throw new DicomValueError(`no JSON form for VR ${vr}`, el.tag);
  const strings = decodeStrings(bytes, vr, ds.characterSet);
  // A value of padding only is no value (VM 0); an empty value among several is null (F.2.5).
  if (strings.length === 1 && strings[0] === '') return [];
  switch (vr) {
    case 'IS':
      return strings.map((s) => numberOrString(s, parseIS(s)));
    case 'DS':
      return strings.map((s) => numberOrString(s, parseDS(s)));
    case 'PN':
      return strings.map(personNameToJson);
    default:
      return strings.map((s) => (s === '' ? null : s));
  }
}

function numberOrString(text: string, n: number): number | string | null {
  if (text === '') return null;
  return Number.isFinite(n) ? n : text;
}

function personNameToJson(value: string): DicomJsonPersonName | null {
  const [a = '', i = '', p = ''] = value.split('=');
  const out: DicomJsonPersonName = {};
  if (a !== '') out.Alphabetic = a;
  if (i !== '') out.Ideographic = i;
  if (p !== '') out.Phonetic = p;
  return a === '' && i === '' && p === '' ? null : out;
}

function nonFinite(n: number): string {
  return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
}

/** The shortest decimal that reads back as the same 32-bit float. */
function float32ToJson(n: number): number | string {
  if (!Number.isFinite(n)) return nonFinite(n);
  for (let p = 1; p <= 9; p++) {
    const v = Number(n.toPrecision(p));
    if (Math.fround(v) === n) return v;
  }
  return n;
}

function float64ToJson(n: number): number | string {
  return Number.isFinite(n) ? n : nonFinite(n);
}

function bigIntToJson(v: bigint): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}

// ---- serialising --------------------------------------------------------------------------------------

/**
 * JSON text of a DICOM JSON object (or of an array of them, as QIDO-RS and WADO-RS metadata send), with
 * every data set's keys in ascending tag order. `indent` as in JSON.stringify (a count of spaces or a string).
 */
export function dicomJsonToString(
  json: DicomJsonObject | readonly DicomJsonObject[],
  indent?: number | string,
): string {
  const unit =
    typeof indent === 'number' ? ' '.repeat(Math.min(10, Math.max(0, indent))) : (indent ?? '').slice(0, 10);
  const out: string[] = [];
  writeJsonValue(out, json, unit, '');
  return out.join('');
}

function writeJsonValue(out: string[], value: unknown, unit: string, pad: string): void {
  if (value === null || typeof value !== 'object') {
    // JSON.stringify writes -0 (an FD value as any other) as 0; JSON itself can say -0.
    out.push(Object.is(value, -0) ? '-0' : (JSON.stringify(value) ?? 'null'));
    return;
  }
  const inner = pad + unit;
  const nl = unit === '' ? '' : '\n';
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[');
    value.forEach((v, i) => {
      out.push(i === 0 ? nl + inner : ',' + nl + inner);
      writeJsonValue(out, v, unit, inner);
    });
    out.push(nl + pad + ']');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined);
  // Tag keys ascending; other objects (attributes, person names) keep their own order.
  if (keys.length > 0 && keys.every((k) => TAG_KEY.test(k))) keys.sort();
  if (keys.length === 0) {
    out.push('{}');
    return;
  }
  out.push('{');
  keys.forEach((k, i) => {
    out.push((i === 0 ? nl : ',' + nl) + inner + JSON.stringify(k) + (unit === '' ? ':' : ': '));
    writeJsonValue(out, record[k], unit, inner);
  });
  out.push(nl + pad + '}');
}

const TAG_KEY = /^[0-9A-Fa-f]{8}$/;

// ---- JSON -> Dataset ----------------------------------------------------------------------------------

/** A data set from its DICOM JSON object (or the JSON text of one). */
export function datasetFromJson(json: DicomJsonObject | string, options: FromJsonOptions = {}): Dataset {
  const obj = typeof json === 'string' ? (JSON.parse(json) as DicomJsonObject) : json;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new DicomValueError('a DICOM JSON data set must be an object');
  }
  const ds = new Dataset();
  ds.littleEndian = options.littleEndian ?? true;
  const override = options.characterSet !== undefined;
  const ctx: FromContext = { options, warnings: options.warnings ?? [], override };
  let charset = options.characterSet;
  if (!override && !(CHARSET_KEY in obj) && needsUnicode(obj)) {
    charset = 'ISO_IR 192';
    ctx.warnings.push('text outside ISO 8859-1 and no Specific Character Set: (0008,0005) set to ISO_IR 192');
  }
  fillDataset(ds, obj, ctx, charset);
  return ds;
}

interface FromContext {
  options: FromJsonOptions;
  warnings: string[];
  /** The caller chose the character set: the JSON's (0008,0005), also those of items, are not used. */
  override: boolean;
}

/** True when some text of the data set (outside items with their own character set) is beyond U+00FF. */
function needsUnicode(obj: DicomJsonObject): boolean {
  for (const [key, el] of Object.entries(obj)) {
    if (!el || typeof el !== 'object' || !Array.isArray(el.Value)) continue;
    if (key === CHARSET_KEY) continue;
    for (const v of el.Value) {
      if (typeof v === 'string') {
        if (/[^\x00-\xff]/.test(v)) return true;
      } else if (v && typeof v === 'object') {
        if (el.vr === 'SQ') {
          const item = v as DicomJsonObject;
          if (!(CHARSET_KEY in item) && needsUnicode(item)) return true;
        } else {
          for (const g of Object.values(v as DicomJsonPersonName))
            if (typeof g === 'string' && /[^\x00-\xff]/.test(g)) return true;
        }
      }
    }
  }
  return false;
}

/**
 * Fills `ds` from `obj`. `charset`, when given, is set as (0008,0005) instead of the object's own; the
 * character set is always set first, since the other text is encoded in it.
 */
function fillDataset(ds: Dataset, obj: DicomJsonObject, ctx: FromContext, charset: string | undefined): void {
  const entries: [Tag, DicomJsonElement][] = [];
  for (const [key, el] of Object.entries(obj)) {
    const tag = TAG_KEY.test(key) ? parseTag(key) : undefined;
    if (tag === undefined) throw new DicomValueError(`'${key}' is not a DICOM JSON tag key (8 hex digits)`);
    if (el === null || typeof el !== 'object')
      throw new DicomValueError(`attribute ${key} is not an object`, tag);
    entries.push([tag, el]);
  }
  entries.sort((a, b) =>
    a[0] === SPECIFIC_CHARACTER_SET ? -1 : b[0] === SPECIFIC_CHARACTER_SET ? 1 : a[0] - b[0],
  );
  if (charset !== undefined) ds.setBytes(SPECIFIC_CHARACTER_SET, 'CS', Buffer.from(charset, 'latin1'));
  for (const [tag, el] of entries) {
    if (tag === SPECIFIC_CHARACTER_SET && (charset !== undefined || ctx.override)) continue;
    try {
      setFromJson(ds, tag, el, ctx);
    } catch (e) {
      if (e instanceof DicomValueError && e.tag === undefined) throw new DicomValueError(e.message, tag);
      throw e;
    }
  }
}

function setFromJson(ds: Dataset, tag: Tag, el: DicomJsonElement, ctx: FromContext): void {
  let vr: VR;
  if (typeof el.vr === 'string' && isVR(el.vr)) vr = el.vr;
  else {
    vr = lookupTag(tag)?.vrs[0] ?? 'UN';
    ctx.warnings.push(
      `${tagToJsonKey(tag)}: ${el.vr === undefined ? 'no vr' : `unknown vr '${String(el.vr)}'`}; ${vr} used`,
    );
  }
  if (vr === 'SQ') {
    const items: Dataset[] = [];
    for (const v of el.Value ?? []) {
      const item = ds.newItem();
      if (v !== null && (typeof v !== 'object' || Array.isArray(v))) {
        throw new DicomValueError('a sequence item must be an object', tag);
      }
      fillDataset(item, (v ?? {}) as DicomJsonObject, ctx, undefined);
      items.push(item);
    }
    ds.setSequence(tag, items);
    return;
  }
  let octets: Buffer | undefined;
  if (typeof el.InlineBinary === 'string') octets = Buffer.from(el.InlineBinary, 'base64');
  else if (typeof el.BulkDataURI === 'string') {
    octets = ctx.options.resolveBulkData?.(el.BulkDataURI);
    if (octets === undefined) {
      ctx.warnings.push(
        `${tagToJsonKey(tag)}: bulk data ${el.BulkDataURI} not resolved; the element has no value`,
      );
      ds.set(DataElement.ofBytes(tag, vr, Buffer.alloc(0)));
      return;
    }
  }
  if (octets !== undefined) {
    setOctets(ds, tag, vr, octets);
    return;
  }
  const values = el.Value;
  if (values === undefined || values.length === 0) {
    ds.set(DataElement.ofBytes(tag, vr, Buffer.alloc(0)));
    return;
  }
  if (!Array.isArray(values)) throw new DicomValueError('Value must be an array', tag);
  if (isJsonBinaryVR(vr))
    throw new DicomValueError(`${vr} takes InlineBinary or BulkDataURI, not Value`, tag);
  switch (vr) {
    case 'AT': {
      const tags = values.map((v) => {
        const t = typeof v === 'string' && TAG_KEY.test(v) ? parseTag(v) : undefined;
        if (t === undefined)
          throw new DicomValueError(`'${String(v)}' is not an AT value (8 hex digits)`, tag);
        return t;
      });
      ds.setAttributeTags(tag, tags);
      return;
    }
    case 'US':
    case 'SS':
    case 'UL':
    case 'SL':
    case 'FL':
    case 'FD':
    case 'SV':
    case 'UV':
      ds.setNumbers(
        tag,
        values.map((v) => jsonToNumber(v, vr, tag)),
        vr,
      );
      return;
    default:
      break;
  }
  if (!isStringVR(vr)) throw new DicomValueError(`no JSON form for VR ${vr}`, tag);
  const strings = values.map((v) => jsonToString(v, vr, tag));
  const text = strings.join('\\');
  const cs = ds.characterSet;
  let raw: Buffer;
  if (usesSpecificCharacterSet(vr) && !cs.isDefault) raw = cs.encode(text, vr, ctx.warnings);
  else raw = encodeDefaultText(text, vr, tag, ctx.warnings);
  if ((vr === 'LT' || vr === 'ST' || vr === 'UT' || vr === 'UR') && strings.length > 1) {
    ctx.warnings.push(`${tagToJsonKey(tag)}: ${vr} holds one value; ${strings.length} joined with '\\'`);
  }
  ds.set(DataElement.ofBytes(tag, vr, padEven(raw, vr)));
}

/** Text in the default repertoire, ISO 8859-1 leniently (as the reader decodes it); other characters '?'. */
function encodeDefaultText(text: string, vr: VR, tag: Tag, warnings: string[]): Buffer {
  if (/^[\x00-\xff]*$/.test(text)) return Buffer.from(text, 'latin1');
  warnings.push(
    `${tagToJsonKey(tag)}: characters outside ISO 8859-1 in ${vr} with no character set for them: replaced by '?'`,
  );
  return Buffer.from(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\x00-\xff]/g, '?'), 'latin1');
}

function jsonToString(v: DicomJsonValue, vr: VR, tag: Tag): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (vr === 'DS') return formatDS(v);
    if (vr === 'IS') {
      if (!Number.isInteger(v)) throw new DicomValueError(`${v} is not an integer for IS`, tag);
      return String(v);
    }
    return String(v);
  }
  if (vr === 'PN' && typeof v === 'object' && !Array.isArray(v)) {
    const pn = v as DicomJsonPersonName;
    const groups = [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''];
    while (groups.length > 1 && groups[groups.length - 1] === '') groups.pop();
    return groups.join('=');
  }
  throw new DicomValueError(`${JSON.stringify(v)} is not a ${vr} value`, tag);
}

function jsonToNumber(v: DicomJsonValue, vr: VR, tag: Tag): number | bigint {
  if (typeof v === 'number') {
    if (vr !== 'SV' && vr !== 'UV') return v;
    if (Number.isInteger(v)) return BigInt(v);
  }
  if (typeof v === 'string') {
    if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') {
      if (vr === 'FL' || vr === 'FD') return Number(v);
    } else if (/^[+-]?\d+$/.test(v)) {
      return vr === 'SV' || vr === 'UV' ? BigInt(v) : Number(v);
    } else if ((vr === 'FL' || vr === 'FD') && Number.isFinite(parseDS(v))) return parseDS(v);
  }
  throw new DicomValueError(`${JSON.stringify(v)} is not a ${vr} value`, tag);
}

/** InlineBinary / bulk data octets (little endian) into an element of the data set's byte order. */
function setOctets(ds: Dataset, tag: Tag, vr: VR, octets: Buffer): void {
  if (tag === PIXEL_DATA && (vr === 'OB' || vr === 'OW')) {
    const fragments = parseEncapsulated(octets);
    if (fragments) {
      ds.set(DataElement.ofFragments(tag, vr, fragments));
      return;
    }
  }
  let bytes = octets;
  if (!ds.littleEndian && vr !== 'UN') {
    const size = vr === 'AT' ? 2 : binaryValueSize(vr);
    if (size > 1) bytes = swapBytes(octets, size);
  }
  if (isStringVR(vr)) bytes = padEven(bytes, vr);
  ds.set(DataElement.ofBytes(tag, vr, bytes));
}

/**
 * Fragments of an encapsulated stream (items, optionally closed by a Sequence Delimitation Item); undefined
 * when the octets are not exactly that (then they are native pixel data).
 */
function parseEncapsulated(b: Buffer): Buffer[] | undefined {
  const fragments: Buffer[] = [];
  let pos = 0;
  while (pos + 8 <= b.length) {
    const tag = ((b.readUInt16LE(pos) << 16) | b.readUInt16LE(pos + 2)) >>> 0;
    const len = b.readUInt32LE(pos + 4);
    if (tag === SequenceDelimitationTag)
      return len === 0 && pos + 8 === b.length && fragments.length > 0 ? fragments : undefined;
    if (tag !== ItemTag || len === 0xffffffff || pos + 8 + len > b.length) return undefined;
    fragments.push(b.subarray(pos + 8, pos + 8 + len));
    pos += 8 + len;
  }
  return pos === b.length && fragments.length > 0 ? fragments : undefined;
}
