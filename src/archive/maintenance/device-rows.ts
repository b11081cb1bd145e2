/**
 * The image rows of a storage device, as the archival operations read and change them (device.cpp's
 * queries on DICOMImages.DeviceName and ImagePat). Portable SQL: plain SELECT/UPDATE, `?` parameters,
 * identifiers through `ix.q`, lower-case aliases (PostgreSQL folds result names).
 */
import { statSync } from 'node:fs';
import type { DbExecutor } from '../../db/driver.js';
import { tableOf } from '../../db/schema.js';
import {
  type DeviceFolders,
  deviceFolder,
  deviceFoldersOf,
  objectFileIn,
} from '../../storage/device-names.js';
import type { Archive } from '../archive.js';
import { type IndexHandle, MaintenanceError } from './common.js';

const PATIENT_ID = 0x00100020;

/** One image row on a device. */
export interface DeviceImage {
  /** SOP Instance UID (the image key). */
  readonly key: string;
  readonly patientId: string;
  readonly seriesUid: string;
  readonly device: string;
  /** ObjectFile: relative to the device folder. */
  readonly file: string;
}

/** The device folders of the archive's configuration. */
export function archiveFolders(archive: Archive): DeviceFolders {
  const s = archive.config.server;
  return deviceFoldersOf({
    magDevices: archive.devices,
    mirrorDevices: s.mirrorDevices,
    cacheDevices: s.cacheDevices,
    jukeboxDevices: s.jukeboxDevices,
  });
}

/** The folder of a device name, or MaintenanceError saying which device is not configured. */
export function requireFolder(archive: Archive, device: string, role: string): string {
  const folder = deviceFolder(device, archiveFolders(archive));
  if (folder === undefined)
    throw new MaintenanceError(
      `${role} '${device}' is not a configured device (MAGn, MIRRORn, CACHEn.j.c or JUKEBOXj.c; see MAGDevices, MIRRORDevices, CACHEDevices, JUKEBOXDevices)`,
    );
  return folder;
}

/**
 * A DeviceName condition: `= ?`, or `LIKE ?` when the name has a `*` (Conquest's MakeSafeString turns `*`
 * into the SQL wildcard: RestoreMAGFlags selects `MAG0.*`).
 */
export function deviceCondition(ix: IndexHandle, device: string, alias = ''): { sql: string; param: string } {
  const column = `${alias ? `${alias}.` : ''}${ix.q('DeviceName')}`;
  return device.includes('*')
    ? { sql: `${column} LIKE ?`, param: device.replace(/\*/g, '%') }
    : { sql: `${column} = ?`, param: device };
}

/**
 * The image table (alias i) and the expression of an image's patient: the image table's own copy of
 * PatientID (ImagePat) when dicom.sql has one, else the study's, through the series and study rows.
 */
function imageSource(ix: IndexHandle): { from: string; patient: string } {
  const { Image, Series, Study } = ix.levels;
  const q = ix.q;
  const pat = Image.byTag.get(PATIENT_ID);
  if (pat) return { from: `${q(Image.table)} i`, patient: `i.${q(pat.column)}` };
  return {
    from:
      `${q(Image.table)} i` +
      ` LEFT JOIN ${q(Series.table)} se ON se.${q(Series.key.column)} = i.${q(Image.link!.column)}` +
      ` LEFT JOIN ${q(Study.table)} st ON st.${q(Study.key.column)} = se.${q(Series.link!.column)}`,
    patient: `st.${q(Study.link!.column)}`,
  };
}

/** The image rows whose DeviceName matches `device` (of one patient or series, when asked), sorted by patient, series, image. */
export async function imagesOnDevice(
  ix: IndexHandle,
  ex: DbExecutor,
  device: string,
  only: { patientId?: string; seriesUid?: string } = {},
): Promise<DeviceImage[]> {
  const { Image } = ix.levels;
  const q = ix.q;
  const { from, patient } = imageSource(ix);
  const cond = deviceCondition(ix, device, 'i');
  const where = [cond.sql];
  const params: string[] = [cond.param];
  if (only.patientId !== undefined) {
    where.push(`${patient} = ?`);
    params.push(only.patientId);
  }
  if (only.seriesUid !== undefined) {
    where.push(`i.${q(Image.link!.column)} = ?`);
    params.push(only.seriesUid);
  }
  const rows = await ex.all<Record<string, unknown>>(
    `SELECT i.${q(Image.key.column)} AS k, ${patient} AS p, i.${q(Image.link!.column)} AS s, ` +
      `i.${q('DeviceName')} AS d, i.${q('ObjectFile')} AS f FROM ${from} WHERE ${where.join(' AND ')}`,
    params,
  );
  return rows
    .map((r) => ({
      key: text(r['k']),
      patientId: text(r['p']),
      seriesUid: text(r['s']),
      device: text(r['d']),
      file: text(r['f']),
    }))
    .sort((a, b) => cmp(a.patientId, b.patientId) || cmp(a.seriesUid, b.seriesUid) || cmp(a.key, b.key));
}

