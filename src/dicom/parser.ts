/**
 * The DICOM reader's core (PS3.10 7 for the file format, PS3.5 7 for data sets): an iterative, resumable
 * parser over byte windows. It never recurses (nesting is an explicit stack, bounded by maxDepth), never
 * allocates a declared length (values are views of the window), and checks every declared length against
 * what encloses it, so hostile input ends in a DicomParseError with the byte offset.
 *
 * Drivers (reader.ts) feed it: a whole Buffer at once, a file read window by window (values over the bulk
 * threshold are skipped, not read), or chunks pushed from a stream or the network.
 */

import { Dataset } from './dataset.js';
import { lookupTag } from './dictionary/index.js';
import { DataElement } from './element.js';
import { DicomParseError } from './errors.js';
import {
  formatTag,
  ItemDelimitationTag,
  ItemTag,
  isPrivateCreatorTag,
  isPrivateGroup,
  privateCreatorTagFor,
  SequenceDelimitationTag,
  type Tag,
} from './tag.js';
import {
  ExplicitVRBigEndian,
  ExplicitVRLittleEndian,
  findTransferSyntax,
  ImplicitVRLittleEndian,
  type TransferSyntax,
} from './transfer-syntax.js';
import { hasLongLength, isVR, type VR, vrFromBytes } from './vr.js';

export interface ReadOptions {
  /** Stop at the top level before the first element whose tag is >= this one (e.g. Pixel Data). */
  stopBeforeTag?: Tag;
  /** Stop at the top level after this element (before the first element with a greater tag). */
  untilTag?: Tag;
  /** Deepest sequence nesting accepted (default 128). */
  maxDepth?: number;
  /** Values longer than this many bytes are not loaded but recorded as BulkDataRef (file reads only). */
  bulkDataThreshold?: number;
  /** Syntax of a raw data set without meta information; detected from the first element when absent. */
  transferSyntax?: string;
}

/** A Part 10 file, or a raw data set (then preamble is undefined and meta empty). */
export interface DicomFile {
  preamble: Buffer | undefined;
  /** File Meta Information (group 0002), always Explicit VR Little Endian. */
  meta: Dataset;
  dataset: Dataset;
  /** The syntax the data set was read in (after any correction of a wrong meta header, see warnings). */
  transferSyntax: TransferSyntax;
  /** Things that were wrong but could be read: duplicate tags, stray delimiters, a wrong meta header... */
  warnings: string[];
  /** Set when the read stopped early (stopBeforeTag / untilTag): the first tag not read. */
  stoppedAt?: Tag;
  /** Byte offset where the data set starts (after preamble and meta; for deflated files, the compressed part). */
  datasetOffset: number;
}

export type ParseStep =
  | { kind: 'need'; until: number }
  | { kind: 'inflate'; from: number }
  | { kind: 'done' };

const UNDEFINED = 0xffffffff;
const PIXEL_DATA: Tag = 0x7fe00010;
const PIXEL_REPRESENTATION: Tag = 0x00280103;
const TRANSFER_SYNTAX_UID: Tag = 0x00020010;

enum FrameKind {
  Items, // a data set (top level or item) reading elements
  Sequence, // a sequence reading items
  Fragments, // encapsulated pixel data reading fragments
}

interface Frame {
  kind: FrameKind;
  /** Absolute end offset for defined lengths; -1 until a delimiter. */
  end: number;
  littleEndian: boolean;
  explicitVR: boolean;
  dataset: Dataset | undefined;
  element: DataElement | undefined;
  /** Highest tag read in this data set, for order checks. */
  lastTag: number;
}

enum Phase {
  Start,
  Meta,
  DatasetStart,
  Dataset,
  Done,
}

export class DicomParser {
  /** Absolute offset of the next byte to read (in the inflated stream after a deflate switch). */
  pos = 0;
  private phase = Phase.Start;
  private readonly stack: Frame[] = [];
  private depth = 0;
  private readonly maxDepth: number;
  readonly file: DicomFile;
  private ts: TransferSyntax = ExplicitVRLittleEndian;
  private metaGiven = false;

