/**
 * Conquest's archival and device operations (device.cpp; manual Appendix 5 "Archival options"):
 *   selectLruForArchival     -as#,N    least recently used patients of MAGN, up to # KB, recompressed with
 *                                      ArchiveCompression, marked MAGN.Archiving;
 *   selectSeriesForArchival  --selectseriestomove: the same per series, by age;
 *   restoreMagFlags          -au       every MAGn.* back to MAGn;
 *   moveDataToDevice         -amFROM,TO  the files of FROM copied to TO, verified, rows changed, sources
 *                                      deleted (device-transfer.ts); per series: --moveseriestodevice;
 *   renameDevice             -aeFROM,TO  DeviceName changed in the index only;
 *   verifyMirrorDisk         -avMAGn   MAGn's files compared with MIRRORn's;
 *   testImages               -atDEVICE every file of the device read and checked;
 * and, in jukebox.ts, the CACHE/JUKEBOX flow (-ab, -ac, -ad).
 *
 * The operations print Conquest's "Archival: ..." lines through `print` (the command's output) and log
 * per-file problems. A device name resolves to its folder as Conquest's GetPhysicalDevice does
 * (src/storage/device-names.ts): MAG0.Archiving is in MAG0's folder.
 */
import type { CompressionMode } from '../../codecs/modes.js';
import { parseCompressionMode } from '../../codecs/modes.js';
import { recompress } from '../../codecs/recompress.js';
import { readDicomFile } from '../../dicom/reader.js';
import { objectFileIn, parseDeviceName } from '../../storage/device-names.js';
import { recompressFileInPlace } from '../../storage/recompress-file.js';
import type { Archive } from '../archive.js';
import { type ArchivalOptions, type CheckResult, checkDevice, printer } from './archival-report.js';
import { type IndexHandle, MaintenanceError, reason, requireIndex, TaskWindow } from './common.js';
import {
  anyOnDevice,
  type DeviceImage,
  deviceCondition,
  groupBy,
  imagesOnDevice,
  kilobytesOf,
  oldestPatientsOnDevice,
  requireFolder,
  setDeviceName,
} from './device-rows.js';
import { filesEqual, type TransferResult, transferRows } from './device-transfer.js';

export type { ArchivalOptions, CheckFailure, CheckResult } from './archival-report.js';
export type { TransferHooks, TransferResult } from './device-transfer.js';
export {
  compareBunchAfterBurning,
  type DeleteBunchResult,
  deleteBunchAfterBurning,
  type PrepareResult,
  prepareBunchForBurning,
} from './jukebox.js';

/** Conquest's limit on the patients one selection looks at. */
const MAX_PATIENTS = 10_000;
/** Conquest's "RunOver": patients that did not fit, looked past before the selection stops. */
const RUN_OVER = 10;
const RECOMPRESS_WINDOW = 4;

// ---------------------------------------------------------------------------------------------
// Selecting for archival

export interface SelectedPatient {
  readonly patientId: string;
  /** KB on the device after ArchiveCompression. */
  readonly kb: number;
  readonly images: number;
}

export interface SelectResult {
  /** The device selected from (MAGn) and the name the rows have now (MAGn.Archiving). */
  readonly device: string;
  readonly archiving: string;
  readonly selected: readonly SelectedPatient[];
  /** Patients looked at that did not fit in the amount (Conquest's RunOver). */
  readonly skipped: readonly string[];
  readonly totalKb: number;
  /** Files rewritten by ArchiveCompression, and files left as they were because that failed. */
  readonly recompressed: number;
  readonly recompressFailed: number;
}

/**
 * -as#,N / --selectlruforarchival:kb,device (SelectLRUForArchival): the patients of `device` in LRUSort
 * order (least recent first; most recent first when `kb` is negative) are recompressed with
 * ArchiveCompression, then counted; a patient is selected while the total stays within |kb| KB, and up to
 * ten that do not fit are looked past. Their image rows on the device become `device.Archiving`.
 * Refused when patients of the device are selected already (finish or -au first).
 */
