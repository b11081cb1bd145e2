/**
 * Conquest's CD-jukebox archival (device.cpp PrepareBunchForBurning, CompareBunchAfterBurning,
 * DeleteBunchAfterBurning, FindCacheDirectory), after -as selected patients as MAGn.Archiving:
 *   -abJUKEBOXj.c,N   the selected data of MAGN goes to a cache folder (CACHEDevicei with j and c filled
 *                     in, on the cache device with the most free space), verified; the rows become
 *                     JUKEBOXj.c and the MAG files are deleted. Retrieval finds the files in the cache
 *                     until the CD is burned, and on the CD after (device-names.ts deviceSearchOrder);
 *   (burn the cache folder onto CD c with other software; it appears as JUKEBOXDevicej with c filled in)
 *   -acJUKEBOXj.c     the cache folder compared with the CD;
 *   -adJUKEBOXj.c     compared again, then the cache folder's files (and the same files on MIRROR0, when
 *                     configured, as Conquest does) are deleted.
 */
import { promises as fsp, rmdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { deviceFolder, objectFileIn, parseDeviceName } from '../../storage/device-names.js';
import type { Archive } from '../archive.js';
import { type ArchivalOptions, type CheckResult, checkDevice, printer } from './archival-report.js';
import { MaintenanceError, reason, requireIndex } from './common.js';
import {
  anyOnDevice,
  archiveFolders,
  groupBy,
  imagesOnDevice,
  kilobytesOf,
  requireFolder,
} from './device-rows.js';
import { filesEqual, removeEmptyFolders, type TransferResult, transferRows } from './device-transfer.js';

export interface PrepareResult extends TransferResult {
  /** The cache device and folder written (CACHEi.j.c), when there was something to do. */
  readonly cacheDevice?: string;
  readonly cacheFolder?: string;
  readonly totalKb: number;
}

/** JUKEBOXj.c → [j, c]; MaintenanceError in Conquest's words otherwise. */
function jukeboxAndCd(device: string): [number, number] {
  const d = parseDeviceName(device);
  if (d?.kind !== 'JUKEBOX')
    throw new MaintenanceError(`Archival: *** to-device (${device}) should have been a JUKEBOX device`);
  if (d.sub1 === undefined || d.sub1 < 0)
    throw new MaintenanceError(`Archival: *** to-device (${device}) has no CD number specified`);
  return [d.number, d.sub1];
}

/**
 * -abJUKEBOXj.c,N / --preparebunchforburning:to,from (PrepareBunchForBurning). `from` is MAGN or
 * MAGN.Archiving; the rows moved are those of MAGN.Archiving. Refused when JUKEBOXj.c holds images already
 * (that CD was burned before).
 */
export async function prepareBunchForBurning(
  archive: Archive,
  to: string,
  from: string,
  options: ArchivalOptions,
): Promise<PrepareResult> {
  const ix = requireIndex(archive, 'archival');
  const print = printer(options);
  const target = to.trim();
  const source = from.trim();
  const archiving = source.includes('.Archiving') ? source : `${source}.Archiving`;
  const fromFolder = requireFolder(archive, source, 'Archival: *** from-device');
  requireFolder(archive, target, 'Archival: *** to-device');
  const [jukebox, cd] = jukeboxAndCd(target);
  if (await anyOnDevice(ix, ix.driver, target))
    throw new MaintenanceError(`Archival: *** jukebox device has been used before: ${target}`);
  const rows = await imagesOnDevice(ix, ix.driver, archiving);
  const totalKb = kilobytesOf(rows, fromFolder, (m) => options.log.warn(m));
  if (totalKb === 0) return { moved: 0, missing: 0, deleted: 0, groups: [], totalKb };

  const cache = largestCache(archive, Math.trunc((totalKb + 10_000) / 1000));
  if (cache === undefined)
    throw new MaintenanceError(
      `Archival: *** could not find cache drive with enough space (${totalKb + 10_000} KB)`,
    );
  const cacheDevice = `CACHE${cache}.${jukebox}.${cd}`;
  const cacheFolder = requireFolder(archive, cacheDevice, 'Archival: *** cache-device');
  print(`Archival: writing to cache-device: ${cacheFolder}`);
  const moved = await transferRows(ix, {
    rows,
    fromFolder,
    toFolder: cacheFolder,
    fromDevice: archiving,
    toDevice: target,
    groupName: 'patient',
    prefix: 'Archival:',
    print,
    log: options.log,
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  return { ...moved, cacheDevice, cacheFolder, totalKb };
}

/**
 * MaxCACHEDevice: the cache device with the most free space, when that is at least `neededMb` MB
 * (IgnoreMAGDeviceThreshHold: every device counts as 10000 MB free, as in Conquest).
 */
function largestCache(archive: Archive, neededMb: number): number | undefined {
  const server = archive.config.server;
  let best: number | undefined;
  let most = 0;
  server.cacheDevices.forEach((template, i) => {
    if (!template) return;
    const free = server.ignoreMAGDeviceThreshHold ? 10_000 : freeMegabytes(cacheBase(template));
    if (free > most) {
      most = free;
      best = i;
    }
  });
  return most < neededMb ? undefined : best;
}

/** The folder a cache template lives in: cut before its first % field, at the separator before it. */
function cacheBase(template: string): string {
  const at = template.indexOf('%');
  if (at < 0) return template;
  const head = template.slice(0, at);
  const cut = Math.max(head.lastIndexOf(sep), head.lastIndexOf('/'));
  return cut <= 0 ? (cut === 0 ? sep : '.') : head.slice(0, cut);
}

/** Free MB on the file system of `folder` (its nearest existing ancestor); 0 when unknown. */
function freeMegabytes(folder: string): number {
  for (let dir = folder; ; dir = dirname(dir)) {
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      try {
        const st = statfsSync(dir);
        return Math.floor((st.bavail * st.bsize) / (1 << 20));
      } catch {
        return 0;
      }
    }
    if (dirname(dir) === dir) return 0;
  }
}

/** FindCacheDirectory: the first cache device whose folder for JUKEBOXj.c exists. */
function findCacheFolder(archive: Archive, device: string): string {
  const [jukebox, cd] = jukeboxAndCd(device);
  const folders = archiveFolders(archive);
  for (let i = 0; i < folders.cache.length; i++) {
    const folder = deviceFolder(`CACHE${i}.${jukebox}.${cd}`, folders);
    if (folder && statSync(folder, { throwIfNoEntry: false })?.isDirectory()) return folder;
  }
  throw new MaintenanceError(`Archival: *** could not find cache directory for: ${device}`);
}

/** -acJUKEBOXj.c / --comparebunchafterburning:device (CompareBunchAfterBurning). */
export async function compareBunchAfterBurning(
  archive: Archive,
  device: string,
  options: ArchivalOptions,
): Promise<CheckResult> {
  const ix = requireIndex(archive, 'archival');
  const d = device.trim();
  const jukebox = requireFolder(archive, d, 'Archival: *** invalid jukebox device');
  const cache = findCacheFolder(archive, d);
  return checkDevice(
    ix,
    d,
    async (row) =>
      (await filesEqual(objectFileIn(cache, row.file), objectFileIn(jukebox, row.file)))
        ? undefined
        : 'differs',
    {
      passed: 'Archival: verified jukebox data for patient: ',
      failed: 'Archival: *** error comparing data for patient: ',
      failure: (row) =>
        `***Comparison failed for files: ${objectFileIn(cache, row.file)} and ${objectFileIn(jukebox, row.file)}`,
    },
    options,
  );
}

export interface DeleteBunchResult {
  readonly compared: CheckResult;
  /** Files deleted from the cache, and from MIRROR0. */
  readonly deleted: number;
  readonly deletedFromMirror: number;
  readonly cacheFolder: string;
}

/**
 * -adJUKEBOXj.c / --deletebunchafterburning:device (DeleteBunchAfterBurning): compares the cache with the
 * CD, and only when every file is the same deletes the cache files (and the same files on MIRROR0 when it
 * is configured) and the emptied cache folder.
 */
export async function deleteBunchAfterBurning(
  archive: Archive,
  device: string,
  options: ArchivalOptions,
): Promise<DeleteBunchResult> {
  const ix = requireIndex(archive, 'archival');
  const print = printer(options);
  const d = device.trim();
  const compared = await compareBunchAfterBurning(archive, d, options);
  if (compared.failures.length > 0)
    throw new MaintenanceError(
      `Archival: *** ${compared.failures.length} files differ between cache and jukebox: the cache is not deleted`,
    );
  const cache = findCacheFolder(archive, d);
  const mirror = deviceFolder('MIRROR0', archiveFolders(archive));
  const byPatient = groupBy(await imagesOnDevice(ix, ix.driver, d), (r) => r.patientId);
  let deleted = 0;
  let deletedFromMirror = 0;
  for (const [patientId, rows] of byPatient) {
    deleted += await deleteFiles(
      rows.map((r) => objectFileIn(cache, r.file)),
      cache,
      options,
    );
    print(`Archival: deleted cache data for patient: ${patientId}`);
    if (mirror) {
      deletedFromMirror += await deleteFiles(
        rows.map((r) => objectFileIn(mirror, r.file)),
        mirror,
        options,
      );
      print(`Archival: deleted mirror data for patient: ${patientId}`);
    }
  }
  try {
    rmdirSync(cache);
  } catch {
    // not empty: something else is in it
  }
  return { compared, deleted, deletedFromMirror, cacheFolder: cache };
}

/** Deletes the files (one already gone is fine) and the folders that empty, up to `root`. */
async function deleteFiles(
  paths: readonly string[],
  root: string,
  options: ArchivalOptions,
): Promise<number> {
  let n = 0;
  for (const p of paths) {
    try {
      await fsp.rm(p);
      n++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        options.log.warn(`***Unable to delete file: ${p}: ${reason(e)}`);
    }
    removeEmptyFolders(p, root);
  }
  return n;
}