  /**
   * @param sourceLength total bytes of the source when known (Buffer, file): declared lengths beyond it fail at
   *   once instead of waiting for data that never comes.
   * @param path the file, for BulkDataRefs.
   */
  constructor(
    private readonly options: ReadOptions = {},
    private sourceLength: number | undefined = undefined,
    private readonly path: string | undefined = undefined,
  ) {
    this.maxDepth = options.maxDepth ?? 128;
    this.file = {
      preamble: undefined,
      meta: new Dataset(),
      dataset: new Dataset(),
      transferSyntax: ExplicitVRLittleEndian,
      warnings: [],
      datasetOffset: 0,
    };
  }

  get done(): boolean {
    return this.phase === Phase.Done;
  }

  /** After an 'inflate' step: the driver now feeds the inflated bytes, offsets counted from 0 in them. */
  beginInflated(inflatedLength: number | undefined): void {
    this.pos = 0;
    this.sourceLength = inflatedLength;
    this.phase = Phase.DatasetStart;
  }

  /**
   * Parses what the window holds. `buf` starts at absolute offset `start` (<= pos); `final` says no bytes
   * follow the window. Returns when done, when more bytes are needed, or when the rest must be inflated.
   */
  run(buf: Buffer, start: number, final: boolean): ParseStep {
    for (;;) {
      switch (this.phase) {
        case Phase.Start: {
          const step = this.readStart(buf, start, final);
          if (step) return step;
          break;
        }
        case Phase.Meta: {
          const step = this.readMeta(buf, start, final);
          if (step) return step;
          break;
        }
        case Phase.DatasetStart: {
          const step = this.startDataset(buf, start, final);
          if (step) return step;
          break;
        }
        case Phase.Dataset:
          return this.readDataset(buf, start, final);
        case Phase.Done:
          return { kind: 'done' };
      }
    }
  }

  // ---- preamble, DICM prefix, meta information ------------------------------------------------------

  private readStart(buf: Buffer, start: number, final: boolean): ParseStep | undefined {
    const avail = start + buf.length - this.pos;
    if (avail < 132 && !final) return { kind: 'need', until: this.pos + 132 };
    const at = this.pos - start;
    if (avail === 0) throw new DicomParseError('empty input: not a DICOM file', this.pos);
    if (avail >= 132 && buf.toString('latin1', at + 128, at + 132) === 'DICM') {
      this.file.preamble = buf.subarray(at, at + 128);
      this.pos += 132;
      this.phase = Phase.Meta;
      return undefined;
    }
    if (avail >= 4 && buf.toString('latin1', at, at + 4) === 'DICM') {
      this.file.warnings.push("the file starts with 'DICM' but has no 128-byte preamble");
      this.pos += 4;
      this.phase = Phase.Meta;
      return undefined;
    }
    if (avail >= 8 && buf.readUInt16LE(at) === 0x0002 && isVRAt(buf, at + 4)) {
      this.file.warnings.push('meta information without preamble and DICM prefix');
      this.phase = Phase.Meta;
      return undefined;
    }
    // A raw data set (Conquest's .v2 files, ACR-NEMA style files, network data sets).
    this.phase = Phase.DatasetStart;
    return undefined;
  }

  private readMeta(buf: Buffer, start: number, final: boolean): ParseStep | undefined {
    const meta = this.file.meta;
    meta.littleEndian = true;
    meta.explicitVR = true;
    const end = start + buf.length;
    for (;;) {
      if (end - this.pos < 8) {
        if (!final) return { kind: 'need', until: this.pos + 12 };
        if (meta.size > 0 && !this.metaDeclaresMore()) {
          const partial = end - this.pos;
          if (partial === 0 || (partial >= 2 && buf.readUInt16LE(this.pos - start) !== 0x0002)) break;
        }
        throw new DicomParseError('file ends inside the meta information', this.pos);
      }
      const at = this.pos - start;
      const group = buf.readUInt16LE(at);
      // The meta group ends where group 0002 ends; its group length is not trusted (it may be wrong).
      if (group !== 0x0002) break;
      const tag = ((group << 16) | buf.readUInt16LE(at + 2)) >>> 0;
      if (!isVRAt(buf, at + 4))
        throw new DicomParseError('meta information element without a valid VR', this.pos, tag);
      const vr = buf.toString('latin1', at + 4, at + 6) as VR;
      let header = 8;
      let length: number;
      if (hasLongLength(vr)) {
        if (end - this.pos < 12) {
          if (!final) return { kind: 'need', until: this.pos + 12 };
          throw new DicomParseError('file ends inside the meta information', this.pos, tag);
        }
        length = buf.readUInt32LE(at + 8);
        header = 12;
      } else {
        length = buf.readUInt16LE(at + 6);
      }
      if (length === UNDEFINED)
        throw new DicomParseError('undefined length in the meta information', this.pos, tag);
      const valueEnd = this.pos + header + length;
      if (this.sourceLength !== undefined && valueEnd > this.sourceLength) {
        throw new DicomParseError(
          `meta element declares ${length} bytes but the file ends before`,
          this.pos,
          tag,
        );
      }
      if (valueEnd > end) {
        if (!final) return { kind: 'need', until: valueEnd };
        throw new DicomParseError('file ends inside the meta information', this.pos, tag);
      }
      meta.set(DataElement.ofBytes(tag, vr, buf.subarray(at + header, at + header + length)));
      if (tag === 0x00020000 && length === 4) this.metaEnd = valueEnd + buf.readUInt32LE(at + header);
      this.pos = valueEnd;
    }
    this.metaGiven = true;
    this.phase = Phase.DatasetStart;
    return undefined;
  }

