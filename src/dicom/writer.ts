/**
 * The writer (PS3.5 7, PS3.10 7.1): data sets in every native syntax and in encapsulated/deflated ones,
 * Part 10 files with a correct meta group length. An element that was read and not changed is written with
 * its original bytes, lengths (defined or undefined) and delimiters, so a re-write in the same syntax is
 * byte-identical; a change of byte order swaps each binary value by its VR.
 */
import { deflateRawSync } from 'node:zlib';
import { Dataset } from './dataset.js';
import { DataElement } from './element.js';
import { DicomWriteError } from './errors.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './implementation.js';
import { ItemDelimitationTag, ItemTag, SequenceDelimitationTag, type Tag } from './tag.js';
import { findTransferSyntax, type TransferSyntax } from './transfer-syntax.js';
import { binaryValueSize, hasLongLength, type VR } from './vr.js';

export interface WriteOptions {
  /** Group length elements (gggg,0000): keep as they are (default), recalculate, or leave out. */
  groupLengths?: 'keep' | 'recalculate' | 'remove';
  /** Deflate level for the Deflated syntax (default 6). */
  deflateLevel?: number;
}

export interface FileWriteOptions extends WriteOptions {
  /** 128 bytes; zeros by default. */
  preamble?: Buffer;
  /**
   * Keep the given meta elements as they are (including another implementation's class UID). By default
   * the meta group is rebuilt: version, SOP class/instance from the data set, the syntax, and this
   * implementation's class UID and version name; other meta elements (source AE...) are kept.
   */
  keepMeta?: boolean;
}

const UNDEFINED = 0xffffffff;

interface Encoding {
  littleEndian: boolean;
  explicitVR: boolean;
  /** Pixel Data may be encapsulated. */
  encapsulated: boolean;
}

/** Collects output: small headers go into a shared scratch buffer, large values are referenced, not copied. */
class ByteSink {
  readonly parts: Buffer[] = [];
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  private flushedAt = 0;
  length = 0;

  private room(n: number): void {
    if (this.used + n <= this.scratch.length) return;
    this.flushScratch();
    this.scratch = Buffer.allocUnsafe(Math.max(64 * 1024, n));
    this.used = 0;
    this.flushedAt = 0;
  }

  private flushScratch(): void {
    if (this.used > this.flushedAt) this.parts.push(this.scratch.subarray(this.flushedAt, this.used));
    this.flushedAt = this.used;
  }

  u16(v: number, le: boolean): void {
    this.room(2);
    if (le) this.scratch.writeUInt16LE(v, this.used);
    else this.scratch.writeUInt16BE(v, this.used);
    this.used += 2;
    this.length += 2;
  }

  u32(v: number, le: boolean): void {
    this.room(4);
    if (le) this.scratch.writeUInt32LE(v >>> 0, this.used);
    else this.scratch.writeUInt32BE(v >>> 0, this.used);
    this.used += 4;
    this.length += 4;
  }

  ascii2(s: string): void {
    this.room(2);
    this.scratch[this.used] = s.charCodeAt(0);
    this.scratch[this.used + 1] = s.charCodeAt(1);
    this.used += 2;
    this.length += 2;
  }

  bytes(b: Buffer): void {
    if (b.length <= 256) {
      this.room(b.length);
      b.copy(this.scratch, this.used);
      this.used += b.length;
    } else {
      this.flushScratch();
      this.parts.push(b);
    }
    this.length += b.length;
  }

  finish(): Buffer[] {
    this.flushScratch();
    return this.parts;
  }
}

/** Encodes a data set (no meta) in the given transfer syntax. */
export function writeDataset(
  ds: Dataset,
  transferSyntax: TransferSyntax | string,
  options: WriteOptions = {},
): Buffer {
  return joinParts(writeDatasetParts(ds, transferSyntax, options));
}

/**
 * The encoded data set as a list of buffers, without joining them: large values are the element's own
 * bytes, so writing the list (writev, socket.cork) copies nothing.
 */
