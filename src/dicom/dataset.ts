/**
 * A DICOM data set (PS3.5 7): an ordered map from tag to element. Elements keep raw bytes; the typed
 * getters decode on access with the data set's byte order and character set, the setters encode.
 */
import { SpecificCharacterSet } from './charset.js';
import { lookupTag, tagForKeyword } from './dictionary/index.js';
import { DataElement } from './element.js';
import { DicomValueError } from './errors.js';
import { formatTag, type Tag } from './tag.js';
import {
  decodeBigInts,
  decodeBinaryNumbers,
  decodeStrings,
  decodeTags,
  encodeBinaryNumbers,
  encodeStrings,
  encodeTags,
  formatDS,
  formatIS,
  PersonName,
  parseDS,
  parseIS,
} from './values.js';
import { binaryValueSize, isStringVR, type VR } from './vr.js';

/** A tag number or a PS3.6 keyword such as 'PatientName'. */
export type TagLike = Tag | string;

const SPECIFIC_CHARACTER_SET: Tag = 0x00080005;

export function resolveTag(tag: TagLike): Tag {
  if (typeof tag === 'number') return tag;
  const t = tagForKeyword(tag);
  if (t === undefined) throw new DicomValueError(`unknown keyword '${tag}'`);
  return t;
}

/** The VR a new element of this tag gets when the caller names none: the dictionary's first choice. */
export function defaultVR(tag: Tag): VR {
  return lookupTag(tag)?.vrs[0] ?? 'UN';
}

export class Dataset {
  private readonly map = new Map<Tag, DataElement>();
  /** Elements were added out of ascending order: sort before iterating. */
  private unsorted = false;
  /** Highest tag added so far, to notice out-of-order additions without scanning. */
  private lastTag = -1;
  private charsetCache: SpecificCharacterSet | undefined;
  /** Byte order of the raw values held (the transfer syntax they were read in, or will be written in). */
  littleEndian = true;
  /** Whether the source encoding carried VRs (informational: VRs are always resolved on read). */
  explicitVR = true;
  /** The data set this one is an item of: character set and byte order are inherited from it. */
  parent: Dataset | undefined;
  /** As a sequence item: encoded with undefined length and an Item Delimitation Item. */
  itemUndefinedLength = false;

  constructor(parent?: Dataset) {
    this.parent = parent;
    if (parent) {
      this.littleEndian = parent.littleEndian;
      this.explicitVR = parent.explicitVR;
    }
  }

  get size(): number {
    return this.map.size;
  }

  get(tag: TagLike): DataElement | undefined {
    return this.map.get(resolveTag(tag));
  }

  has(tag: TagLike): boolean {
    return this.map.has(resolveTag(tag));
  }

  /** Adds or replaces an element; keeps track of order so iteration stays ascending. */
  set(element: DataElement): this {
    const map = this.map;
    if (element.tag < this.lastTag && !map.has(element.tag)) this.unsorted = true;
    else if (element.tag > this.lastTag) this.lastTag = element.tag;
    map.set(element.tag, element);
    if (element.tag === SPECIFIC_CHARACTER_SET) this.charsetCache = undefined;
    return this;
  }

  delete(tag: TagLike): boolean {
    const t = resolveTag(tag);
    if (t === SPECIFIC_CHARACTER_SET) this.charsetCache = undefined;
    return this.map.delete(t);
  }

  /** Elements in ascending tag order. */
  elements(): DataElement[] {
    const list = [...this.map.values()];
    if (this.unsorted) {
      list.sort((a, b) => a.tag - b.tag);
      this.map.clear();
      for (const el of list) this.map.set(el.tag, el);
      this.unsorted = false;
    }
    return list;
  }

  [Symbol.iterator](): Iterator<DataElement> {
    return this.elements()[Symbol.iterator]();
  }

  tags(): Tag[] {
    return this.elements().map((e) => e.tag);
  }

  /** The character set for this data set's text: its own (0008,0005), else its parent's. */
  get characterSet(): SpecificCharacterSet {
    if (this.charsetCache) return this.charsetCache;
    const own = this.map.get(SPECIFIC_CHARACTER_SET);
    let cs: SpecificCharacterSet;
    if (own?.bytes) cs = SpecificCharacterSet.fromValue(own.bytes.toString('latin1', 0, own.bytes.length));
    else cs = this.parent ? this.parent.characterSet : SpecificCharacterSet.DEFAULT;
    this.charsetCache = cs;
    return cs;
  }

  // ---- typed getters ------------------------------------------------------------------------------

  /** All values of a string element (trimmed per VR); [] when absent or empty. */
  strings(tag: TagLike): string[] {
    const el = this.get(tag);
    if (!el?.bytes) return [];
    if (isStringVR(el.vr)) return decodeStrings(el.bytes, el.vr, this.characterSet);
    if (el.vr === 'AT') return decodeTags(el.bytes, this.littleEndian).map((t) => formatTag(t));
    if (binaryValueSize(el.vr) > 0) return this.numbers(tag).map(String);
    // UN or OB holding text (e.g. standard tags sent as UN): read as the dictionary VR would.
    const dictVR = lookupTag(el.tag)?.vrs[0];
    if (dictVR && isStringVR(dictVR)) return decodeStrings(el.bytes, dictVR, this.characterSet);
    return [];
  }

