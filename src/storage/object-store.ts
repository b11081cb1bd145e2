/**
 * Writing received objects to a MAG device, crash-safe: the bytes go to a temporary file in the device's
 * `.incoming` folder (same file system), which is fsynced and renamed into place only when complete, so a
 * partial object is never visible under its final name and a replaced object is swapped atomically.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Dataset } from '../dicom/dataset.js';
import type { Logger } from '../logging/logger.js';
import { objectFileName } from './file-names.js';

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
  fileNameSyntax: string;
  /** MAGDeviceFullThreshHold: a device with fewer free MB is not written to. */
  fullThresholdMB: number;
  locator: ObjectLocator;
  log: Logger;
}

const BATCH = 256 * 1024;

/** One object being written: add() its bytes as they arrive, then commit() or discard(). */
export class ObjectWriter {
  private batch: Buffer[] = [];
  private batched = 0;
  private written = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ObjectStore,
    private readonly handle: FileHandle,
    readonly tempPath: string,
    readonly device: string,
  ) {}

  get bytesWritten(): number {
    return this.written + this.batched;
  }

  /** Queues bytes; resolves at once unless a batch is being written (back-pressure for the sender). */
  add(chunk: Buffer): Promise<void> {
    this.batch.push(chunk);
    this.batched += chunk.length;
    if (this.batched < BATCH) return Promise.resolve();
    return this.flush();
  }

  private flush(): Promise<void> {
    if (this.batched === 0) return this.chain;
    const parts = this.batch;
    const n = this.batched;
    this.batch = [];
    this.batched = 0;
    this.chain = this.chain.then(async () => {
      await writeAll(this.handle, parts);
      this.written += n;
    });
    return this.chain;
  }

  /** Makes the object durable under its final name (derived from the header) and returns that path. */
  async commit(header: Dataset, sopInstanceUid: string): Promise<string> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
    return this.store.place(this, header, sopInstanceUid);
  }

  async discard(): Promise<void> {
    try {
      await this.chain;
    } catch {
      // the write that failed is why we discard
    }
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

async function writeAll(handle: FileHandle, parts: Buffer[]): Promise<void> {
  let list = parts;
  while (list.length) {
    const { bytesWritten } = await handle.writev(list);
    let left = bytesWritten;
    let i = 0;
    while (i < list.length && left >= list[i]!.length) left -= list[i++]!.length;
    list = list.slice(i);
    if (list.length && left > 0) list[0] = list[0]!.subarray(left);
  }
}

export class ObjectStore {
  private counter = 0;
  private freeCheckedAt = 0;
  private freeMB = Number.POSITIVE_INFINITY;

  constructor(private readonly options: ObjectStoreOptions) {
    for (const d of options.devices) {
      mkdirSync(join(d, '.incoming'), { recursive: true });
      // Temporary files left by a crash are incomplete objects: remove them.
      for (const f of readdirSync(join(d, '.incoming'))) rmSync(join(d, '.incoming', f), { force: true });
    }
  }

  /** Opens a temporary file on the device with the most free space; writes `head` (e.g. preamble and meta) first. */
  async begin(head: Buffer): Promise<ObjectWriter> {
    const device = this.pickDevice();
    const tempPath = join(device, '.incoming', `${process.pid}-${randomBytes(8).toString('hex')}.part`);
    const handle = await open(tempPath, 'wx');
    const writer = new ObjectWriter(this, handle, tempPath, device);
    await writer.add(head);
    return writer;
  }

  private pickDevice(): string {
    const devices = this.options.devices;
    if (devices.length === 0) throw new StorageFullError('no MAG device configured');
    const now = Date.now();
    if (now - this.freeCheckedAt > 2000) {
      this.freeCheckedAt = now;
      try {
        const st = statfsSync(devices[0]!);
        this.freeMB = (st.bavail * st.bsize) / (1 << 20);
      } catch {
        this.freeMB = Number.POSITIVE_INFINITY;
      }
    }
    if (this.freeMB < this.options.fullThresholdMB) {
      throw new StorageFullError(
        `MAG0 has ${this.freeMB.toFixed(0)} MB free, below MAGDeviceFullThreshHold (${this.options.fullThresholdMB} MB)`,
      );
    }
    return devices[0]!;
  }

  /** Renames a completed temporary file to its final place (replacing an earlier copy of the same instance). */
  async place(writer: ObjectWriter, header: Dataset, sopInstanceUid: string): Promise<string> {
    const existing = this.options.locator.find(sopInstanceUid);
    let target: string;
    if (existing) target = existing;
    else {
      const rel = objectFileName(this.options.fileNameSyntax, header, {
        time: Math.floor(Date.now() / 1000),
        counter: this.counter++,
      });
      target = resolve(writer.device, rel);
      // Defence in depth: file-names.ts already cleans every component.
      if (relative(resolve(writer.device), target).startsWith(`..${sep}`))
        throw new Error(`file name ${rel} leaves the device`);
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(writer.tempPath, target);
    this.options.locator.record(sopInstanceUid, target);
    if (existing) this.options.log.info(`replaced ${target} (same SOP Instance UID ${sopInstanceUid})`);
    return target;
  }
}