export async function selectLruForArchival(
  archive: Archive,
  kb: number,
  device: string,
  options: ArchivalOptions,
): Promise<SelectResult> {
  const ix = requireIndex(archive, 'archival');
  const print = printer(options);
  const source = magDevice(device);
  const folder = requireFolder(archive, source, 'device');
  const archiving = `${source}.Archiving`;
  if (await anyOnDevice(ix, ix.driver, archiving))
    throw new MaintenanceError(
      `Archival: *** Patients were already selected for archiving on ${source} (finish the archival, or undo it with -au)`,
    );
  const mode = archiveMode(archive);
  if (archive.config.server.archiveConverter0)
    options.log.warn('ArchiveConverter0 is not run: scripts need the scripting layer (a later version)');

  const budget = Math.abs(kb);
  const patients = (
    await oldestPatientsOnDevice(ix, ix.driver, source, archive.config.server.lruSort, kb < 0)
  ).slice(0, MAX_PATIENTS);
  const selected: { patientId: string; rows: DeviceImage[] }[] = [];
  const skipped: string[] = [];
  const counts = { recompressed: 0, failed: 0 };
  let total = 0;
  for (const patientId of patients) {
    const rows = await imagesOnDevice(ix, ix.driver, source, { patientId });
    if (mode) await recompressRows(rows, folder, mode, options, counts);
    const size = kilobytesOf(rows, folder, (m) => options.log.warn(m));
    if (size + total > budget) {
      skipped.push(patientId);
      if (skipped.length === RUN_OVER) break;
      continue;
    }
    total += size;
    if (size > 0) selected.push({ patientId, rows });
  }

  await ix.driver.transaction((tx) =>
    setDeviceName(
      ix,
      tx,
      selected.flatMap((s) => s.rows),
      archiving,
    ),
  );
  for (const s of selected) print(`Archival: set archive flag for patient: ${s.patientId}`);

  // Conquest's double check: what is on the Archiving device now.
  const result: SelectedPatient[] = [];
  let totalKb = 0;
  for (const s of selected) {
    const rows = await imagesOnDevice(ix, ix.driver, archiving, { patientId: s.patientId });
    const size = kilobytesOf(rows, folder, (m) => options.log.warn(m));
    print(`Archival: ${String(size).padStart(6)} KB will be written for patient: ${s.patientId}`);
    result.push({ patientId: s.patientId, kb: size, images: rows.length });
    totalKb += size;
  }
  if (totalKb > 0) print(`Archival: total archive amount: ${totalKb} KB`);
  return {
    device: source,
    archiving,
    selected: result,
    skipped,
    totalKb,
    recompressed: counts.recompressed,
    recompressFailed: counts.failed,
  };
}

/** ArchiveCompression as a mode; undefined for '', as and is (RecompressPatient does nothing then). */
function archiveMode(archive: Archive): CompressionMode | undefined {
  const server = archive.config.server;
  const text = String(server.archiveCompression ?? '').trim();
  if (text === '' || /^(as|is)$/i.test(text)) return undefined;
  try {
    return parseCompressionMode(text, server.lossyQuality);
  } catch (e) {
    throw new MaintenanceError(`ArchiveCompression: ${reason(e)}`);
  }
}

/** RecompressPatient: each file in place; one that cannot be recompressed stays as it is, with a warning. */
async function recompressRows(
  rows: readonly DeviceImage[],
  folder: string,
  mode: CompressionMode,
  options: ArchivalOptions,
  counts: { recompressed: number; failed: number },
): Promise<void> {
  const window = new TaskWindow(RECOMPRESS_WINDOW);
  for (const r of rows) {
    const path = objectFileIn(folder, r.file);
    await window.add(async () => {
      try {
        const done = await recompressFileInPlace(path, mode);
        if (done.changed) counts.recompressed++;
        else if (done.note) options.log.debug(`${path}: not recompressed to ${mode.text}: ${done.note}`);
      } catch (e) {
        counts.failed++;
        options.log.warn(`${path}: stays as it is, not recompressed to ${mode.text}: ${reason(e)}`);
      }
    });
  }
  await window.drain();
}

/** The MAG device to select from: MAGn, as written (MAG0 when only digits are given). */
function magDevice(device: string): string {
  const d = device.trim();
  const parsed = parseDeviceName(/^\d+$/.test(d) ? `MAG${d}` : d);
  if (parsed?.kind !== 'MAG' || parsed.suffix !== '')
    throw new MaintenanceError(`Archival: *** '${device}' is not a MAG device (MAG0, MAG1...)`);
  return `MAG${parsed.number}`;
}

export interface SelectSeriesResult {
  readonly archiving: string;
  readonly series: readonly string[];
  readonly totalKb: number;
}

const SERIES_DATE = 0x00080021;
const DAY_MS = 24 * 3600 * 1000;

/**
 * --selectseriestomove:device,age,kb (SelectSeriesForArchival): the series with images on `device`, by
 * SeriesDate, older than `ageDays` days (younger when negative; 0: all), until more than `kb` KB are
 * selected (0: no limit; the series that passes the limit is included, as in Conquest); their image rows
 * on the device become `device.Archiving`.
 */
