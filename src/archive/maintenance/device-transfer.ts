/**
 * Moving the files of image rows from one device folder to another, as Conquest's MoveDataToDevice and
 * PrepareBunchForBurning do (CopyPatientData, ComparePatientData, ModifyDeviceNameForPatient,
 * DeletePatientData), in an order that a crash at any point cannot turn into a lost image:
 *   1. copy every file (to a temporary name, fsync, rename: a target name never holds half a file);
 *   2. compare every copy with its source, byte for byte;
 *   3. change DeviceName of the copied rows in one transaction;
 *   4. only then delete the sources (and the folders that emptied).
 * A failed copy or compare stops before step 3: the rows and the sources stay as they were, and the copies
 * this run made are removed again. A crash after step 3 leaves at most source files that a re-run (or
 * --regen) finds; before it, at most copies without rows.
 *
 * Unlike Conquest, only the rows whose files were copied are changed (an image that arrives on the source
 * device during the move stays there, with its file), a row without a file stays where it is (reported),
 * and a target file that exists with other contents stops the move instead of being overwritten.
 */
import { promises as fsp, rmdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Logger } from '../../logging/logger.js';
import { fileExists, objectFileIn } from '../../storage/device-names.js';
import { syncFolder } from '../../storage/recompress-file.js';
import { type IndexHandle, MaintenanceError, reason, TaskWindow } from './common.js';
import { type DeviceImage, groupBy, setDeviceName } from './device-rows.js';

const WINDOW = 16;

/** Test hooks: called after each file is copied (to corrupt a copy and see the compare fail). */
export interface TransferHooks {
  afterCopy?(source: string, target: string): void | Promise<void>;
}

export interface TransferRequest {
  readonly rows: readonly DeviceImage[];
  /** The folder the rows' files are in now. */
  readonly fromFolder: string;
  readonly toFolder: string;
  /** The source device as named (for messages; each row is changed only while it keeps its DeviceName). */
  readonly fromDevice: string;
  readonly toDevice: string;
  /** What a message calls a group of rows ('patient', 'series'), and how rows are grouped. */
  readonly groupName: 'patient' | 'series';
  /** Prefix of the report lines (Conquest's "MoveDataToDevice:", "Archival:"). */
  readonly prefix: string;
  readonly print: (line: string) => void;
  readonly log: Logger;
  readonly hooks?: TransferHooks;
}

export interface TransferResult {
  /** Rows now on the target device. */
  readonly moved: number;
  /** Rows left on the source device because their file was not found there. */
  readonly missing: number;
  /** Source files deleted. */
  readonly deleted: number;
  /** The groups (patients or series) moved, in order. */
  readonly groups: readonly string[];
}

interface Planned {
  readonly row: DeviceImage;
  readonly source: string;
  readonly target: string;
  /** This run wrote the target (else it was there already, with the same bytes). */
  created: boolean;
}

export async function transferRows(ix: IndexHandle, req: TransferRequest): Promise<TransferResult> {
  const groupOf = (r: DeviceImage): string => (req.groupName === 'patient' ? r.patientId : r.seriesUid);
  const groups = [...groupBy(req.rows, groupOf).keys()];
  if (resolve(req.fromFolder) === resolve(req.toFolder)) return renameOnly(ix, req, groups);

  const planned: Planned[] = [];
  let missing = 0;
  for (const row of req.rows) {
    const source = objectFileIn(req.fromFolder, row.file);
    const target = objectFileIn(req.toFolder, row.file);
    if (!fileExists(source)) {
      if (fileExists(target)) {
        // Copied by an earlier run that stopped before its commit, source already gone: take it.
        planned.push({ row, source, target, created: false });
        continue;
      }
      missing++;
      req.log.warn(
        `${req.prefix} *** file of ${row.key} not found, its row stays on ${req.fromDevice}: ${source}`,
      );
      continue;
    }
    planned.push({ row, source, target, created: false });
  }

  await fsp.mkdir(req.toFolder, { recursive: true });
  try {
    await inWindow(planned, async (p) => {
      if (!fileExists(p.source)) return; // taken from an earlier run (above)
      if (fileExists(p.target)) {
        if (!(await filesEqual(p.source, p.target)))
          throw new MaintenanceError(
            `${req.prefix} *** ${p.target} exists with other contents: not overwritten, nothing moved`,
          );
        return;
      }
      await copyDurably(p.source, p.target);
      p.created = true;
      await req.hooks?.afterCopy?.(p.source, p.target);
    });
    for (const g of groups) req.print(`${req.prefix} copied image data for ${req.groupName}: ${g}`);
    await inWindow(planned, async (p) => {
      if (!fileExists(p.source)) return;
      if (!(await filesEqual(p.source, p.target)))
        throw new MaintenanceError(`***Comparison failed for files: ${p.source} and ${p.target}`);
    });
    for (const g of groups) req.print(`${req.prefix} compared image data for ${req.groupName}: ${g}`);
  } catch (e) {
    await removeCopies(planned, req.toFolder);
    if (e instanceof MaintenanceError) throw e;
    throw new MaintenanceError(`${req.prefix} *** could not copy the image data: ${reason(e)}`);
  }

  const changed = await ix.driver.transaction((tx) =>
    setDeviceName(
      ix,
      tx,
      planned.map((p) => p.row),
      req.toDevice,
    ),
  );

  let deleted = 0;
  const stale: Planned[] = [];
  for (const p of planned) {
    if (!changed.has(p.row.key)) {
      // The row went (deleted) or moved elsewhere meanwhile: its source is not ours to delete.
      stale.push(p);
      continue;
    }
    if (!fileExists(p.target)) {
      req.log.warn(`***Attempt to delete file that was not copied: ${p.source}`);
      continue;
    }
    try {
      await fsp.rm(p.source);
      deleted++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        req.log.warn(`***Unable to delete file: ${p.source}: ${reason(e)}`);
    }
    removeEmptyFolders(p.source, req.fromFolder);
  }
  await removeCopies(stale, req.toFolder);
  const moved = changed.size;
  for (const g of groups) req.print(`${req.prefix} deleted source data for ${req.groupName}: ${g}`);
  return { moved, missing, deleted, groups };
}

