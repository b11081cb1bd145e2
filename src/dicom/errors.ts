import { formatTag, type Tag } from './tag.js';

/**
 * The one error the reader throws for malformed input: it names what is wrong, the byte offset in the
 * input (for deflated data, the offset in the inflated stream) and, where known, the element's tag.
 */
export class DicomParseError extends Error {
  override readonly name = 'DicomParseError';
  constructor(
    message: string,
    readonly offset: number,
    readonly tag?: Tag,
  ) {
    super(`${message} (at byte ${offset}${tag === undefined ? '' : `, element ${formatTag(tag)}`})`);
  }
}

/** A dataset cannot be written as asked (e.g. encapsulated pixel data into a native syntax). */
export class DicomWriteError extends Error {
  override readonly name = 'DicomWriteError';
  constructor(
    message: string,
    readonly tag?: Tag,
  ) {
    super(tag === undefined ? message : `${message} (element ${formatTag(tag)})`);
  }
}

/** A value cannot be encoded or decoded for its VR (e.g. text in a US element). */
export class DicomValueError extends Error {
  override readonly name = 'DicomValueError';
  constructor(
    message: string,
    readonly tag?: Tag,
  ) {
    super(tag === undefined ? message : `${message} (element ${formatTag(tag)})`);
  }
}
