/**
 * Writing received objects to a MAG device, crash-safe: the bytes go to a temporary file in the device's
 * `.incoming` folder (same file system), which is fsynced and renamed into place only when complete, so a
 * partial object is never visible under its final name and a replaced object is swapped atomically.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  ftruncateSync,
  linkSync,
  mkdirSync,
  open,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  unlinkSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Dataset } from '../dicom/dataset.js';
import { parseDicom } from '../dicom/reader.js';
import { ImplicitVRLittleEndian } from '../dicom/transfer-syntax.js';
import { writeDatasetParts } from '../dicom/writer.js';
import type { Logger } from '../logging/logger.js';
import { fileFormatOfName, objectFile } from './file-names.js';
import type { PlacementJournal } from './placement-journal.js';
import { leftByDeadProcess, OWNER_TAG } from './process-owner.js';

/** Where a committed object went, and whether it replaced an earlier copy of the same instance. */
export interface PlacedObject {
  path: string;
  replaced: boolean;
  /**
   * Call once the object's index row has committed, or the object was refused and its file removed: until
   * then the placement journal keeps it, to be re-indexed after a crash.
   */
  settle(): void;
}

/** What names a file beyond its header: the association and the syntax it was received in. */
export interface NamingContext {
  transferSyntaxUid: string;
  callingAE: string;
  calledAE: string;
}

/** Where existing objects are, by SOP Instance UID (the index does this from the archive issue on). */
export interface ObjectLocator {
  find(sopInstanceUid: string): string | undefined;
  record(sopInstanceUid: string, path: string): void;
}

/** An ObjectLocator for this process's lifetime: duplicates received while the server runs replace the earlier file. */
export class MemoryObjectLocator implements ObjectLocator {
  private readonly paths = new Map<string, string>();

  find(uid: string): string | undefined {
    return this.paths.get(uid);
  }

  record(uid: string, path: string): void {
    this.paths.set(uid, path);
  }
}

export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
}

export interface ObjectStoreOptions {
  /** MAGDevice0..N folders. */
  devices: readonly string[];
  /** FileNameSyntax (manual 7.2): 0-12, a `%` template; `lua:` needs the scripting layer. */
  fileNameSyntax: string;
  /** MaxFileNameLength (default 255). */
  maxFileNameLength?: number;
  /** MAGDeviceFullThreshHold: a device with fewer free MB is not written to. */
  fullThresholdMB: number;
  /**
   * Flush each object to disk (fdatasync) before it is reported stored (default). Off, a crash may lose
   * objects already acknowledged, as with Conquest and DCMTK's storescp, which never flush.
   */
  durable?: boolean;
  locator: ObjectLocator;
  log: Logger;
  /**
   * Remove temporary files a crash left in the devices' `.incoming` folders (default true). Only the
   * server may: a dgate command running beside it would delete objects the server is receiving.
   */
  removeStaleTemporaries?: boolean;
  /** Journal of placed files not yet indexed (placement-journal.ts); none without an index. */
  journal?: PlacementJournal;
}

const BATCH = 256 * 1024;
const SPARE_FILES = 4;
/** New names tried when the ones made are taken (each with the next counter). */
const NAME_ATTEMPTS = 64;
/** link(2) errors that mean the file system has no hard links (not that the name is taken). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * One object being written: add() its bytes as they arrive, then commit() or discard().
 *
 * Why synchronous calls: open, write, close and rename of a temporary file hit the page cache and take
 * microseconds, while each trip to libuv's thread pool costs a few hundred microseconds on these machines —
 * the per-object latency that bounds a single association. Writes go out in batches of BATCH bytes (a
 * quarter of a millisecond at most); only fdatasync, which waits for the disk, runs in the thread pool.
 */