export function writeDatasetParts(
  ds: Dataset,
  transferSyntax: TransferSyntax | string,
  options: WriteOptions = {},
): Buffer[] {
  const ts = typeof transferSyntax === 'string' ? requireSyntax(transferSyntax) : transferSyntax;
  const sink = new ByteSink();
  writeElements(sink, ds, encodingOf(ts), options);
  const parts = sink.finish();
  if (ts.deflated) return [deflateRawSync(joinParts(parts), { level: options.deflateLevel ?? 6 })];
  return parts;
}

/** Encodes a Part 10 file: preamble, "DICM", meta group (Explicit VR LE) and the data set. */
export function writeDicomFile(
  meta: Dataset | undefined,
  ds: Dataset,
  transferSyntax: TransferSyntax | string,
  options: FileWriteOptions = {},
): Buffer {
  return joinParts(writeDicomFileParts(meta, ds, transferSyntax, options));
}

/** writeDicomFile as a list of buffers (see writeDatasetParts). */
export function writeDicomFileParts(
  meta: Dataset | undefined,
  ds: Dataset,
  transferSyntax: TransferSyntax | string,
  options: FileWriteOptions = {},
): Buffer[] {
  const ts = typeof transferSyntax === 'string' ? requireSyntax(transferSyntax) : transferSyntax;
  const sink = new ByteSink();
  writeFileHead(sink, meta, ds, ts, options);
  if (ts.deflated) return [...sink.finish(), ...writeDatasetParts(ds, ts, options)];
  writeElements(sink, ds, encodingOf(ts), options);
  return sink.finish();
}

/**
 * Preamble, "DICM" and the meta group only: the start of a Part 10 file whose data set bytes are written
 * separately (as the Storage SCP does with what it receives). `ds` supplies the SOP class/instance when the
 * meta lacks them; it may be empty.
 */
export function encodeFileHead(
  meta: Dataset | undefined,
  ds: Dataset,
  transferSyntax: TransferSyntax | string,
  options: FileWriteOptions = {},
): Buffer {
  const ts = typeof transferSyntax === 'string' ? requireSyntax(transferSyntax) : transferSyntax;
  const sink = new ByteSink();
  writeFileHead(sink, meta, ds, ts, options);
  return joinParts(sink.finish());
}

function writeFileHead(
  sink: ByteSink,
  meta: Dataset | undefined,
  ds: Dataset,
  ts: TransferSyntax,
  options: FileWriteOptions,
): void {
  const metaOut = options.keepMeta && meta ? meta : buildMeta(meta, ds, ts);
  const preamble = options.preamble ?? Buffer.alloc(128);
  if (preamble.length !== 128) throw new DicomWriteError('the preamble must be 128 bytes');
  sink.bytes(Buffer.from(preamble));
  sink.bytes(Buffer.from('DICM', 'latin1'));
  writeElements(
    sink,
    withMetaGroupLength(metaOut),
    { littleEndian: true, explicitVR: true, encapsulated: false },
    {},
  );
}

function encodingOf(ts: TransferSyntax): Encoding {
  return { littleEndian: ts.littleEndian, explicitVR: ts.explicitVR, encapsulated: ts.encapsulated };
}