  /** Where (0002,0000) says the meta group ends, when it is present: a file cut before that is truncated. */
  private metaEnd = -1;

  private metaDeclaresMore(): boolean {
    return this.metaEnd > this.pos;
  }

  // ---- the data set's syntax -------------------------------------------------------------------------

  private startDataset(buf: Buffer, start: number, final: boolean): ParseStep | undefined {
    if (!this.inflated) {
      if (!this.chooseSyntax(buf, start, final)) return { kind: 'need', until: this.pos + 16 };
      this.file.datasetOffset = this.pos;
      if (this.ts.deflated) {
        this.inflated = true;
        return { kind: 'inflate', from: this.pos };
      }
    }
    const ds = this.file.dataset;
    ds.littleEndian = this.ts.littleEndian;
    ds.explicitVR = this.ts.explicitVR;
    this.stack.push({
      kind: FrameKind.Items,
      end: -1,
      littleEndian: this.ts.littleEndian,
      explicitVR: this.ts.explicitVR,
      dataset: ds,
      element: undefined,
      lastTag: -1,
    });
    this.phase = Phase.Dataset;
    return undefined;
  }

  /** Set once the deflated part has been handed to the driver to inflate. */
  private inflated = false;

  /** Decides the data set's syntax from the meta header and checks it against the first element. */
  private chooseSyntax(buf: Buffer, start: number, final: boolean): boolean {
    const avail = start + buf.length - this.pos;
    if (avail < 8 && !final) return false;
    const at = this.pos - start;
    const metaTs = this.file.meta.get(TRANSFER_SYNTAX_UID)?.bytes;
    let ts: TransferSyntax | undefined;
    if (metaTs) {
      const uid = metaTs.toString('latin1', 0, metaTs.length).replace(/[\0 ]+$/, '');
      ts = findTransferSyntax(uid);
      if (!ts)
        throw new DicomParseError(
          `unknown transfer syntax '${uid}' in the meta information`,
          this.pos,
          TRANSFER_SYNTAX_UID,
        );
    } else if (this.options.transferSyntax) {
      ts = findTransferSyntax(this.options.transferSyntax);
      if (!ts)
        throw new DicomParseError(`unknown transfer syntax '${this.options.transferSyntax}'`, this.pos);
    }
    if (avail < 8) {
      // Empty data set (meta only, or nothing).
      if (!ts) {
        if (!this.metaGiven)
          throw new DicomParseError('not a DICOM file: too short to hold a data element', this.pos);
        this.file.warnings.push(
          'no Transfer Syntax UID in the meta information; assuming Explicit VR Little Endian',
        );
        ts = ExplicitVRLittleEndian;
      }
      this.ts = ts;
      this.file.transferSyntax = ts;
      return true;
    }
    const detected = detectSyntax(buf, at);
    if (!ts) {
      if (!detected) {
        throw new DicomParseError(
          this.metaGiven
            ? 'no Transfer Syntax UID in the meta information and the data set does not start with a data element'
            : "not a DICOM file: no 'DICM' prefix and the first bytes are not a data element",
          this.pos,
        );
      }
      if (this.metaGiven)
        this.file.warnings.push(
          `no Transfer Syntax UID in the meta information; the data set reads as ${detected.name}`,
        );
      ts = detected;
    } else if (!ts.deflated && detected && isNativeMismatch(ts, detected)) {
      this.file.warnings.push(
        `the meta information says ${ts.name} but the data set is ${detected.name}; read as ${detected.name}`,
      );
      ts = ts.encapsulated
        ? { ...ts, explicitVR: detected.explicitVR, littleEndian: detected.littleEndian }
        : detected;
    }
    this.ts = ts;
    this.file.transferSyntax = ts;
    return true;
  }