export async function selectSeriesForArchival(
  archive: Archive,
  device: string,
  ageDays: number,
  kb: number,
  options: ArchivalOptions,
): Promise<SelectSeriesResult> {
  const ix = requireIndex(archive, 'archival');
  const print = printer(options);
  const source = device.trim();
  const folder = requireFolder(archive, source, 'device');
  const archiving = `${source}.Archiving`;
  const bySeries = groupBy(await imagesOnDevice(ix, ix.driver, source), (r) => r.seriesUid);
  const dates = await seriesDates(ix, [...bySeries.keys()]);
  const order = [...bySeries.keys()].sort(
    (a, b) => (dates.get(a) ?? '').localeCompare(dates.get(b) ?? '') || a.localeCompare(b),
  );
  const now = Date.now();
  const chosen: string[] = [];
  let size = 0;
  for (const uid of order) {
    const t = dateValue(dates.get(uid) ?? '');
    if (ageDays > 0 && t > now - ageDays * DAY_MS) continue;
    if (ageDays < 0 && t < now + ageDays * DAY_MS) continue;
    chosen.push(uid);
    if (kb > 0) {
      size += kilobytesOf(bySeries.get(uid)!, folder, (m) => options.log.warn(m));
      if (size > kb) break;
    }
  }
  await ix.driver.transaction((tx) =>
    setDeviceName(
      ix,
      tx,
      chosen.flatMap((uid) => bySeries.get(uid)!),
      archiving,
    ),
  );
  for (const uid of chosen) print(`Archival: set archive flag for series: ${uid}`);
  return { archiving, series: chosen, totalKb: size };
}

async function seriesDates(ix: IndexHandle, uids: readonly string[]): Promise<Map<string, string>> {
  const { Series } = ix.levels;
  const date = Series.byTag.get(SERIES_DATE);
  const out = new Map<string, string>();
  if (!date) return out;
  const sql = `SELECT ${ix.q(date.column)} AS v FROM ${ix.q(Series.table)} WHERE ${ix.q(Series.key.column)} = ?`;
  for (const uid of uids) {
    const row = await ix.driver.get<Record<string, unknown>>(sql, [uid]);
    out.set(uid, row?.['v'] === null || row?.['v'] === undefined ? '' : String(row['v']));
  }
  return out;
}

/** YYYYMMDD as a time; an unreadable date as the earliest time (Conquest's sscanf leaves the year 0). */
function dateValue(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(text.trim());
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime() : Number.NEGATIVE_INFINITY;
}

// ---------------------------------------------------------------------------------------------
// Undo, rename

/** -au / --restoremagflags (RestoreMAGFlags): every DeviceName MAGn.xxx back to MAGn; resolves with the rows changed. */
export async function restoreMagFlags(archive: Archive, options: ArchivalOptions): Promise<number> {
  const ix = requireIndex(archive, 'archival');
  const print = printer(options);
  const { Image } = ix.levels;
  let changed = 0;
  await ix.driver.transaction(async (tx) => {
    for (let n = 0; n < archive.devices.length; n++) {
      const cond = deviceCondition(ix, `MAG${n}.*`);
      const r = await tx.run(`UPDATE ${ix.q(Image.table)} SET ${ix.q('DeviceName')} = ? WHERE ${cond.sql}`, [
        `MAG${n}`,
        cond.param,
      ]);
      print(`Resetting archive flag on device: MAG${n}${r.changes ? ` (${r.changes} images)` : ''}`);
      changed += r.changes;
    }
  });
  return changed;
}

/**
 * -aeFROM,TO / --renamedevice:from,to (RenameDevice): DeviceName FROM becomes TO in the index; no file
 * moves (to restore from an optical disk, or repair an index). `*` in FROM matches any text.
 */
export async function renameDevice(
  archive: Archive,
  from: string,
  to: string,
  options: ArchivalOptions,
): Promise<number> {
  const ix = requireIndex(archive, 'archival');
  const f = from.trim();
  const t = to.trim();
  if (!f || !t) throw new MaintenanceError('Archival: *** renaming a device needs two device names');
  const cond = deviceCondition(ix, f);
  const r = await ix.driver.transaction((tx) =>
    tx.run(`UPDATE ${ix.q(ix.levels.Image.table)} SET ${ix.q('DeviceName')} = ? WHERE ${cond.sql}`, [
      t,
      cond.param,
    ]),
  );
  printer(options)(`Archival: set new device name DeviceName = '${t}' (${r.changes} images from ${f})`);
  return r.changes;
}

// ---------------------------------------------------------------------------------------------
// Moving

export interface MoveOptions extends ArchivalOptions {
  /** --moveseriestodevice: report (and order) per series instead of per patient. */
  bySeries?: boolean;
}

