/**
 * A text dump of a data set in the style of DCMTK's dcmdump, one element a line:
 *
 *   (0010,0010) PN [Yamada^Tarou]                           #  12, 1 PatientName
 *
 * tag, VR, value (text in brackets, numbers, hex bytes or words for OB/OW/UN, "=Name" for a known UID),
 * then the value length (u/l for undefined), the value multiplicity and the keyword. Sequences list their
 * items indented by two spaces a level, with the Item and delimitation lines dcmdump prints; encapsulated
 * Pixel Data lists its fragments. It is meant to be familiar to dcmdump users, not byte-identical: text is
 * shown decoded (as dcmdump +U8 does), numbers in JavaScript's shortest form, names from our dictionary.
 */
import type { Dataset } from './dataset.js';
import { keywordOf, lookupTag, lookupUid } from './dictionary/index.js';
import type { DataElement } from './element.js';
import { isPrivateCreatorTag, isPrivateTag, privateCreatorTagFor, type Tag } from './tag.js';
import { findTransferSyntax } from './transfer-syntax.js';
import { decodeBigInts, decodeBinaryNumbers, decodeTags, decodeText } from './values.js';
import { binaryValueSize, isSingleValuedText, isStringVR } from './vr.js';
import { encodedLength } from './writer.js';

export interface DumpOptions {
  /** The File Meta Information: printed first, under '# Dicom-Meta-Information-Header'. */
  meta?: Dataset;
  /**
   * The longest value text printed (brackets included) before it is cut and ended with '...'; dcmdump's
   * default is 70. 0 or Infinity prints every value whole (as dcmdump +L).
   */
  maxValueLength?: number;
  /** The name printed in '# Used TransferSyntax:' for the data set; by default from the meta or the data set. */
  transferSyntax?: string;
}

const DEFAULT_MAX_VALUE_LENGTH = 70;
/** dcmdump pads the value column to this width. */
const VALUE_COLUMN = 40;
const TRANSFER_SYNTAX_UID: Tag = 0x00020010;

interface Encoding {
  littleEndian: boolean;
  explicitVR: boolean;
  encapsulated: boolean;
}

/** The dump of a data set (and of its meta information when given), lines ending in '\n'. */
export function dumpDataset(ds: Dataset, options: DumpOptions = {}): string {
  const max =
    options.maxValueLength === undefined ? DEFAULT_MAX_VALUE_LENGTH : options.maxValueLength || Infinity;
  const out: string[] = [];
  const meta = options.meta;
  if (meta) {
    out.push(
      '',
      '# Dicom-File-Format',
      '',
      '# Dicom-Meta-Information-Header',
      '# Used TransferSyntax: Explicit VR Little Endian',
    );
    dumpElements(out, meta, 0, max);
    out.push(
      '',
      '# Dicom-Data-Set',
      `# Used TransferSyntax: ${options.transferSyntax ?? syntaxName(meta, ds)}`,
    );
  }
  dumpElements(out, ds, 0, max);
  return out.length ? `${out.join('\n')}\n` : '';
}

function syntaxName(meta: Dataset, ds: Dataset): string {
  const uid = meta.string(TRANSFER_SYNTAX_UID);
  if (uid) return findTransferSyntax(uid)?.name ?? uid;
  return `${ds.explicitVR ? 'Explicit' : 'Implicit'} VR ${ds.littleEndian ? 'Little' : 'Big'} Endian`;
}

function encodingOf(ds: Dataset): Encoding {
  return { littleEndian: ds.littleEndian, explicitVR: ds.explicitVR, encapsulated: true };
}

function dumpElements(out: string[], ds: Dataset, depth: number, max: number): void {
  for (const el of ds) dumpElement(out, el, ds, depth, max);
}

function line(
  depth: number,
  tag: string,
  vr: string,
  value: string,
  length: number | 'u/l',
  vm: number,
  name: string,
): string {
  // dcmdump: "# %3u,%2u name" (so "#  12, 1" and "# 5626,1200").
  const len = String(length).padStart(3);
  return `${'  '.repeat(depth)}${tag} ${vr} ${value.padEnd(VALUE_COLUMN)} # ${len},${String(vm).padStart(2)} ${name}`;
}