  // ---- the data set ----------------------------------------------------------------------------------

  private readDataset(buf: Buffer, start: number, final: boolean): ParseStep {
    const stack = this.stack;
    const end = start + buf.length;
    const opts = this.options;
    const bulk = opts.bulkDataThreshold;
    for (;;) {
      const f = stack[stack.length - 1]!;
      let pos = this.pos;
      if (f.end >= 0 && pos >= f.end) {
        if (pos > f.end)
          throw new DicomParseError('contents overrun their defined length', pos, f.element?.tag);
        this.pop();
        continue;
      }
      const avail = end - pos;
      if (avail < 8) {
        if (!final) return { kind: 'need', until: pos + 12 };
        if (avail === 0 && stack.length === 1) return this.finish(undefined);
        throw this.truncated(pos, avail);
      }
      const at = pos - start;
      const le = f.littleEndian;
      const group = le ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
      const tag = ((group << 16) | (le ? buf.readUInt16LE(at + 2) : buf.readUInt16BE(at + 2))) >>> 0;

      if (f.kind !== FrameKind.Items) {
        const length = le ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 4);
        this.readItemHeader(f, tag, length, pos, buf, start, final);
        if (this.pendingNeed >= 0) {
          const until = this.pendingNeed;
          this.pendingNeed = -1;
          return { kind: 'need', until };
        }
        continue;
      }

      if (group === 0xfffe) {
        this.readDelimiterInDataset(f, tag, pos);
        continue;
      }
      if (stack.length === 1) {
        if (
          (opts.stopBeforeTag !== undefined && tag >= opts.stopBeforeTag) ||
          (opts.untilTag !== undefined && tag > opts.untilTag)
        ) {
          return this.finish(tag);
        }
      }

      let vr: VR;
      let length: number;
      let header = 8;
      if (f.explicitVR) {
        const c0 = buf[at + 4]!;
        const c1 = buf[at + 5]!;
        const known = vrFromBytes(c0, c1);
        if (known !== undefined) {
          vr = known;
          if (hasLongLength(vr)) {
            if (avail < 12) {
              if (!final) return { kind: 'need', until: pos + 12 };
              throw this.truncated(pos, avail);
            }
            length = le ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8);
            header = 12;
          } else {
            length = le ? buf.readUInt16LE(at + 6) : buf.readUInt16BE(at + 6);
          }
        } else {
          // Not a VR: read as UN with a 16-bit length, as DCMTK does, and say so.
          this.file.warnings.push(
            `element ${formatTag(tag)} at byte ${pos} has the invalid VR code 0x${hex2(c0)}${hex2(c1)}; read as UN`,
          );
          vr = 'UN';
          length = le ? buf.readUInt16LE(at + 6) : buf.readUInt16BE(at + 6);
        }
      } else {
        length = le ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 4);
        vr = implicitVR(tag, f.dataset!);
      }
      pos += header;

      if (length === UNDEFINED) {
        this.openUndefinedLength(f, tag, vr, pos - header);
        this.pos = pos;
        continue;
      }
      const valueEnd = pos + length;
      this.checkBounds(f, tag, length, pos - header, valueEnd);
      if (
        vr === 'UN' &&
        !f.explicitVR &&
        length >= 8 &&
        valueEnd <= end &&
        looksLikeItem(buf, pos - start, le, length)
      ) {
        // Implicit VR hides the VR of unknown (private) elements; a value that starts with an Item is a
        // sequence (as DCMTK and pydicom read it), and reading it as one keeps it writable in other syntaxes.
        vr = 'SQ';
      }
      if (vr === 'SQ') {
        const el = new DataElement(tag, 'SQ');
        el.items = [];
        this.addElement(f, el, pos - header);
        this.pushSequence(el, valueEnd, f.littleEndian, f.explicitVR, pos - header, f.dataset!);
        this.pos = pos;
        continue;
      }
      if (tag === PIXEL_DATA && stack.length === 1 && this.ts.encapsulated) {
        throw new DicomParseError(
          `Pixel Data with a defined length in ${this.ts.name}, an encapsulated transfer syntax`,
          pos - header,
          tag,
        );
      }
      const el = new DataElement(tag, vr);
      if (bulk !== undefined && length > bulk && this.path !== undefined) {
        el.bulk = { offset: pos, length, path: this.path };
      } else {
        if (valueEnd > end) {
          if (!final) return { kind: 'need', until: valueEnd };
          throw this.truncated(pos - header, avail, tag, length);
        }
        el.setSourceRange(buf, pos - start, valueEnd - start);
      }
      this.addElement(f, el, pos - header);
      this.pos = valueEnd;
    }
  }

  /** -1, or the offset the item/fragment reader needs data up to. */
  private pendingNeed = -1;

  private readItemHeader(
    f: Frame,
    tag: Tag,
    length: number,
    pos: number,
    buf: Buffer,
    start: number,
    final: boolean,
  ): void {
    if (tag === SequenceDelimitationTag) {
      if (f.end >= 0)
        throw new DicomParseError(
          'Sequence Delimitation Item inside a defined-length sequence',
          pos,
          f.element?.tag,
        );
      this.pos = pos + 8;
      this.pop();
      return;
    }
    if (tag !== ItemTag) {
      const what =
        f.kind === FrameKind.Fragments ? 'encapsulated Pixel Data' : `sequence ${formatTag(f.element!.tag)}`;
      throw new DicomParseError(
        `expected an Item (FFFE,E000) in ${what}, found ${formatTag(tag)}`,
        pos,
        f.element?.tag,
      );
    }
    const contentStart = pos + 8;
    if (f.kind === FrameKind.Fragments) {
      if (length === UNDEFINED)
        throw new DicomParseError('encapsulated Pixel Data fragment with undefined length', pos, PIXEL_DATA);
      const fragEnd = contentStart + length;
      this.checkBounds(f, ItemTag, length, pos, fragEnd);
      if (fragEnd > start + buf.length) {
        if (!final) {
          this.pendingNeed = fragEnd;
          return;
        }
        throw this.truncated(pos, start + buf.length - pos, PIXEL_DATA, length);
      }
      f.element!.fragments!.push(buf.subarray(contentStart - start, fragEnd - start));
      this.pos = fragEnd;
      return;
    }
    const item = new Dataset(f.dataset);
    item.littleEndian = f.littleEndian;
    item.explicitVR = f.explicitVR;
    let itemEnd = -1;
    if (length === UNDEFINED) item.itemUndefinedLength = true;
    else {
      itemEnd = contentStart + length;
      this.checkBounds(f, ItemTag, length, pos, itemEnd);
    }
    f.element!.items!.push(item);
    this.stack.push({
      kind: FrameKind.Items,
      end: itemEnd,
      littleEndian: f.littleEndian,
      explicitVR: f.explicitVR,
      dataset: item,
      element: f.element,
      lastTag: -1,
    });
    this.pos = contentStart;
  }

  private readDelimiterInDataset(f: Frame, tag: Tag, pos: number): void {
    if (tag === ItemDelimitationTag && this.stack.length > 1) {
      if (f.end >= 0) throw new DicomParseError('Item Delimitation Item inside a defined-length item', pos);
      this.pos = pos + 8;
      this.pop();
      return;
    }
    if (this.stack.length === 1 && (tag === SequenceDelimitationTag || tag === ItemDelimitationTag)) {
      this.file.warnings.push(
        `stray delimitation item ${formatTag(tag)} at byte ${pos} at the top level; skipped`,
      );
      this.pos = pos + 8;
      return;
    }
    if (tag === ItemTag) throw new DicomParseError('Item (FFFE,E000) outside a sequence', pos);
    throw new DicomParseError(`unexpected ${formatTag(tag)} among data elements`, pos);
  }

  private openUndefinedLength(f: Frame, tag: Tag, vr: VR, headerPos: number): void {
    if (vr === 'SQ') {
      const el = new DataElement(tag, 'SQ');
      el.items = [];
      el.undefinedLength = true;
      this.addElement(f, el, headerPos);
      this.pushSequence(el, -1, f.littleEndian, f.explicitVR, headerPos, f.dataset!);
      return;
    }
    if (tag === PIXEL_DATA) {
      if (!this.ts.encapsulated) {
        throw new DicomParseError(
          `Pixel Data of undefined length in ${this.ts.name}, a native (not encapsulated) transfer syntax`,
          headerPos,
          tag,
        );
      }
      const el = DataElement.ofFragments(tag, vr === 'OW' ? 'OW' : 'OB', []);
      this.addElement(f, el, headerPos);
      this.depthCheck(headerPos, tag);
      this.stack.push({
        kind: FrameKind.Fragments,
        end: -1,
        littleEndian: f.littleEndian,
        explicitVR: f.explicitVR,
        dataset: undefined,
        element: el,
        lastTag: -1,
      });
      return;
    }
    if (vr === 'UN') {
      // PS3.5 6.2.2: UN of undefined length holds an Implicit VR Little Endian sequence (CP-246).
      const el = new DataElement(tag, 'SQ');
      el.items = [];
      el.undefinedLength = true;
      el.readAsUN = f.explicitVR;
      this.addElement(f, el, headerPos);
      this.pushSequence(el, -1, true, false, headerPos, f.dataset!);
      return;
    }
    throw new DicomParseError(
      `undefined length on a ${vr} element (only SQ, UN and encapsulated Pixel Data may have one)`,
      headerPos,
      tag,
    );
  }

  /** `owner` is the data set holding the sequence: its items' parent. */
  private pushSequence(
    el: DataElement,
    end: number,
    le: boolean,
    explicit: boolean,
    headerPos: number,
    owner: Dataset,
  ): void {
    this.depthCheck(headerPos, el.tag);
    this.stack.push({
      kind: FrameKind.Sequence,
      end,
      littleEndian: le,
      explicitVR: explicit,
      dataset: owner,
      element: el,
      lastTag: -1,
    });
  }

  private depthCheck(pos: number, tag: Tag): void {
    this.depth++;
    if (this.depth > this.maxDepth)
      throw new DicomParseError(`nesting too deep: more than ${this.maxDepth} levels of sequences`, pos, tag);
  }

  private pop(): void {
    const f = this.stack.pop()!;
    if (f.kind !== FrameKind.Items) this.depth--;
  }

  private addElement(f: Frame, el: DataElement, pos: number): void {
    const ds = f.dataset!;
    if (el.tag <= f.lastTag) {
      if (ds.has(el.tag)) {
        this.file.warnings.push(
          `duplicate element ${formatTag(el.tag)} at byte ${pos}; the first value is kept`,
        );
        return;
      }
      this.file.warnings.push(`element ${formatTag(el.tag)} at byte ${pos} is out of ascending order`);
    } else f.lastTag = el.tag;
    ds.set(el);
  }

  /** A value must fit in what encloses it and in the source: never trust a declared length. */
  private checkBounds(f: Frame, tag: Tag, length: number, headerPos: number, valueEnd: number): void {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const e = this.stack[i]!.end;
      if (e >= 0) {
        if (valueEnd > e) {
          throw new DicomParseError(
            `length ${length} runs past the end of the enclosing ${i === this.stack.length - 1 && f.kind === FrameKind.Sequence ? 'sequence' : 'item or sequence'} (ends at byte ${e})`,
            headerPos,
            tag,
          );
        }
        break;
      }
    }
    if (this.sourceLength !== undefined && valueEnd > this.sourceLength) {
      throw new DicomParseError(
        `length ${length} exceeds the ${Math.max(0, this.sourceLength - headerPos)} bytes left in the input`,
        headerPos,
        tag,
      );
    }
  }

  private truncated(pos: number, avail: number, tag?: Tag, length?: number): DicomParseError {
    const inner = this.stack[this.stack.length - 1];
    if (length !== undefined)
      return new DicomParseError(
        `input ends inside a value: ${length} bytes declared, ${avail} available`,
        pos,
        tag,
      );
    if (avail > 0)
      return new DicomParseError(`input ends inside an element header (${avail} of 8 bytes)`, pos);
    if (inner?.kind === FrameKind.Sequence)
      return new DicomParseError(
        'input ends inside a sequence: no Sequence Delimitation Item',
        pos,
        inner.element?.tag,
      );
    if (inner?.kind === FrameKind.Fragments)
      return new DicomParseError(
        'input ends inside encapsulated Pixel Data: no Sequence Delimitation Item',
        pos,
        PIXEL_DATA,
      );
    return new DicomParseError(
      'input ends inside a sequence item: no Item Delimitation Item',
      pos,
      inner?.element?.tag,
    );
  }

  private finish(stoppedAt: Tag | undefined): ParseStep {
    if (stoppedAt !== undefined) this.file.stoppedAt = stoppedAt;
    this.phase = Phase.Done;
    return { kind: 'done' };
  }
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** An Item tag with a length that fits the value: the value is a sequence. */
function looksLikeItem(buf: Buffer, at: number, le: boolean, length: number): boolean {
  const g = le ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
  const e = le ? buf.readUInt16LE(at + 2) : buf.readUInt16BE(at + 2);
  if (g !== 0xfffe || e !== 0xe000) return false;
  const itemLength = le ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 4);
  return itemLength === UNDEFINED || itemLength <= length - 8;
}

