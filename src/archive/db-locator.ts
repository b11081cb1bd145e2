/**
 * An ObjectLocator backed by the index: where the file of a SOP instance is, from its image row
 * (DeviceName + ObjectFile, as Conquest's GetFileName reads them).
 *
 * `ObjectLocator.find` is synchronous (the object store calls it while placing a file). With the embedded
 * SQLite driver it reads the row itself: better-sqlite3 reads synchronously, a primary-key lookup takes
 * microseconds, and with WAL a read never waits for the writer. A networked driver has no synchronous read:
 * there the archive's admit step, which every store awaits before placing the file, reads the row
 * asynchronously and hands the location over with `known()`.
 *
 * `record` keeps the path in a small map: between the moment a file is placed and the commit of its index
 * transaction the row is not yet visible, and a second copy of the same instance arriving then must still
 * replace the same file. Entries go when the map exceeds its limit (oldest first); by then they are indexed.
 */
import { resolve } from 'node:path';
import { type DbExecutor, isSyncReader, type SqlParams, type SqlRow, type SyncReader } from '../db/driver.js';
import { type DicomSchema, quoteIdentifier } from '../db/schema.js';
import { asDeviceFolders, objectFilePath } from '../storage/device-names.js';
import type { ObjectLocator } from '../storage/object-store.js';

export class IndexObjectLocator implements ObjectLocator {
  private readonly recent = new Map<string, string>();
  /** Instances the admit step found no row for, until their `find`. */
  private readonly absent = new Set<string>();
  private readonly sql: string;
  private readonly devices: string[];

  private readonly sync: SyncReader | undefined;

  constructor(
    db: DbExecutor | SyncReader,
    schema: DicomSchema,
    devices: readonly string[],
    private readonly recentLimit = 10_000,
  ) {
    const image = schema.levels.Image;
    if (!image) throw new Error('dicom.sql has no *Image* level');
    this.sync = isSyncReader(db) ? db : undefined;
    const q = (n: string) => quoteIdentifier('sqlite', n);
    this.sql = `SELECT ${q('DeviceName')} AS device, ${q('ObjectFile')} AS file FROM ${q(image.table)} WHERE ${q(image.key.column)} = ?`;
    this.devices = devices.map((d) => resolve(d));
  }

  find(sopInstanceUid: string): string | undefined {
    const r = this.recent.get(sopInstanceUid);
    if (r !== undefined) return r;
    // The admit step read the row a moment ago and found none: not read again.
    if (this.absent.delete(sopInstanceUid)) return undefined;
    if (!this.sync) return undefined;
    const row = this.sync.getSync<SqlRow>(this.sql, [sopInstanceUid] as SqlParams);
    if (!row || typeof row['file'] !== 'string' || row['file'] === '') return undefined;
    return this.devicePath(String(row['device'] ?? ''), row['file']);
  }

  /**
   * What the admit step read of an instance's row just before the object is placed: its DeviceName and
   * ObjectFile, or none (`file` ''), so that `find` need not read the same row again — and, on the
   * networked drivers, which have no synchronous read, so that it can answer at all. A "none" answers one
   * `find` only.
   */
  known(sopInstanceUid: string, device: string, file: string): void {
    if (file === '') {
      this.absent.add(sopInstanceUid);
      if (this.absent.size > this.recentLimit)
        this.absent.delete(this.absent.values().next().value as string);
      return;
    }
    const path = this.devicePath(device, file);
    if (path !== undefined) this.record(sopInstanceUid, path);
  }

  record(sopInstanceUid: string, path: string): void {
    this.recent.delete(sopInstanceUid);
    this.recent.set(sopInstanceUid, path);
    while (this.recent.size > this.recentLimit) this.recent.delete(this.recent.keys().next().value as string);
  }

  /**
   * DeviceName + relative file → absolute path; undefined for a device this server does not have. Only MAG
   * folders on purpose: a re-stored `MAGn.Archiving` instance replaces its file in MAGn, while an instance
   * whose row says JUKEBOX, CACHE or MIRROR gets a new file on a MAG device, as Conquest does.
   */
  devicePath(device: string, file: string): string | undefined {
    return objectFilePath(device, file, asDeviceFolders(this.devices));
  }
}
