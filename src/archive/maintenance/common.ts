/**
 * What the maintenance operations (tables, regen, import, delete, query) share: their error type, the
 * index they need, the level tables, MAG device paths, a folder walk and a bounded window of promises.
 */
import { type Dirent, promises as fsp } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { DbDriver } from '../../db/driver.js';
import { type DicomSchema, type LevelMapping, quoteIdentifier } from '../../db/schema.js';
import type { Logger } from '../../logging/logger.js';
import { deviceFoldersOf, fileExists, locateObjectFile, objectFilePath } from '../../storage/device-names.js';
import type { Archive } from '../archive.js';
import type { ArchiveIndexer } from '../indexer.js';

/** A maintenance operation that cannot be done as asked (no index, a file not on a device...). */
export class MaintenanceError extends Error {
  override readonly name = 'MaintenanceError';
}

/** What every maintenance operation gets besides the archive. */
export interface MaintenanceOptions {
  /** Progress, per-file problems, and a summary line. */
  log: Logger;
}

/** The index parts a maintenance operation uses. */
export interface IndexHandle {
  readonly driver: DbDriver;
  readonly schema: DicomSchema;
  readonly indexer: ArchiveIndexer;
  readonly file: string;
  readonly levels: Record<'Patient' | 'Study' | 'Series' | 'Image', LevelMapping>;
  /** Quotes an identifier for the index's dialect. */
  readonly q: (name: string) => string;
}

export function requireIndex(archive: Archive, what: string): IndexHandle {
  const { index, indexer } = archive;
  if (!index || !indexer)
    throw new MaintenanceError(`${what} needs the index database, and this server has none (NULL driver)`);
  const l = index.schema.levels;
  if (!l.Patient || !l.Study || !l.Series || !l.Image)
    throw new MaintenanceError(
      `${index.schema.file} must define the Patient, Study, Series and Image levels`,
    );
  const dialect = index.driver.dialect;
  return {
    driver: index.driver,
    schema: index.schema,
    indexer,
    file: index.file,
    levels: { Patient: l.Patient, Study: l.Study, Series: l.Series, Image: l.Image },
    q: (name) => quoteIdentifier(dialect, name),
  };
}

/** `MAG0` → its folder; MaintenanceError for a device this server does not have. */
export function deviceFolder(archive: Archive, device: string): { index: number; folder: string } {
  const m = /^MAG(\d+)$/i.exec(device.trim());
  if (!m)
    throw new MaintenanceError(
      `device '${device}': only MAG devices (MAG0, MAG1...) are in this version (no JUKEBOX or CACHE)`,
    );
  const index = Number(m[1]);
  const folder = archive.devices[index];
  if (folder === undefined)
    throw new MaintenanceError(`device ${device.trim().toUpperCase()} is not configured (MAGDevices)`);
  return { index, folder: resolve(folder) };
}

/**
 * The file of an image row (DeviceName + ObjectFile): where Conquest's FindPhysicalDevice finds it (MAG0.Archiving
 * in MAG0, JUKEBOX1.2 on the CD or in its cache...), else where the row says; undefined for a device this
 * server lacks.
 */
export function rowFile(archive: Archive, device: unknown, objectFile: unknown): string | undefined {
  if (typeof objectFile !== 'string' || objectFile === '') return undefined;
  const name = String(device ?? '').trim();
  const folders = deviceFoldersOf({ ...archive.config.server, magDevices: archive.devices });
  return locateObjectFile(name, objectFile, folders, fileExists) ?? objectFilePath(name, objectFile, folders);
}

/** Which MAG device holds an absolute path, or undefined. */
export function deviceOf(archive: Archive, path: string): number | undefined {
  const abs = resolve(path);
  for (let i = 0; i < archive.devices.length; i++) {
    const rel = relative(resolve(archive.devices[i]!), abs);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return i;
  }
  return undefined;
}

/**
 * Every regular file under `root`, depth first, as a lazy sequence (a device may hold millions of files).
 * `enterFolder` decides which subfolders are walked. Folders that cannot be read are reported and skipped.
 */
export async function* walkFiles(
  root: string,
  enterFolder: (name: string, path: string) => boolean,
  log: Logger,
): AsyncGenerator<string> {
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (e) {
      log.warn(`cannot read folder ${dir}: ${(e as Error).message}`);
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    const folders: string[] = [];
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (enterFolder(e.name, path)) folders.push(path);
      } else if (e.isFile()) yield path;
    }
    // Reverse-sorted and pushed: folders come off the stack in name order, after this folder's files.
    stack.push(...folders);
  }
}

/**
 * At most `size` tasks in flight: `add` waits while the window is full, `drain` waits for all. Tasks must
 * handle their own errors (a rejection here would be a bug, and is rethrown by drain).
 */
export class TaskWindow {
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly size: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    const p: Promise<void> = task().then(
      () => {
        this.running.delete(p);
      },
      (e: unknown) => {
        this.running.delete(p);
        this.failure ??= e;
      },
    );
    this.running.add(p);
    if (this.running.size >= this.size) await Promise.race(this.running);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
    if (this.failure !== undefined) throw this.failure;
  }
}

/** Calls `report` every `everyMs` until stopped (the timer never keeps the process alive). */
export function every(everyMs: number, report: () => void): { stop(): void } {
  const t = setInterval(report, everyMs);
  t.unref();
  return { stop: () => clearInterval(t) };
}

/** The error's message, for a log line. */
export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