function isVRAt(buf: Buffer, at: number): boolean {
  if (at + 2 > buf.length) return false;
  return isVR(String.fromCharCode(buf[at]!, buf[at + 1]!));
}

/** A first group that a data set plausibly starts with (commands, meta, directory, identifying... groups). */
function plausibleFirstGroup(group: number): boolean {
  return group <= 0x00ff && (group & 1) === 0;
}

/**
 * Guesses a native syntax from the first element (as DCMTK, GDCM and pydicom do for raw files): the VR bytes
 * tell explicit from implicit, a plausible group tells the byte order. Undefined when it is not an element.
 */
function detectSyntax(buf: Buffer, at: number): TransferSyntax | undefined {
  if (at + 8 > buf.length) return undefined;
  const groupLE = buf.readUInt16LE(at);
  const groupBE = buf.readUInt16BE(at);
  const vrLike = isVRAt(buf, at + 4);
  if (plausibleFirstGroup(groupLE) && (groupLE !== 0 || buf.readUInt16LE(at + 2) === 0)) {
    if (vrLike) return ExplicitVRLittleEndian;
    // Implicit: the 32-bit length must be sane for a first element.
    const len = buf.readUInt32LE(at + 4);
    if (len === UNDEFINED || len <= buf.length - at - 8 || len < 0x10000) return ImplicitVRLittleEndian;
    return undefined;
  }
  if (plausibleFirstGroup(groupBE) && groupBE !== 0 && vrLike) return ExplicitVRBigEndian;
  return undefined;
}