/**
 * -amFROM,TO / --movedatatodevice:to,from (MoveDataToDevice; note the opposite order of the two forms, as
 * in Conquest): every image of device FROM (e.g. MAG0, or MAG0.Archiving after -as) is moved to device TO
 * (e.g. MAG1): the file to the same ObjectFile under TO's folder, the row's DeviceName to TO. See
 * device-transfer.ts for the order of the steps and what a failure leaves.
 */
export async function moveDataToDevice(
  archive: Archive,
  from: string,
  to: string,
  options: MoveOptions,
): Promise<TransferResult> {
  const ix = requireIndex(archive, 'moving data between devices');
  const prefix = options.bySeries ? 'MoveSeriesToDevice:' : 'MoveDataToDevice:';
  const f = from.trim();
  const t = to.trim();
  const fromFolder = requireFolder(archive, f, `${prefix} from-device`);
  const toFolder = requireFolder(archive, t, `${prefix} to-device`);
  if (archive.config.server.moveDeviceConverter0)
    options.log.warn('MoveDeviceConverter0 is not run: scripts need the scripting layer (a later version)');
  const rows = await imagesOnDevice(ix, ix.driver, f);
  if (rows.length === 0) return { moved: 0, missing: 0, deleted: 0, groups: [] };
  const kb = kilobytesOf(rows, fromFolder, (m) => options.log.warn(m));
  const print = printer(options);
  print(`${prefix} moving ${Math.trunc((kb + 512) / 1024)} MB to: ${toFolder}`);
  return transferRows(ix, {
    rows,
    fromFolder,
    toFolder,
    fromDevice: f,
    toDevice: t,
    groupName: options.bySeries ? 'series' : 'patient',
    prefix,
    print,
    log: options.log,
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// Checks

/** -avMAGn / --verifymirrordisk:MAGn (VerifyMirrorDisk): each file of MAGn (or MAGn.xxx) against MIRRORn. */
export async function verifyMirrorDisk(
  archive: Archive,
  device: string,
  options: ArchivalOptions,
): Promise<CheckResult> {
  const ix = requireIndex(archive, 'archival');
  const d = device.trim();
  const main = requireFolder(archive, d, 'Archival: *** main device');
  const parsed = parseDeviceName(d);
  if (parsed?.kind !== 'MAG')
    throw new MaintenanceError(`Archival: *** main device must be a MAG device: ${device}`);
  const mirror = requireFolder(archive, `MIRROR${parsed.number}`, 'Archival: *** mirror device');
  return checkDevice(
    ix,
    d,
    async (row) =>
      (await filesEqual(objectFileIn(main, row.file), objectFileIn(mirror, row.file)))
        ? undefined
        : 'differs',
    {
      passed: 'Archival: verified mirror data for patient: ',
      failed: 'Archival: *** error comparing mirror data for patient: ',
      failure: (row) =>
        `***Comparison failed for files: ${objectFileIn(main, row.file)} and ${objectFileIn(mirror, row.file)}`,
    },
    options,
  );
}

const PATIENT_ID = 0x00100020;
const REQUIRED: readonly [number, string][] = [
  [PATIENT_ID, 'PatientID'],
  [0x0020000d, 'StudyInstanceUID'],
  [0x0020000e, 'SeriesInstanceUID'],
  [0x00080018, 'SOPInstanceUID'],
];

/**
 * -atDEVICE / --testimages:device (TestImages): every file of the device is read whole, must hold PatientID,
 * StudyInstanceUID, SeriesInstanceUID and SOPInstanceUID, and its pixel data must decompress.
 */
export async function testImages(
  archive: Archive,
  device: string,
  options: ArchivalOptions,
): Promise<CheckResult> {
  const ix = requireIndex(archive, 'archival');
  const d = device.trim();
  const folder = requireFolder(archive, d, 'Archival: *** device to test read');
  return checkDevice(
    ix,
    d,
    (row) => testFile(objectFileIn(folder, row.file)),
    {
      passed: 'Archival: test read all data for patient: ',
      failed: 'Archival: *** error test reading data for patient: ',
      failure: (row, why) => `***Test read failed for file: ${objectFileIn(folder, row.file)} (${why})`,
    },
    options,
  );
}

/** Conquest's TestFile: undefined when the file is good, else what is wrong. */
export async function testFile(path: string): Promise<string | undefined> {
  let file: Awaited<ReturnType<typeof readDicomFile>>;
  try {
    file = await readDicomFile(path);
  } catch (e) {
    return `failed to read: ${reason(e)}`;
  }
  for (const [tag, name] of REQUIRED) if (!file.dataset.has(tag)) return `${name} missing`;
  try {
    await recompress(file.dataset, file.transferSyntax.uid, parseCompressionMode('un'));
  } catch (e) {
    return `decompression or CRC error: ${reason(e)}`;
  }
  return undefined;
}