/** The patients with at least one image row on `device` (MakeListOfPatientsOnDevice, without the order). */
export async function patientsOnDevice(
  ix: IndexHandle,
  ex: DbExecutor,
  device: string,
): Promise<Set<string>> {
  const { from, patient } = imageSource(ix);
  const cond = deviceCondition(ix, device, 'i');
  const rows = await ex.all<Record<string, unknown>>(
    `SELECT DISTINCT ${patient} AS p FROM ${from} WHERE ${cond.sql}`,
    [cond.param],
  );
  return new Set(rows.map((r) => text(r['p'])));
}

/** Some image row is on `device`. */
export async function anyOnDevice(ix: IndexHandle, ex: DbExecutor, device: string): Promise<boolean> {
  const cond = deviceCondition(ix, device);
  const row = await ex.get(`SELECT 1 AS x FROM ${ix.q(ix.levels.Image.table)} WHERE ${cond.sql} LIMIT 1`, [
    cond.param,
  ]);
  return row !== undefined;
}

function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups rows by a field, keeping the order of first appearance. */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/**
 * Conquest's GetKBUsedForPatient: the sizes of the rows' files in `folder`, in KB, rounded as Conquest
 * rounds ((int)(total + 0.512)); files that cannot be found are reported and not counted.
 */
export function kilobytesOf(
  rows: readonly DeviceImage[],
  folder: string,
  warn: (message: string) => void,
): number {
  let total = 0;
  for (const r of rows) {
    const path = objectFileIn(folder, r.file);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st?.isFile()) warn(`***Unable to determine size of file: '${path}'`);
    else total += st.size / 1024;
  }
  return Math.trunc(total + 0.512);
}

/**
 * Sets DeviceName of these rows to `to`, each only while it still has the DeviceName it was read with, in
 * the executor's transaction; resolves with the keys changed.
 */
export async function setDeviceName(
  ix: IndexHandle,
  tx: DbExecutor,
  rows: readonly Pick<DeviceImage, 'key' | 'device'>[],
  to: string,
): Promise<Set<string>> {
  const { Image } = ix.levels;
  const sql = `UPDATE ${ix.q(Image.table)} SET ${ix.q('DeviceName')} = ? WHERE ${ix.q(Image.key.column)} = ? AND ${ix.q('DeviceName')} = ?`;
  const changed = new Set<string>();
  for (const r of rows) if ((await tx.run(sql, [to, r.key, r.device])).changes > 0) changed.add(r.key);
  return changed;
}

/** The study column LRUSort names ('' → AccessTime), as created; MaintenanceError when there is none. */
export function studySortColumn(ix: IndexHandle, lruSort: string): string {
  const wanted = lruSort.trim() || 'AccessTime';
  const table = tableOf(ix.schema, ix.levels.Study.table);
  const column = table?.columns.find((c) => c.name.toLowerCase() === wanted.toLowerCase());
  if (!column)
    throw new MaintenanceError(
      `LRUSort = ${wanted}: the ${ix.levels.Study.table} table has no such column (StudyDate, PatientBir, AccessTime...)`,
    );
  return column.name;
}

/**
 * MakeListOfOldestPatientsOnDevice: every patient with a study, by the newest LRUSort value of its studies
 * (StudyDate: the patient whose last study is oldest comes first; '' means AccessTime), those with an image
 * row on `device` only; newest first when asked (a negative amount to -as).
 */
export async function oldestPatientsOnDevice(
  ix: IndexHandle,
  ex: DbExecutor,
  device: string,
  lruSort: string,
  newestFirst = false,
): Promise<string[]> {
  const { Study } = ix.levels;
  const q = ix.q;
  const sort = studySortColumn(ix, lruSort);
  const rows = await ex.all<Record<string, unknown>>(
    `SELECT ${q(Study.link!.column)} AS p, ${q(sort)} AS v FROM ${q(Study.table)}`,
  );
  const newest = new Map<string, string>();
  for (const r of rows) {
    const p = r['p'];
    if (p === null || p === undefined || p === '') continue;
    const v = r['v'] === null || r['v'] === undefined ? '' : String(r['v']);
    const seen = newest.get(String(p));
    if (seen === undefined || compareValues(v, seen) > 0) newest.set(String(p), v);
  }
  const onDevice = await patientsOnDevice(ix, ex, device);
  const list = [...newest.entries()]
    .filter(([p]) => onDevice.has(p))
    .sort(([pa, a], [pb, b]) => compareValues(a, b) || cmp(pa, pb))
    .map(([p]) => p);
  return newestFirst ? list.reverse() : list;
}

/** As Conquest compares the bound strings (case-insensitive), but numbers (AccessTime) by value. */
function compareValues(a: string, b: string): number {
  const na = /^-?\d+(\.\d+)?$/.test(a.trim()) ? Number(a) : Number.NaN;
  const nb = /^-?\d+(\.\d+)?$/.test(b.trim()) ? Number(b) : Number.NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return cmp(a.toUpperCase(), b.toUpperCase());
}