function isNativeMismatch(declared: TransferSyntax, detected: TransferSyntax): boolean {
  return declared.explicitVR !== detected.explicitVR || declared.littleEndian !== detected.littleEndian;
}

/**
 * The VR of an element in Implicit VR (PS3.5 A.1): the dictionary's, with multi-VR entries resolved the way
 * PS3.5 A.1 and DCMTK do (US/SS by Pixel Representation, OB/OW as OW), private elements through their
 * creator, and UN when nothing is known.
 */
export function implicitVR(tag: Tag, ds: Dataset): VR {
  const el = tag & 0xffff;
  if (el === 0) return 'UL';
  const group = tag >>> 16;
  if (isPrivateGroup(group)) {
    if (isPrivateCreatorTag(tag)) return 'LO';
    const creatorEl = ds.get(privateCreatorTagFor(tag));
    if (!creatorEl?.bytes) return 'UN';
    const creator = creatorEl.bytes
      .toString('latin1', 0, creatorEl.bytes.length)
      .replace(/[\0 ]+$/, '')
      .replace(/^ +/, '');
    return pickVR(lookupTag(tag, creator)?.vrs, ds);
  }
  return pickVR(lookupTag(tag)?.vrs, ds);
}

function pickVR(vrs: readonly VR[] | undefined, ds: Dataset): VR {
  if (!vrs || vrs.length === 0) return 'UN';
  if (vrs.length === 1) return vrs[0]!;
  if (vrs.includes('OW')) return 'OW';
  if (vrs.includes('US') && vrs.includes('SS')) return pixelRepresentation(ds) === 1 ? 'SS' : 'US';
  return vrs[0]!;
}

function pixelRepresentation(ds: Dataset): number | undefined {
  for (let d: Dataset | undefined = ds; d; d = d.parent) {
    const el = d.get(PIXEL_REPRESENTATION);
    if (el?.bytes && el.bytes.length >= 2)
      return d.littleEndian ? el.bytes.readUInt16LE(0) : el.bytes.readUInt16BE(0);
  }
  return undefined;
}
