/**
 * Regeneration of the index from the files on the MAG devices (Conquest's regen.cpp):
 *   --regen:                 empty the patient/study/series/image tables, then enter every device;
 *   --regendevice:MAGn       enter one device (adds and updates; nothing is removed);
 *   --regendir:MAGn,dir      enter one folder of a device;
 *   --regenfile:file         enter one file (it must be on a MAG device).
 *
 * As Conquest, folders named INCOMING, PRINTER_FILES and BIN are not entered (nor, here, any folder whose
 * name starts with a dot: `.incoming` holds half-received objects); files are read when they end in `.dcm`,
 * `.img` (Part 10) or `.v2` (raw Implicit VR Little Endian, detected by the reader) or have no short
 * extension; other files are skipped quietly and counted. The index database's own files are skipped when
 * they live on a device (the default ./data/dbase/ is inside MAG0 ./data/).
 *
 * Each file's header is read up to Pixel Data and handed to the single index writer; up to WINDOW files are
 * in flight at once, so that the writer commits them in large transactions (group commit). An unreadable
 * file, or one the index refuses, is reported with the reason and the walk goes on.
 */
import { basename, extname, relative, resolve, sep } from 'node:path';
import { readDicomFile } from '../../dicom/reader.js';
import type { Archive } from '../archive.js';
import {
  deviceFolder,
  deviceOf,
  every,
  type IndexHandle,
  MaintenanceError,
  type MaintenanceOptions,
  reason,
  requireIndex,
  TaskWindow,
  walkFiles,
} from './common.js';

const PIXEL_DATA = 0x7fe00010;
const WINDOW = 256;
const SKIPPED_FOLDERS = new Set(['incoming', 'printer_files', 'bin']);

export interface RegenOptions extends MaintenanceOptions {
  /** How often progress is logged (default 2000 ms). */
  progressEveryMs?: number;
}

export interface RegenResult {
  /** Files looked at. */
  files: number;
  indexed: number;
  /** Not DICOM by their name, or the database's own files. */
  skipped: number;
  /** Unreadable, or refused by the index. */
  failed: number;
}

/** The summary line Conquest TS prints and logs. */
export function regenSummary(r: RegenResult): string {
  return `regen: ${r.files} files, ${r.indexed} indexed, ${r.skipped} skipped, ${r.failed} failed`;
}

/** --regen: empties the four level tables, then enters every MAG device. */
export async function regenAll(archive: Archive, options: RegenOptions): Promise<RegenResult> {
  const ix = requireIndex(archive, '--regen');
  await emptyLevelTables(ix);
  const run = new RegenRun(archive, ix, options);
  return run.walk(archive.devices.map((d) => resolve(d)));
}

/** --regendevice:MAGn. */
export async function regenDevice(
  archive: Archive,
  device: string,
  options: RegenOptions,
): Promise<RegenResult> {
  const ix = requireIndex(archive, '--regendevice');
  const { folder } = deviceFolder(archive, device);
  return new RegenRun(archive, ix, options).walk([folder]);
}

/** --regendir:MAGn,dir: `dir` is a folder of the device, relative to it (as Conquest's SubDir). */
export async function regenDir(
  archive: Archive,
  device: string,
  dir: string,
  options: RegenOptions,
): Promise<RegenResult> {
  const ix = requireIndex(archive, '--regendir');
  const { folder } = deviceFolder(archive, device);
  const target = resolve(folder, dir);
  const rel = relative(folder, target);
  if (rel.startsWith('..') || resolve(folder, rel) !== target)
    throw new MaintenanceError(`--regendir: ${dir} is not a folder of ${device}`);
  return new RegenRun(archive, ix, options).walk([target]);
}

/** --regenfile:file: enters (or updates) one file; throws when it cannot be read or indexed. */
export async function regenFile(
  archive: Archive,
  file: string,
  options: MaintenanceOptions,
): Promise<RegenResult> {
  const ix = requireIndex(archive, '--regenfile');
  const path = resolve(file);
  if (deviceOf(archive, path) === undefined)
    throw new MaintenanceError(`${path}: the file to enter is not on a MAG device`);
  const header = await readHeader(path);
  await ix.indexer.index({ header, path });
  options.log.info(`[Regen] ${path} -SUCCESS`);
  return { files: 1, indexed: 1, skipped: 0, failed: 0 };
}

/** Conquest's first step of a full regen: the level tables are emptied (the worklist is not: it cannot be regenerated). */
async function emptyLevelTables(ix: IndexHandle): Promise<void> {
  await ix.driver.transaction(async (tx) => {
    for (const level of ['Image', 'Series', 'Study', 'Patient'] as const)
      await tx.run(`DELETE FROM ${ix.q(ix.levels[level].table)}`);
    ix.indexer.clearCache();
  });
  ix.indexer.clearCache();
}

async function readHeader(path: string) {
  return (await readDicomFile(path, { stopBeforeTag: PIXEL_DATA })).dataset;
}

/** Conquest's rule: .v2, .dcm, .img, or no '.' in the last four characters of the name. */
export function looksLikeDicomFile(name: string): boolean {
  if (name.startsWith('.')) return false;
  const ext = extname(name).toLowerCase();
  if (ext === '.v2' || ext === '.dcm' || ext === '.img') return true;
  return !name.slice(-4).includes('.');
}

class RegenRun {
  private readonly result: RegenResult = { files: 0, indexed: 0, skipped: 0, failed: 0 };
  private readonly databaseFile: string;

  constructor(
    private readonly archive: Archive,
    private readonly ix: IndexHandle,
    private readonly options: RegenOptions,
  ) {
    this.databaseFile = resolve(ix.file);
  }

  async walk(roots: readonly string[]): Promise<RegenResult> {
    const { log } = this.options;
    const progress = every(this.options.progressEveryMs ?? 2000, () => log.info(regenSummary(this.result)));
    const window = new TaskWindow(WINDOW);
    try {
      for (const root of roots) {
        log.info(`Regen directory ${root}`);
        for await (const path of walkFiles(root, (name) => !skipFolder(name), log)) {
          this.result.files++;
          if (!looksLikeDicomFile(basename(path)) || this.isDatabaseFile(path)) {
            this.result.skipped++;
            continue;
          }
          await window.add(() => this.enter(path));
        }
      }
      await window.drain();
    } finally {
      progress.stop();
    }
    log.info(regenSummary(this.result));
    return this.result;
  }

  private isDatabaseFile(path: string): boolean {
    return path === this.databaseFile || path.startsWith(`${this.databaseFile}-`);
  }

  private async enter(path: string): Promise<void> {
    const device = deviceOf(this.archive, path);
    if (device === undefined) {
      this.result.failed++;
      this.options.log.warn(`[Regen] ${path} -FAILED: not on a MAG device`);
      return;
    }
    try {
      const header = await readHeader(path);
      await this.ix.indexer.index({
        header,
        deviceName: `MAG${device}`,
        objectFile: objectFile(this.archive, device, path),
      });
      this.result.indexed++;
      this.options.log.debug(`[Regen] ${path} -SUCCESS`);
    } catch (e) {
      this.result.failed++;
      this.options.log.warn(`[Regen] ${path} -FAILED: ${reason(e)}`);
    }
  }
}

function skipFolder(name: string): boolean {
  return name.startsWith('.') || SKIPPED_FOLDERS.has(name.toLowerCase());
}

/** The path relative to its device, with this system's separator (as the store writes ObjectFile). */
function objectFile(archive: Archive, device: number, path: string): string {
  return relative(resolve(archive.devices[device]!), path).split(/[\\/]/).join(sep);
}