function joinParts(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function requireSyntax(uid: string): TransferSyntax {
  const ts = findTransferSyntax(uid);
  if (!ts) throw new DicomWriteError(`unknown transfer syntax '${uid}'`);
  return ts;
}

/** A meta group for writing `ds` in `ts` (PS3.10 7.1), keeping the given meta's extra elements. */
export function buildMeta(meta: Dataset | undefined, ds: Dataset, ts: TransferSyntax): Dataset {
  const out = new Dataset();
  if (meta) for (const el of meta) if (el.tag !== 0x00020000) out.set(el);
  out.setBytes(0x00020001, 'OB', Buffer.from([0x00, 0x01]));
  const sopClass = ds.string(0x00080016) ?? meta?.string(0x00020002);
  const sopInstance = ds.string(0x00080018) ?? meta?.string(0x00020003);
  if (sopClass) out.setStrings(0x00020002, sopClass, 'UI');
  if (sopInstance) out.setStrings(0x00020003, sopInstance, 'UI');
  out.setStrings(0x00020010, ts.uid, 'UI');
  out.setStrings(0x00020012, IMPLEMENTATION_CLASS_UID, 'UI');
  out.setStrings(0x00020013, IMPLEMENTATION_VERSION_NAME, 'SH');
  return out;
}

function withMetaGroupLength(meta: Dataset): Dataset {
  const out = new Dataset();
  let len = 0;
  const enc: Encoding = { littleEndian: true, explicitVR: true, encapsulated: false };
  for (const el of meta) if (el.tag !== 0x00020000) len += encodedLength(el, enc, meta);
  const gl = Buffer.allocUnsafe(4);
  gl.writeUInt32LE(len);
  out.set(DataElement.ofBytes(0x00020000, 'UL', gl));
  for (const el of meta) if (el.tag !== 0x00020000) out.set(el);
  return out;
}

// ---- elements ---------------------------------------------------------------------------------------

function writeElements(sink: ByteSink, ds: Dataset, enc: Encoding, options: WriteOptions): void {
  const mode = options.groupLengths ?? 'keep';
  const elements = ds.elements();
  for (let i = 0; i < elements.length; i++) {
    const el = elements[i]!;
    if ((el.tag & 0xffff) === 0 && el.tag >>> 16 !== 0x0002) {
      if (mode === 'remove') continue;
      if (mode === 'recalculate') {
        writeElement(sink, groupLengthElement(el.tag, elements, i + 1, enc, ds), enc, ds, options);
        continue;
      }
    }
    writeElement(sink, el, enc, ds, options);
  }
}

function groupLengthElement(
  tag: Tag,
  elements: DataElement[],
  from: number,
  enc: Encoding,
  ds: Dataset,
): DataElement {
  const group = tag >>> 16;
  let len = 0;
  for (let j = from; j < elements.length && elements[j]!.tag >>> 16 === group; j++)
    len += encodedLength(elements[j]!, enc, ds);
  const b = Buffer.allocUnsafe(4);
  if (ds.littleEndian) b.writeUInt32LE(len);
  else b.writeUInt32BE(len);
  return DataElement.ofBytes(tag, 'UL', b);
}

/** The VR to put in an explicit header: UN-read sequences go back as UN; a long value in a short VR becomes UN. */
function headerVR(el: DataElement, valueLength: number): VR {
  if (el.items && el.readAsUN) return 'UN';
  if (!hasLongLength(el.vr) && valueLength > 0xffff) return 'UN';
  return el.vr;
}

function writeHeader(sink: ByteSink, tag: Tag, vr: VR, length: number, enc: Encoding): void {
  const le = enc.littleEndian;
  sink.u16(tag >>> 16, le);
  sink.u16(tag & 0xffff, le);
  if (!enc.explicitVR) {
    sink.u32(length, le);
    return;
  }
  sink.ascii2(vr);
  if (hasLongLength(vr)) {
    sink.u16(0, le);
    sink.u32(length, le);
  } else sink.u16(length, le);
}

function writeElement(
  sink: ByteSink,
  el: DataElement,
  enc: Encoding,
  owner: Dataset,
  options: WriteOptions,
): void {
  if (el.items) {
    writeSequence(sink, el, enc, options);
    return;
  }
  if (el.fragments) {
    if (!enc.encapsulated) {
      throw new DicomWriteError(
        'encapsulated (compressed) Pixel Data cannot be written in a native transfer syntax without decoding it',
        el.tag,
      );
    }
    writeHeader(sink, el.tag, el.vr, UNDEFINED, enc);
    for (const frag of el.fragments) {
      writeItemHeader(sink, ItemTag, frag.length, enc.littleEndian);
      sink.bytes(frag);
    }
    writeItemHeader(sink, SequenceDelimitationTag, 0, enc.littleEndian);
    return;
  }
  if (el.bulk)
    throw new DicomWriteError('value still in the source file: call loadBulkData() before writing', el.tag);
  const bytes = valueBytes(el, owner, enc.littleEndian);
  writeHeader(sink, el.tag, headerVR(el, bytes.length), bytes.length, enc);
  sink.bytes(bytes);
}

/** The value in the output byte order. Odd lengths that were read are kept (byte-exact); swaps are per VR. */
function valueBytes(el: DataElement, owner: Dataset, outLE: boolean): Buffer {
  const bytes = el.bytes ?? Buffer.alloc(0);
  if (owner.littleEndian === outLE) return bytes;
  const size = binaryValueSize(el.vr);
  if (size <= 1) return bytes;
  return swapBytes(bytes, size);
}

export function swapBytes(src: Buffer, size: number): Buffer {
  const out = Buffer.from(src);
  const n = out.length - (out.length % size);
  if (size === 2) out.subarray(0, n).swap16();
  else if (size === 4) out.subarray(0, n).swap32();
  else if (size === 8) out.subarray(0, n).swap64();
  return out;
}

function writeItemHeader(sink: ByteSink, tag: Tag, length: number, le: boolean): void {
  sink.u16(tag >>> 16, le);
  sink.u16(tag & 0xffff, le);
  sink.u32(length, le);
}

function writeSequence(sink: ByteSink, el: DataElement, enc: Encoding, options: WriteOptions): void {
  // A sequence read from UN (PS3.5 6.2.2) keeps its Implicit VR LE items when written as UN.
  const inner: Encoding =
    el.readAsUN && enc.explicitVR
      ? { littleEndian: true, explicitVR: false, encapsulated: enc.encapsulated }
      : enc;
  const length = el.undefinedLength ? UNDEFINED : sequenceContentLength(el, inner);
  writeHeader(sink, el.tag, headerVR(el, 0), length, enc);
  for (const item of el.items!) {
    const itemLen = item.itemUndefinedLength ? UNDEFINED : itemContentLength(item, inner);
    writeItemHeader(sink, ItemTag, itemLen, inner.littleEndian);
    writeElements(sink, item, inner, options);
    if (item.itemUndefinedLength) writeItemHeader(sink, ItemDelimitationTag, 0, inner.littleEndian);
  }
  if (el.undefinedLength) writeItemHeader(sink, SequenceDelimitationTag, 0, inner.littleEndian);
}

// ---- lengths, for defined-length sequences and items, and group lengths --------------------------------

function itemContentLength(item: Dataset, enc: Encoding): number {
  let n = 0;
  for (const el of item) n += encodedLength(el, enc, item);
  return n;
}

function sequenceContentLength(el: DataElement, inner: Encoding): number {
  let n = 0;
  for (const item of el.items!) {
    n += 8 + itemContentLength(item, inner);
    if (item.itemUndefinedLength) n += 8;
  }
  return n;
}

/** Bytes the element takes when written (header included). */
export function encodedLength(el: DataElement, enc: Encoding, _owner: Dataset): number {
  if (el.items) {
    const inner: Encoding =
      el.readAsUN && enc.explicitVR
        ? { littleEndian: true, explicitVR: false, encapsulated: enc.encapsulated }
        : enc;
    const header = enc.explicitVR ? 12 : 8;
    return header + sequenceContentLength(el, inner) + (el.undefinedLength ? 8 : 0);
  }
  if (el.fragments) {
    let n = (enc.explicitVR ? 12 : 8) + 8;
    for (const f of el.fragments) n += 8 + f.length;
    return n;
  }
  const len = el.valueLength;
  const vr = headerVR(el, len);
  const header = !enc.explicitVR ? 8 : hasLongLength(vr) ? 12 : 8;
  return header + len;
}
