/**
 * What a C-MOVE or C-GET retrieves (PS3.4 C.4.2, C.4.3): the stored objects matching the identifier's
 * unique keys at its level and above (PatientID, StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID;
 * lists of UIDs allowed), located through the index. Values are always parameters.
 */
import type { DbExecutor } from '../db/driver.js';
import { type DicomSchema, quoteIdentifier } from '../db/schema.js';
import type { Dataset } from '../dicom/dataset.js';
import {
  asDeviceFolders,
  type DeviceFolders,
  fileExists,
  locateObjectFile,
  objectFileIn,
  objectFilePath,
} from '../storage/device-names.js';
import { QueryError, type QueryLevel, type QueryModel } from './query.js';

export interface RetrieveItem {
  sopInstanceUid: string;
  /** Absolute path of the stored file. */
  path: string;
}

const LEVEL_KEYS: readonly { level: QueryLevel; tag: number; keyword: string }[] = [
  { level: 'PATIENT', tag: 0x00100020, keyword: 'PatientID' },
  { level: 'STUDY', tag: 0x0020000d, keyword: 'StudyInstanceUID' },
  { level: 'SERIES', tag: 0x0020000e, keyword: 'SeriesInstanceUID' },
  { level: 'IMAGE', tag: 0x00080018, keyword: 'SOPInstanceUID' },
];

const ORDER: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

/** Retrieve SOP classes (PS3.4 C.6) and Conquest's NKI aliases, with their information models. */
export const RETRIEVE_MODELS: ReadonlyMap<string, QueryModel> = new Map([
  ['1.2.840.10008.5.1.4.1.2.1.2', 'PATIENT'],
  ['1.2.840.10008.5.1.4.1.2.2.2', 'STUDY'],
  ['1.2.840.10008.5.1.4.1.2.3.2', 'PATIENTSTUDYONLY'],
  ['1.2.840.10008.5.1.4.1.2.1.3', 'PATIENT'],
  ['1.2.840.10008.5.1.4.1.2.2.3', 'STUDY'],
  ['1.2.840.10008.5.1.4.1.2.3.3', 'PATIENTSTUDYONLY'],
  ['1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.1.2', 'PATIENT'],
  ['1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.2.2', 'STUDY'],
  ['1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.3.2', 'PATIENTSTUDYONLY'],
]);

/**
 * The stored objects a retrieve identifier names, in series and instance order. `devices` are the MAG
 * folders, or all device folders (then rows on MIRROR, CACHE and JUKEBOX devices are found too).
 */
export async function selectForRetrieve(
  schema: DicomSchema,
  db: DbExecutor,
  devices: readonly string[] | DeviceFolders,
  model: QueryModel,
  identifier: Dataset,
): Promise<RetrieveItem[]> {
  const level = (identifier.string('QueryRetrieveLevel') ?? '').toUpperCase() as QueryLevel;
  const depth = ORDER.indexOf(level);
  if (depth < 0)
    throw new QueryError(
      `Query/Retrieve Level '${level}' is not one of PATIENT, STUDY, SERIES, IMAGE`,
      0xa900,
    );
  if (model === 'STUDY' && level === 'PATIENT')
    throw new QueryError('the Study Root model has no PATIENT level', 0xa900);
  if (model === 'PATIENTSTUDYONLY' && depth > 1)
    throw new QueryError(`the Patient/Study Only model has no ${level} level`, 0xa900);
  const q = (name: string): string => quoteIdentifier(db.dialect, name);
  const image = schema.levels.Image!;
  const series = schema.levels.Series!;
  const study = schema.levels.Study!;
  const conditions: string[] = [];
  const params: string[] = [];
  const add = (column: string, values: string[]): void => {
    if (values.length === 1) {
      conditions.push(`${column} = ?`);
      params.push(values[0]!);
    } else {
      conditions.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    }
  };
  for (const k of LEVEL_KEYS.slice(0, depth + 1)) {
    const values = identifier.strings(k.tag).filter((v) => v !== '');
    if (values.length === 0) {
      // PS3.4 C.4.2.2.1: the unique key of the retrieve level is required; upper ones only in patient root.
      if (k.level === level) throw new QueryError(`${k.keyword} is required at the ${level} level`, 0xa900);
      continue;
    }
    if (k.level === 'PATIENT') add(`s.${q(study.link!.column)}`, values);
    if (k.level === 'STUDY') add(`e.${q(series.link!.column)}`, values);
    if (k.level === 'SERIES') add(`i.${q(image.link!.column)}`, values);
    if (k.level === 'IMAGE') add(`i.${q(image.key.column)}`, values);
  }
  const sql =
    `SELECT i.${q(image.key.column)} AS sop, i.${q('ObjectFile')} AS file, i.${q('DeviceName')} AS device ` +
    `FROM ${q(image.table)} i JOIN ${q(series.table)} e ON e.${q(series.key.column)} = i.${q(image.link!.column)} ` +
    `JOIN ${q(study.table)} s ON s.${q(study.key.column)} = e.${q(series.link!.column)} ` +
    `WHERE ${conditions.join(' AND ')} ORDER BY e.${q(series.key.column)}, i.${q(image.key.column)}`;
  const rows = await db.all<{ sop: string; file: string; device: string }>(sql, params);
  const folders = asDeviceFolders(devices);
  return rows.map((r) => ({ sopInstanceUid: r.sop, path: devicePath(folders, r.device, r.file) }));
}

/**
 * ObjectFile is relative to its device: the file where Conquest's FindPhysicalDevice finds it (MAG0.Archiving
 * in MAG0, JUKEBOX1.2 on the CD or still in its cache...), else where the row says, else (a device name this
 * server does not know) in MAG0.
 */
function devicePath(folders: DeviceFolders, device: string, file: string): string {
  const name = device ?? '';
  return (
    locateObjectFile(name, file, folders, fileExists) ??
    objectFilePath(name, file, folders) ??
    objectFileIn(folders.mag[0] ?? '.', file)
  );
}