  /** The first value of a string element. */
  string(tag: TagLike): string | undefined {
    return this.strings(tag)[0];
  }

  /** Numbers of IS/DS text or of a binary numeric VR. */
  numbers(tag: TagLike): number[] {
    const el = this.get(tag);
    if (!el?.bytes) return [];
    if (el.vr === 'IS') return decodeStrings(el.bytes, el.vr, this.characterSet).map(parseIS);
    if (el.vr === 'DS') return decodeStrings(el.bytes, el.vr, this.characterSet).map(parseDS);
    if (binaryValueSize(el.vr) > 0 && el.vr !== 'AT')
      return decodeBinaryNumbers(el.bytes, el.vr, this.littleEndian);
    const dictVR = lookupTag(el.tag)?.vrs[0];
    if (dictVR && dictVR !== 'UN' && el.vr === 'UN') {
      if (dictVR === 'IS' || dictVR === 'DS')
        return this.strings(tag).map(dictVR === 'IS' ? parseIS : parseDS);
      if (binaryValueSize(dictVR) > 0 && dictVR !== 'AT')
        return decodeBinaryNumbers(el.bytes, dictVR, this.littleEndian);
    }
    throw new DicomValueError(`${el.vr} holds no numbers`, el.tag);
  }

  number(tag: TagLike): number | undefined {
    return this.numbers(tag)[0];
  }

  /** SV/UV/OV values exactly. */
  bigInts(tag: TagLike): bigint[] {
    const el = this.get(tag);
    if (!el?.bytes) return [];
    if (el.vr !== 'SV' && el.vr !== 'UV' && el.vr !== 'OV')
      throw new DicomValueError(`${el.vr} holds no 64-bit integers`, el.tag);
    return decodeBigInts(el.bytes, el.vr, this.littleEndian);
  }

  personNames(tag: TagLike): PersonName[] {
    return this.strings(tag).map((v) => PersonName.parse(v));
  }

  personName(tag: TagLike): PersonName | undefined {
    return this.personNames(tag)[0];
  }

  /** AT values as tags. */
  attributeTags(tag: TagLike): Tag[] {
    const el = this.get(tag);
    if (!el?.bytes) return [];
    if (el.vr !== 'AT') throw new DicomValueError(`${el.vr} holds no tags`, el.tag);
    return decodeTags(el.bytes, this.littleEndian);
  }

  /** Items of a sequence; [] when absent or empty. */
  sequence(tag: TagLike): Dataset[] {
    return this.get(tag)?.items ?? [];
  }

  /** Raw value bytes (in this data set's byte order). */
  bytes(tag: TagLike): Buffer | undefined {
    return this.get(tag)?.bytes;
  }

  // ---- setters --------------------------------------------------------------------------------------

  /** Sets a text element; the VR defaults to the dictionary's. Values are encoded in this data set's character set. */
  setStrings(tag: TagLike, values: string | readonly string[], vr?: VR): this {
    const t = resolveTag(tag);
    const v = vr ?? defaultVR(t);
    const list = typeof values === 'string' ? [values] : values;
    if (t === SPECIFIC_CHARACTER_SET) this.charsetCache = undefined;
    return this.set(DataElement.ofBytes(t, v, encodeStrings(list, v, this.characterSet)));
  }

  /** Sets numbers: as text for IS/DS, as binary in this data set's byte order otherwise. */
  setNumbers(tag: TagLike, values: number | bigint | readonly (number | bigint)[], vr?: VR): this {
    const t = resolveTag(tag);
    const v = vr ?? defaultVR(t);
    const list = Array.isArray(values) ? values : [values as number | bigint];
    if (v === 'IS' || v === 'DS') {
      const text = list.map((n) => (v === 'IS' ? formatIS(Number(n)) : formatDS(Number(n))));
      return this.set(DataElement.ofBytes(t, v, encodeStrings(text, v, this.characterSet)));
    }
    return this.set(DataElement.ofBytes(t, v, encodeBinaryNumbers(list, v, this.littleEndian)));
  }

  setPersonNames(tag: TagLike, names: readonly (PersonName | string)[]): this {
    return this.setStrings(tag, names.map(String), 'PN');
  }

  setAttributeTags(tag: TagLike, tags: readonly Tag[]): this {
    return this.set(DataElement.ofBytes(resolveTag(tag), 'AT', encodeTags(tags, this.littleEndian)));
  }

  /** Sets a sequence; the items become children of this data set. */
  setSequence(tag: TagLike, items: readonly Dataset[]): this {
    for (const item of items) item.parent = this;
    return this.set(DataElement.ofItems(resolveTag(tag), [...items], true));
  }

  /** Sets raw bytes (already in this data set's byte order), padded to even length. */
  setBytes(tag: TagLike, vr: VR, bytes: Buffer): this {
    const padded =
      bytes.length & 1
        ? Buffer.concat([bytes, Buffer.from([isStringVR(vr) && vr !== 'UI' ? 0x20 : 0])])
        : bytes;
    return this.set(DataElement.ofBytes(resolveTag(tag), vr, padded));
  }

  /** A new empty item whose parent is this data set (for building sequences). */
  newItem(): Dataset {
    return new Dataset(this);
  }
}