/** "(0010,0010)" in dcmdump's lower-case hex. */
function tagText(tag: Tag): string {
  return `(${hex(tag >>> 16, 4)},${hex(tag & 0xffff, 4)})`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function dumpElement(out: string[], el: DataElement, ds: Dataset, depth: number, max: number): void {
  const tag = tagText(el.tag);
  const name = elementName(el.tag, ds);
  if (el.items) {
    dumpSequence(out, el, ds, depth, max, tag, name);
    return;
  }
  if (el.fragments) {
    out.push(line(depth, tag, el.vr, `(PixelSequence #=${el.fragments.length})`, 'u/l', 1, name));
    for (const frag of el.fragments) {
      const text = frag.length ? hexBytes(frag, max) : '(no value available)';
      out.push(line(depth + 1, '(fffe,e000)', 'pi', text, frag.length, 1, 'Item'));
    }
    out.push(
      line(depth, '(fffe,e0dd)', 'na', '(SequenceDelimitationItem)', 0, 0, 'SequenceDelimitationItem'),
    );
    return;
  }
  if (el.bulk) {
    out.push(line(depth, tag, el.vr, '(not loaded)', el.bulk.length, 1, name));
    return;
  }
  const bytes = el.bytes ?? Buffer.alloc(0);
  const [value, vm] = bytes.length ? formatValue(el, bytes, ds, max) : ['', 0];
  out.push(line(depth, tag, el.vr, vm === 0 ? '(no value available)' : value, bytes.length, vm, name));
}

function dumpSequence(
  out: string[],
  el: DataElement,
  ds: Dataset,
  depth: number,
  max: number,
  tag: string,
  name: string,
): void {
  const items = el.items!;
  const enc = encodingOf(ds);
  // Items of a sequence read from UN (PS3.5 6.2.2) are Implicit VR Little Endian.
  const inner: Encoding =
    el.readAsUN && enc.explicitVR ? { littleEndian: true, explicitVR: false, encapsulated: true } : enc;
  const undef = el.undefinedLength;
  const header = enc.explicitVR ? 12 : 8;
  const seqLength = undef ? 'u/l' : encodedLength(el, enc, ds) - header;
  out.push(
    line(
      depth,
      tag,
      'SQ',
      `(Sequence with ${undef ? 'undefined' : 'explicit'} length #=${items.length})`,
      seqLength,
      1,
      name,
    ),
  );
  for (const item of items) {
    const itemUndef = item.itemUndefinedLength;
    let itemLength: number | 'u/l' = 'u/l';
    if (!itemUndef) {
      itemLength = 0;
      for (const child of item) itemLength += encodedLength(child, inner, item);
    }
    const what = `(Item with ${itemUndef ? 'undefined' : 'explicit'} length #=${item.size})`;
    out.push(line(depth + 1, '(fffe,e000)', 'na', what, itemLength, 1, 'Item'));
    dumpElements(out, item, depth + 2, max);
    const end = itemUndef ? '(ItemDelimitationItem)' : '(ItemDelimitationItem for re-encoding)';
    out.push(line(depth + 1, '(fffe,e00d)', 'na', end, 0, 0, 'ItemDelimitationItem'));
  }
  const end = undef ? '(SequenceDelimitationItem)' : '(SequenceDelimitationItem for re-encod.)';
  out.push(line(depth, '(fffe,e0dd)', 'na', end, 0, 0, 'SequenceDelimitationItem'));
}

/** The name column: the keyword, the private dictionary's name, or dcmdump's 'Unknown Tag & Data'. */
function elementName(tag: Tag, ds: Dataset): string {
  if (isPrivateTag(tag)) {
    if (isPrivateCreatorTag(tag)) return 'PrivateCreator';
    if ((tag & 0xffff) === 0) return keywordOf(tag) ?? 'GenericGroupLength';
    const creator = ds.get(privateCreatorTagFor(tag))?.bytes;
    if (creator) {
      const entry = lookupTag(tag, creator.toString('latin1').trim());
      if (entry) return entry.keyword || entry.name.replace(/\s+/g, '') || 'Unknown Tag & Data';
    }
    return 'Unknown Tag & Data';
  }
  return keywordOf(tag) ?? 'Unknown Tag & Data';
}

/** The value text and the value multiplicity of a non-empty value. */
function formatValue(el: DataElement, bytes: Buffer, ds: Dataset, max: number): [string, number] {
  const vr = el.vr;
  const le = ds.littleEndian;
  if (isStringVR(vr)) {
    const text = decodeText(bytes, vr, ds.characterSet).replace(vr === 'UI' ? /[\0 ]+$/ : /[ \0]+$/, '');
    if (text === '') return ['', 0];
    const vm = isSingleValuedText(vr) ? 1 : text.split('\\').length;
    if (vr === 'UI' && vm === 1) {
      const known = lookupUid(text);
      if (known?.keyword) return [`=${known.keyword}`, 1];
    }
    return [bracketed(text, max), vm];
  }
  if (vr === 'OB' || vr === 'UN' || binaryValueSize(vr) === 0) {
    return [hexBytes(bytes, max), 1];
  }
  // An AT value is two 16-bit halves (binaryValueSize says 2, for byte swapping): 4 bytes a value.
  const size = vr === 'AT' ? 4 : binaryValueSize(vr);
  const count = Math.floor(bytes.length / size);
  const shown = prefix(bytes, size, max);
  const cut = shown.length < count * size;
  // dcmdump counts the O* VRs as one value, the others by their number.
  const vm = vr.startsWith('O') ? 1 : count;
  let values: string[];
  switch (vr) {
    case 'AT':
      values = decodeTags(shown, le).map(tagText);
      break;
    case 'OW':
      values = decodeBinaryNumbers(shown, vr, le).map((w) => hex(w, 4));
      break;
    case 'SV':
    case 'UV':
    case 'OV':
      values = decodeBigInts(shown, vr, le).map(String);
      break;
    case 'FL':
    case 'OF':
      values = decodeBinaryNumbers(shown, vr, le).map(float32Text);
      break;
    default:
      values = decodeBinaryNumbers(shown, vr, le).map(String);
  }
  return [list(values, max, cut), vm];
}

/** The first values of a binary value: no more than a line can show (Pixel Data can be large). */
function prefix(bytes: Buffer, size: number, max: number): Buffer {
  if (!Number.isFinite(max)) return bytes;
  // Each value takes at least one character and a separator.
  const n = Math.ceil(max / 2) + 1;
  return bytes.length > n * size ? bytes.subarray(0, n * size) : bytes;
}

/** The shortest decimal that reads back as the same 32-bit float. */
function float32Text(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  for (let p = 1; p <= 9; p++) {
    const s = n.toPrecision(p);
    if (Math.fround(Number(s)) === n) return String(Number(s));
  }
  return String(n);
}

/** "[text]", or "[" and the start of the text and "..." when it is longer than `max`. */
function bracketed(text: string, max: number): string {
  const full = `[${text}]`;
  if (full.length <= max) return full;
  return `${full.slice(0, Math.max(1, max - 3))}...`;
}

/** Values joined by '\'; when too long (or `cut`: not all values given), as many whole values as fit and "...". */
function list(values: readonly string[], max: number, cut = false): string {
  const full = values.join('\\');
  if (full.length <= max && !cut) return full;
  let text = '';
  for (const v of values) {
    const next = text === '' ? v : `${text}\\${v}`;
    if (next.length > max - 3) break;
    text = next;
  }
  return `${text}...`;
}

/** Bytes as two hex digits each, as dcmdump prints OB, UN and fragments. */
function hexBytes(bytes: Buffer, max: number): string {
  const shown = prefix(bytes, 1, max);
  return list(
    Array.from(shown, (b) => hex(b, 2)),
    max,
    shown.length < bytes.length,
  );
}
