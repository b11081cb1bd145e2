import type { Dataset } from './dataset.js';
import type { Tag } from './tag.js';
import type { VR } from './vr.js';

/** Where a value that was not loaded lives: a byte range of the source file (see ReadOptions.bulkDataThreshold). */
export interface BulkDataRef {
  readonly offset: number;
  readonly length: number;
  /** The file the range is in, when the dataset was read from a path. */
  readonly path?: string;
}

/**
 * One data element (PS3.5 7.1). It keeps the raw value bytes as read, in the byte order of the dataset it
 * belongs to, and decodes only when asked (see values.ts): indexing an image touches a few dozen elements
 * and never the pixel data, and writing an unchanged element copies its bytes.
 *
 * Exactly one of bytes / items / fragments / bulk is set.
 */
export class DataElement {
  /** Raw value bytes (odd lengths kept as read). */
  private value: Buffer | undefined;
  /** Where a value read from a window lies, until someone asks for it (a Buffer view costs an allocation). */
  private source: Buffer | undefined;
  private sourceStart = 0;
  private sourceEnd = 0;
  /** Items of a sequence (VR SQ, or UN of undefined length read as a sequence). */
  items: Dataset[] | undefined;
  /** Encapsulated Pixel Data (PS3.5 A.4): [Basic Offset Table, fragment 1, fragment 2, ...]. */
  fragments: Buffer[] | undefined;
  /** A value left in the source file. */
  bulk: BulkDataRef | undefined;
  /** Encoded with undefined length and a delimitation item (sequences, encapsulated data). */
  undefinedLength = false;
  /**
   * Arrived as UN of undefined length and was read as an Implicit VR LE sequence (PS3.5 6.2.2). The vr is
   * then the dictionary's (normally SQ); the writer encodes it back as UN where the syntax needs it.
   */
  readAsUN = false;

  constructor(
    readonly tag: Tag,
    public vr: VR,
  ) {
    this.value = undefined;
    this.source = undefined;
    this.items = undefined;
    this.fragments = undefined;
    this.bulk = undefined;
  }

  /** The raw value bytes, in the byte order of the data set; undefined for sequences, fragments and bulk data. */
  get bytes(): Buffer | undefined {
    if (this.value === undefined && this.source !== undefined) {
      this.value = this.source.subarray(this.sourceStart, this.sourceEnd);
      this.source = undefined;
    }
    return this.value;
  }

  set bytes(b: Buffer | undefined) {
    this.value = b;
    this.source = undefined;
  }

  /** The reader's fast path: the value is bytes [start, end) of `source`, viewed only when first asked for. */
  setSourceRange(source: Buffer, start: number, end: number): void {
    this.value = undefined;
    this.source = source;
    this.sourceStart = start;
    this.sourceEnd = end;
  }

  /** Whether the element has a plain value (possibly empty), as opposed to items, fragments or bulk data. */
  get hasBytes(): boolean {
    return this.value !== undefined || this.source !== undefined;
  }

  static ofBytes(tag: Tag, vr: VR, bytes: Buffer): DataElement {
    const el = new DataElement(tag, vr);
    el.bytes = bytes;
    return el;
  }

  static ofItems(tag: Tag, items: Dataset[], undefinedLength = true): DataElement {
    const el = new DataElement(tag, 'SQ');
    el.items = items;
    el.undefinedLength = undefinedLength;
    return el;
  }

  static ofFragments(tag: Tag, vr: VR, fragments: Buffer[]): DataElement {
    const el = new DataElement(tag, vr);
    el.fragments = fragments;
    el.undefinedLength = true;
    return el;
  }

  /** Length of the value as it would be encoded; -1 for undefined-length sequences and fragments. */
  get valueLength(): number {
    if (this.source !== undefined) return this.sourceEnd - this.sourceStart;
    if (this.value) return this.value.length;
    if (this.bulk) return this.bulk.length;
    if (this.items || this.fragments) return -1;
    return 0;
  }

  get isSequence(): boolean {
    return this.items !== undefined;
  }

  get isEncapsulated(): boolean {
    return this.fragments !== undefined;
  }
}