export class ObjectWriter {
  private batch: Buffer[] = [];
  private batched = 0;
  private written = 0;
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly fd: number,
    readonly tempPath: string,
    readonly device: string,
  ) {}

  get bytesWritten(): number {
    return this.written + this.batched;
  }

  /** Queues bytes, writing a batch when it is full. */
  add(chunk: Buffer): void {
    this.batch.push(chunk);
    this.batched += chunk.length;
    if (this.batched >= BATCH) this.flush();
  }

  private flush(): void {
    if (this.batched === 0) return;
    writeAll(this.fd, this.batch);
    this.written += this.batched;
    this.batch = [];
    this.batched = 0;
  }

  /** Makes the object durable under its final name (derived from the header) and returns that path. */
  async commit(header: Dataset, sopInstanceUid: string, naming: NamingContext): Promise<PlacedObject> {
    this.flush();
    // fdatasync: the data and what is needed to read it back (the size), not the timestamps.
    if (this.store.durable)
      await new Promise<void>((resolve, reject) => fdatasync(this.fd, (e) => (e ? reject(e) : resolve())));
    this.close();
    return this.store.place(this, header, sopInstanceUid, naming);
  }

  /** Everything written so far (the batch flushed first). */
  contents(): Buffer {
    this.flush();
    return readFileSync(this.tempPath);
  }

  /**
   * Replaces everything written so far (the object was recompressed before it is placed, as
   * IncomingCompression asks). Positional writes: nothing is written after this but the commit.
   */
  rewrite(parts: readonly Buffer[]): void {
    this.batch = [];
    this.batched = 0;
    ftruncateSync(this.fd, 0);
    let position = 0;
    for (const part of parts) {
      for (let at = 0; at < part.length; ) {
        const n = writeSync(this.fd, part, at, part.length - at, position);
        at += n;
        position += n;
      }
    }
    this.written = position;
  }

  discard(): void {
    this.batch = [];
    this.batched = 0;
    this.close();
    rmSync(this.tempPath, { force: true });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function writeAll(fd: number, parts: Buffer[]): void {
  let list = parts;
  while (list.length) {
    let n = writevSync(fd, list);
    let i = 0;
    while (i < list.length && n >= list[i]!.length) n -= list[i++]!.length;
    list = list.slice(i);
    if (list.length && n > 0) list[0] = list[0]!.subarray(n);
  }
}

export class ObjectStore {
  // Started at a random value: servers sharing a device then rarely meet on a name (and never overwrite).
  private counter = Math.floor(Math.random() * 0x10000);
  /** The devices' file system refused a hard link once: rename with a check from then on. */
  private noHardLinks = false;
  /** Folders known to exist, so that a store does not ask the file system each time. */
  private readonly knownDirs = new Set<string>();
  private readonly spare: { fd: number; path: string; device: string }[] = [];
  private refilling = false;
  private closed = false;
  readonly durable: boolean;
  private freeCheckedAt = 0;
  /** Free MB per device, as last read. */
  private freeMB: number[] = [];

  constructor(private readonly options: ObjectStoreOptions) {
    this.durable = options.durable ?? true;
    for (const d of options.devices) {
      mkdirSync(join(d, '.incoming'), { recursive: true });
      if (options.removeStaleTemporaries === false) continue;
      // Temporary files left by a crash are incomplete objects: remove them (only those of dead processes:
      // a server running beside this one may be receiving into the same folder).
      for (const f of readdirSync(join(d, '.incoming')))
        if (leftByDeadProcess(f, '')) rmSync(join(d, '.incoming', f), { force: true });
    }
  }

  /** Opens a temporary file on the device to write to; `head` (e.g. preamble and meta) goes first. */
  begin(head: Buffer): ObjectWriter {
    const device = this.pickDevice();
    const ready = this.spare.pop();
    this.refill(device);
    let writer: ObjectWriter;
    if (ready && ready.device === device) writer = new ObjectWriter(this, ready.fd, ready.path, device);
    else {
      if (ready) {
        closeSync(ready.fd);
        rmSync(ready.path, { force: true });
      }
      const path = this.tempName(device);
      writer = new ObjectWriter(this, openSync(path, 'wx'), path, device);
    }
    writer.add(head);
    return writer;
  }

  private tempName(device: string): string {
    return join(device, '.incoming', `${OWNER_TAG}-${randomBytes(8).toString('hex')}.part`);
  }

  /**
   * Creating a file costs more than half a millisecond on these file systems, most of a small object's
   * store time: a few temporary files are kept created and open ahead, off the request's path.
   */
  private refill(device: string): void {
    if (this.refilling || this.spare.length >= SPARE_FILES || this.closed) return;
    this.refilling = true;
    const path = this.tempName(device);
    open(path, 'wx', (err, fd) => {
      this.refilling = false;
      if (err) return;
      if (this.closed) {
        closeSync(fd);
        rmSync(path, { force: true });
        return;
      }
      this.spare.push({ fd, path, device });
      this.refill(device);
    });
  }

  /**
   * Conquest's `.v2` files are the raw data set in Implicit VR Little Endian, without preamble or meta: the
   * Part 10 temporary file is converted in place (file-names.ts only gives `.v2` for native syntaxes).
   */
  private rewriteAsV2(tempPath: string): void {
    const file = parseDicom(readFileSync(tempPath));
    const parts = writeDatasetParts(file.dataset, ImplicitVRLittleEndian);
    const fd = openSync(tempPath, 'w');
    try {
      writeAll(fd, parts);
      if (this.durable) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Removes the spare temporary files (at shutdown). */
  close(): void {
    this.closed = true;
    this.options.journal?.close();
    for (const s of this.spare.splice(0)) {
      closeSync(s.fd);
      rmSync(s.path, { force: true });
    }
  }

  /**
   * The MAG device with the most free space, as Conquest's MaxMagDevice (free space is read at most every
   * 2 s); StorageFullError when even that one is below MAGDeviceFullThreshHold.
   */
  private pickDevice(): string {
    const devices = this.options.devices;
    if (devices.length === 0) throw new StorageFullError('no MAG device configured');
    const now = Date.now();
    if (now - this.freeCheckedAt > 2000) {
      this.freeCheckedAt = now;
      this.freeMB = devices.map((d) => {
        try {
          const st = statfsSync(d);
          return (st.bavail * st.bsize) / (1 << 20);
        } catch {
          return Number.NEGATIVE_INFINITY; // an unreachable device is never chosen
        }
      });
    }
    let best = 0;
    for (let k = 1; k < devices.length; k++) if (this.freeMB[k]! > this.freeMB[best]!) best = k;
    if (this.freeMB[best]! < this.options.fullThresholdMB) {
      throw new StorageFullError(
        `MAG${best} has ${this.freeMB[best]!.toFixed(0)} MB free, below MAGDeviceFullThreshHold (${this.options.fullThresholdMB} MB)`,
      );
    }
    return devices[best]!;
  }

  /**
   * Moves a completed temporary file to its final place. An earlier copy of the same instance (the locator
   * knows its file) is replaced by a rename. A new object never takes a name that is already there: the
   * file is linked in (which fails atomically when the name exists) and the name made again with the next
   * counter until one is free. Servers sharing a MAG device make the same names in the same second
   * (Conquest's time + counter), and a rename would silently put one object over another.
   */
  place(writer: ObjectWriter, header: Dataset, sopInstanceUid: string, naming: NamingContext): PlacedObject {
    const existing = this.options.locator.find(sopInstanceUid);
    const format = existing ? fileFormatOfName(existing) : undefined;
    let target = existing ?? this.newName(writer, header, naming).path;
    if ((format ?? fileFormatOfName(target)) === 'v2') this.rewriteAsV2(writer.tempPath);
    let entry: ReturnType<PlacementJournal['record']> | undefined;
    for (let attempt = 0; ; attempt++) {
      this.ensureFolder(dirname(target));
      entry = this.options.journal?.record(target);
      try {
        if (existing) this.renameInto(writer.tempPath, target);
        else this.linkInto(writer.tempPath, target);
        break;
      } catch (e) {
        entry?.settle();
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= NAME_ATTEMPTS) throw e;
        target = this.newName(writer, header, naming).path;
      }
    }
    this.options.locator.record(sopInstanceUid, target);
    if (existing) this.options.log.info(`replaced ${target} (same SOP Instance UID ${sopInstanceUid})`);
    const settled = entry;
    return { path: target, replaced: existing !== undefined, settle: () => settled?.settle() };
  }

  /** A new file name on the writer's device, from FileNameSyntax and the next counter. */
  private newName(writer: ObjectWriter, header: Dataset, naming: NamingContext): { path: string } {
    const file = objectFile(
      this.options.fileNameSyntax,
      header,
      { time: Math.floor(Date.now() / 1000), counter: this.counter++, ...naming },
      { maxFileNameLength: this.options.maxFileNameLength ?? 255 },
    );
    const path = resolve(writer.device, file.name);
    // Defence in depth: file-names.ts already cleans every component.
    if (relative(resolve(writer.device), path).startsWith(`..${sep}`))
      throw new Error(`file name ${file.name} leaves the device`);
    return { path };
  }

  private ensureFolder(folder: string): void {
    if (this.knownDirs.has(folder)) return;
    mkdirSync(folder, { recursive: true });
    this.knownDirs.add(folder);
  }

  /** rename(2), making the folder again once if it was removed behind our back (a delete, a cleanup). */
  private renameInto(from: string, to: string): void {
    try {
      renameSync(from, to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dirname(to), { recursive: true });
      renameSync(from, to);
    }
  }

  /**
   * link(2) then unlink of the temporary name: EEXIST when the name is taken, nothing replaced. A device
   * whose file system has no hard links (some network shares, FAT) gets a check for the name and a rename
   * instead: as safe within one server, with the small window between servers that such shares have anyway.
   */
  private linkInto(from: string, to: string): void {
    if (!this.noHardLinks) {
      try {
        this.link(from, to);
        unlinkSync(from);
        return;
      } catch (e) {
        if (!NO_HARD_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        this.noHardLinks = true;
        this.options.log.warn(
          `MAG device without hard links (${(e as Error).message}): new files are renamed into place`,
        );
      }
    }
    if (existsSync(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
    this.renameInto(from, to);
  }

  /** Protected so that a test can play a file system without hard links. */
  protected link(from: string, to: string): void {
    try {
      linkSync(from, to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dirname(to), { recursive: true });
      linkSync(from, to);
    }
  }
}
