/**
 * Ways to feed the parser: a whole Buffer, a file read window by window (never the whole file when a bulk
 * threshold or an early stop is given), or chunks pushed as they arrive (streams, the network).
 *
 * Deflated data sets (PS3.5 A.5) are inflated whole: they are rare and small in practice, and zlib has no
 * synchronous incremental API; the compressed part is held while reading.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import type { Dataset } from './dataset.js';
import { DicomParseError } from './errors.js';
import { type DicomFile, DicomParser, type ParseStep, type ReadOptions } from './parser.js';

export type { DicomFile, ReadOptions } from './parser.js';

/** Reads a Part 10 file or raw data set held in memory. Values are views of `buffer`: nothing is copied. */
export function parseDicom(buffer: Buffer, options: ReadOptions = {}): DicomFile {
  const parser = new DicomParser(options, buffer.length);
  const step = parser.run(buffer, 0, true);
  if (step.kind === 'inflate') {
    const inflated = inflate(buffer.subarray(step.from), step.from);
    parser.beginInflated(inflated.length);
    expectDone(parser.run(inflated, 0, true), parser);
  } else expectDone(step, parser);
  return parser.file;
}

function expectDone(step: ParseStep, parser: DicomParser): void {
  if (step.kind !== 'done')
    throw new DicomParseError('parser stopped before the end of the input', parser.pos);
}

function inflate(compressed: Buffer, offset: number): Buffer {
  try {
    return inflateRawSync(compressed);
  } catch (e) {
    throw new DicomParseError(`deflated data set cannot be inflated: ${(e as Error).message}`, offset);
  }
}

const WINDOW = 256 * 1024;

/** Reads a file synchronously, window by window; values over options.bulkDataThreshold stay in the file. */
export function readDicomFileSync(path: string, options: ReadOptions = {}): DicomFile {
  const fd = openSync(path, 'r');
  try {
    return drive(
      path,
      options,
      (pos, len) => {
        const buf = Buffer.allocUnsafe(len);
        const n = readSync(fd, buf, 0, len, pos);
        return n === len ? buf : buf.subarray(0, n);
      },
      fstatSync(fd).size,
    );
  } finally {
    closeSync(fd);
  }
}

/** Reads a file, window by window; values over options.bulkDataThreshold stay in the file. */
export async function readDicomFile(path: string, options: ReadOptions = {}): Promise<DicomFile> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const parser = new DicomParser(options, size, path);
    let start = 0;
    let window: Buffer = Buffer.alloc(0);
    for (;;) {
      const step = parser.run(window, start, start + window.length >= size);
      if (step.kind === 'done') return parser.file;
      if (step.kind === 'inflate') {
        const rest = Buffer.allocUnsafe(size - step.from);
        await handle.read(rest, 0, rest.length, step.from);
        const inflated = inflate(rest, step.from);
        parser.beginInflated(inflated.length);
        expectDone(parser.run(inflated, 0, true), parser);
        return parser.file;
      }
      start = parser.pos;
      const len = Math.min(size - start, Math.max(WINDOW, step.until - start));
      window = Buffer.allocUnsafe(len);
      const { bytesRead } = await handle.read(window, 0, len, start);
      if (bytesRead < len) window = window.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** The synchronous window loop shared by file reads: read(pos, len) returns the bytes at pos. */
function drive(
  path: string,
  options: ReadOptions,
  read: (pos: number, len: number) => Buffer,
  size: number,
): DicomFile {
  const parser = new DicomParser(options, size, path);
  let start = 0;
  let window: Buffer = Buffer.alloc(0);
  for (;;) {
    const step = parser.run(window, start, start + window.length >= size);
    if (step.kind === 'done') return parser.file;
    if (step.kind === 'inflate') {
      const inflated = inflate(read(step.from, size - step.from), step.from);
      parser.beginInflated(inflated.length);
      expectDone(parser.run(inflated, 0, true), parser);
      return parser.file;
    }
    start = parser.pos;
    window = read(start, Math.min(size - start, Math.max(WINDOW, step.until - start)));
  }
}

/**
 * Push reader: give it chunks as they arrive (push), then end(). Chunks are collected in a list and joined
 * once enough bytes for the next element are there, so a large value is copied once, not per chunk. With
 * stopBeforeTag/untilTag the reader reports done as soon as the header is read; later chunks are ignored.
 */
export class DicomStreamReader {
  private readonly parser: DicomParser;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Absolute offset of chunks[0][0]. */
  private start = 0;
  private need = 0;
  private deflatedFrom = -1;
  private finished = false;

  constructor(options: ReadOptions = {}) {
    this.parser = new DicomParser({ ...options, bulkDataThreshold: undefined });
  }

  /** True once the parser has all it wants (end of data set, or the early stop). */
  get done(): boolean {
    return this.parser.done;
  }

  push(chunk: Buffer): void {
    if (this.parser.done || this.finished) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.deflatedFrom >= 0) return;
    if (this.start + this.buffered >= this.need) this.step(false);
  }

  /** No more data: finishes the parse (or throws DicomParseError) and returns the file. */
  end(): DicomFile {
    this.finished = true;
    if (this.deflatedFrom >= 0) {
      const all = Buffer.concat(this.chunks, this.buffered);
      const inflated = inflate(all.subarray(this.deflatedFrom - this.start), this.deflatedFrom);
      this.parser.beginInflated(inflated.length);
      expectDone(this.parser.run(inflated, 0, true), this.parser);
      return this.parser.file;
    }
    if (!this.parser.done) this.step(true);
    return this.parser.file;
  }

  private step(final: boolean): void {
    const window = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const step = this.parser.run(window, this.start, final);
    if (step.kind === 'done') {
      this.chunks = [];
      this.buffered = 0;
      return;
    }
    if (step.kind === 'inflate') {
      this.deflatedFrom = step.from;
      this.chunks = [window];
      return;
    }
    // Keep only the unread tail.
    const consumed = this.parser.pos - this.start;
    const tail = window.subarray(consumed);
    this.chunks = tail.length ? [tail] : [];
    this.buffered = tail.length;
    this.start = this.parser.pos;
    this.need = step.until;
  }
}

/** Loads every value a read left in the file (BulkDataRef) into memory, so the data set can be written. */
export function loadBulkData(ds: Dataset): void {
  const fds = new Map<string, number>();
  try {
    const visit = (d: Dataset): void => {
      for (const el of d) {
        if (el.items) for (const item of el.items) visit(item);
        const ref = el.bulk;
        if (!ref?.path) continue;
        let fd = fds.get(ref.path);
        if (fd === undefined) {
          fd = openSync(ref.path, 'r');
          fds.set(ref.path, fd);
        }
        const buf = Buffer.allocUnsafe(ref.length);
        const n = readSync(fd, buf, 0, ref.length, ref.offset);
        if (n !== ref.length)
          throw new DicomParseError(
            `bulk data of ${ref.length} bytes is no longer in ${ref.path}`,
            ref.offset,
            el.tag,
          );
        el.bytes = buf;
        el.bulk = undefined;
      }
    };
    visit(ds);
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}
