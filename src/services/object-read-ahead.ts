/**
 * Reading stored objects ahead of their C-STORE sub-operations (Conquest's EnableReadAheadThread). The next
 * objects are read while the receiver is still taking in and answering the current one (the caller calls
 * prefetch() once a request has gone out), so that reading overlaps the wait for the response.
 *
 * Reads are synchronous, into a few reused buffers, on purpose: measured on these machines, each trip to
 * libuv's thread pool (open, fstat, read, close) costs the event loop 60-110 µs, more than reading a 512 KB
 * image from the page cache; and a fresh buffer per object costs page faults and garbage collection that
 * take longer than the read. An object larger than a pool buffer is not read: the caller streams it.
 *
 * A buffer is lent for one sub-operation and given back (release) only once the receiver has answered: by
 * then every byte has left this process, so it can be overwritten.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseDicom } from '../dicom/reader.js';
import { STORABLE_HEADER_END, type StorableFile, storableFileOf } from '../net/client.js';

export interface ReadObject {
  /** The file's bytes; undefined when it is larger than a pool buffer (stream it instead). */
  readonly bytes: Buffer | undefined;
  /** SOP class/instance, syntax and data set offset, parsed from the bytes (undefined when not read). */
  readonly file: StorableFile | undefined;
  /** Gives the buffer back to the pool. */
  release(): void;
}

type Loaded = { ok: true; object: ReadObject } | { ok: false; error: Error };

const DEFAULT_BUFFER = 4 << 20;

/**
 * Buffers kept between retrieves (a C-MOVE of a 50-image study must not allocate, and make the garbage
 * collector reclaim, 24 MB of fresh buffers each time). Shared by all retrieves; at most POOL_LIMIT kept.
 */
const pool: Buffer[] = [];
const POOL_LIMIT = 16;

function takeBuffer(size: number): Buffer {
  const i = pool.findIndex((b) => b.length === size);
  return i >= 0 ? pool.splice(i, 1)[0]! : Buffer.allocUnsafe(size);
}

function keepBuffer(b: Buffer): void {
  if (pool.length < POOL_LIMIT) pool.push(b);
}

export class ObjectReadAhead {
  private readonly free: Buffer[] = [];
  private readonly loaded = new Map<number, Loaded>();

  /**
   * @param paths the files, in sending order
   * @param depth how many objects may be read ahead of the one being sent (0: each when needed)
   */
  constructor(
    private readonly paths: readonly string[],
    private readonly depth: number,
    private readonly bufferSize = DEFAULT_BUFFER,
  ) {}

  /** Gives this reader's buffers back to the shared pool (when the retrieve is over). */
  close(): void {
    for (const b of this.free.splice(0)) keepBuffer(b);
  }

  /** The object at `index`: read ahead already, or read now. Throws when it cannot be read. */
  get(index: number): ReadObject {
    const loaded = this.loaded.get(index) ?? this.load(index);
    this.loaded.delete(index);
    if (!loaded.ok) throw loaded.error;
    return loaded.object;
  }

  /** Reads the objects after `index` that are not read yet, up to the read-ahead depth. */
  prefetch(index: number): void {
    const last = Math.min(index + this.depth, this.paths.length - 1);
    for (let i = index + 1; i <= last; i++) if (!this.loaded.has(i)) this.loaded.set(i, this.load(i));
  }

  private load(index: number): Loaded {
    const path = this.paths[index]!;
    const buffer = this.free.pop() ?? takeBuffer(this.bufferSize);
    let lent = true;
    const release = (): void => {
      if (!lent) return;
      lent = false;
      // Keep no more buffers than can be in use at once; the others go back to the shared pool.
      if (this.free.length <= this.depth) this.free.push(buffer);
      else keepBuffer(buffer);
    };
    try {
      const size = readInto(path, buffer);
      if (size === undefined) {
        release();
        return { ok: true, object: { bytes: undefined, file: undefined, release } };
      }
      const bytes = buffer.subarray(0, size);
      return { ok: true, object: { bytes, file: describeBytes(path, bytes), release } };
    } catch (e) {
      release();
      return { ok: false, error: e as Error };
    }
  }
}

/** The header fields a C-STORE needs, from a file's bytes. */
export function describeBytes(path: string, bytes: Buffer): StorableFile {
  return storableFileOf(path, parseDicom(bytes, { stopBeforeTag: STORABLE_HEADER_END }));
}

/** Reads a whole file into `buffer`; undefined when it does not fit. */
function readInto(path: string, buffer: Buffer): number | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > buffer.length) return undefined;
    let at = 0;
    while (at < size) {
      const n = readSync(fd, buffer, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at;
  } finally {
    closeSync(fd);
  }
}
