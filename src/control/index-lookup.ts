/**
 * What the client commands ask of this server's own index: which SOP instances it holds, and where their
 * files are (DeviceName + ObjectFile of the image rows, as Conquest's GetFileName and FindPhysicalDevice
 * read them). Values always travel as parameters.
 */
import type { Archive } from '../archive/archive.js';
import { IndexError } from '../archive/indexer.js';
import type { OpenedIndex } from '../db/open-index.js';
import { type LevelMapping, quoteIdentifier } from '../db/schema.js';
import {
  asDeviceFolders,
  type DeviceFolders,
  deviceFoldersOf,
  fileExists,
  locateObjectFile,
  objectFilePath,
} from '../storage/device-names.js';

/** One image row: its file where this server has the device, and the fields the image lister sorts and prints. */
export interface LocalImage {
  sopInstanceUid: string;
  patientId: string;
  /** DeviceName as stored (MAG0...). */
  device: string;
  /** ObjectFile as stored, relative to the device. */
  file: string;
  /** The absolute path, or undefined when the device is not one of this server's devices. */
  path: string | undefined;
  instanceNumber: string;
  frames: string;
}

const CHUNK = 500;

function indexOf(archive: Archive): { index: OpenedIndex; image: LevelMapping } {
  const index = archive.index;
  const image = index?.schema.levels.Image;
  if (!index || !image)
    throw new IndexError('this server has no index database (SQLServer is empty: NULL driver)');
  return { index, image };
}

/**
 * DeviceName + relative file → absolute path, where Conquest's FindPhysicalDevice finds the file (MAGn,
 * MAGn.Archiving, MIRRORn, CACHEn.j.c, JUKEBOXj.c...), else where the row says; backslashes of
 * Windows-written rows become slashes.
 */
export function devicePath(
  devices: readonly string[] | DeviceFolders,
  device: string,
  file: string,
): string | undefined {
  const folders = asDeviceFolders(devices);
  return locateObjectFile(device, file, folders, fileExists) ?? objectFilePath(device, file, folders);
}

/** This server's device folders (all kinds). */
function foldersOf(archive: Archive): DeviceFolders {
  return deviceFoldersOf({ ...archive.config.server, magDevices: archive.devices });
}

function selectList(archive: Archive): { sql: string; toImage: (r: Record<string, unknown>) => LocalImage } {
  const { index, image } = indexOf(archive);
  const q = (n: string): string => quoteIdentifier(index.driver.dialect, n);
  const optional = (tag: number, as: string): string => {
    const column = image.byTag.get(tag)?.column;
    return column ? `, ${q(column)} AS ${as}` : '';
  };
  const sql =
    `SELECT ${q(image.key.column)} AS sop, ${q('DeviceName')} AS device, ${q('ObjectFile')} AS file` +
    optional(0x00100020, 'pat') +
    optional(0x00200013, 'inst') +
    optional(0x00280008, 'frames') +
    ` FROM ${q(image.table)}`;
  const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
  const folders = foldersOf(archive);
  return {
    sql,
    toImage: (r) => ({
      sopInstanceUid: text(r['sop']),
      patientId: text(r['pat']),
      device: text(r['device']),
      file: text(r['file']),
      path: devicePath(folders, text(r['device']), text(r['file'])),
      instanceNumber: text(r['inst']),
      frames: text(r['frames']),
    }),
  };
}

/** The images of a series (and patient, when given) in this server's index. */
export async function seriesImages(
  archive: Archive,
  seriesUid: string,
  patientId: string,
): Promise<LocalImage[]> {
  const { index, image } = indexOf(archive);
  const q = (n: string): string => quoteIdentifier(index.driver.dialect, n);
  const { sql, toImage } = selectList(archive);
  const where: string[] = [];
  const params: string[] = [];
  if (seriesUid && image.link) {
    where.push(`${q(image.link.column)} = ?`);
    params.push(seriesUid);
  }
  const patientColumn = image.byTag.get(0x00100020)?.column;
  if (patientId && patientColumn) {
    where.push(`${q(patientColumn)} = ?`);
    params.push(patientId);
  }
  const rows = await index.driver.all(`${sql}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params);
  return rows.map(toImage);
}

/** The image rows this server holds for these SOP Instance UIDs, by UID. */
export async function imagesByUid(
  archive: Archive,
  sopInstanceUids: readonly string[],
): Promise<Map<string, LocalImage>> {
  const { index, image } = indexOf(archive);
  const q = (n: string): string => quoteIdentifier(index.driver.dialect, n);
  const { sql, toImage } = selectList(archive);
  const out = new Map<string, LocalImage>();
  for (let at = 0; at < sopInstanceUids.length; at += CHUNK) {
    const chunk = sopInstanceUids.slice(at, at + CHUNK);
    const rows = await index.driver.all(
      `${sql} WHERE ${q(image.key.column)} IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const r of rows) {
      const img = toImage(r);
      out.set(img.sopInstanceUid, img);
    }
  }
  return out;
}