/** Source and target are the same folder (MAG0.Archiving → MAG0): only DeviceName changes. */
async function renameOnly(ix: IndexHandle, req: TransferRequest, groups: string[]): Promise<TransferResult> {
  const changed = await ix.driver.transaction((tx) => setDeviceName(ix, tx, req.rows, req.toDevice));
  req.print(
    `${req.prefix} ${req.fromDevice} and ${req.toDevice} are the same folder: device name changed only`,
  );
  return { moved: changed.size, missing: 0, deleted: 0, groups };
}

async function inWindow(items: readonly Planned[], task: (p: Planned) => Promise<void>): Promise<void> {
  const window = new TaskWindow(WINDOW);
  let failure: unknown;
  for (const p of items) {
    if (failure !== undefined) break;
    await window.add(async () => {
      try {
        await task(p);
      } catch (e) {
        failure ??= e;
      }
    });
  }
  await window.drain();
  if (failure !== undefined) throw failure;
}

/** Removes the copies this run made (a failed move leaves no files without rows behind). */
async function removeCopies(planned: readonly Planned[], root: string): Promise<void> {
  for (const p of planned) {
    if (!p.created) continue;
    await fsp.rm(p.target, { force: true });
    removeEmptyFolders(p.target, root);
  }
}

/** Copies to a temporary name beside the target, fsyncs, renames into place. */
export async function copyDurably(source: string, target: string): Promise<void> {
  await fsp.mkdir(dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.part`;
  try {
    await fsp.copyFile(source, temp);
    const fh = await fsp.open(temp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(temp, target);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
  await syncFolder(dirname(target));
}

const CHUNK = 1 << 20;

/** The two files hold the same bytes (Conquest's FileCompare); false when either cannot be read. */
export async function filesEqual(a: string, b: string): Promise<boolean> {
  let fa: FileHandle | undefined;
  let fb: FileHandle | undefined;
  try {
    fa = await fsp.open(a, 'r');
    fb = await fsp.open(b, 'r');
    const [sa, sb] = await Promise.all([fa.stat(), fb.stat()]);
    if (sa.size !== sb.size) return false;
    const ba = Buffer.alloc(Math.min(CHUNK, sa.size));
    const bb = Buffer.alloc(ba.length);
    for (let at = 0; at < sa.size; ) {
      const n = Math.min(ba.length, sa.size - at);
      const [ra, rb] = await Promise.all([fa.read(ba, 0, n, at), fb.read(bb, 0, n, at)]);
      if (ra.bytesRead !== n || rb.bytesRead !== n) return false;
      if (!ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
      at += n;
    }
    return true;
  } catch {
    return false;
  } finally {
    await fa?.close();
    await fb?.close();
  }
}

/** The folders between `file` and `root` (not `root` itself) that are empty now. */
export function removeEmptyFolders(file: string, root: string): void {
  const top = resolve(root);
  for (let dir = dirname(resolve(file)); dir.startsWith(top + sep); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty
    }
  }
}
