/**
 * Conquest's device names and the folders they stand for (device.cpp GetPhysicalDevice and
 * FindPhysicalDevice). An image row's DeviceName says where its ObjectFile is:
 *   MAGn            MAGDevicen (on-line storage);
 *   MAGn.xxx        the same folder: `.Archiving` only marks rows selected for archival (-as);
 *   MIRRORn         MIRRORDevicen, the mirror of MAGn;
 *   CACHEn.j.c      CACHEDevicen with its two %d fields filled with jukebox j and CD c;
 *   JUKEBOXj.c      JUKEBOXDevicej with its %d field filled with CD c.
 * The names are case-insensitive. Everything here is pure (no file system), except `fileExists`, the
 * default check `locateObjectFile` is given by its callers.
 */
import { statSync } from 'node:fs';
import { join, sep } from 'node:path';

export type DeviceKind = 'MAG' | 'MIRROR' | 'CACHE' | 'JUKEBOX';

export interface ParsedDeviceName {
  readonly kind: DeviceKind;
  /** The device number after the kind: MAG0 → 0, JUKEBOX1.2 → 1. */
  readonly number: number;
  /** The first number after a dot, as C's atoi reads it (JUKEBOX1.2 → 2, CACHE0.1.2 → 1); undefined without a dot. */
  readonly sub1?: number;
  /** The second (CACHE0.1.2 → 2). */
  readonly sub2?: number;
  /** What follows the first dot, as written ('Archiving', '2', '1.2'); '' without a dot. */
  readonly suffix: string;
}

/** The configured device folders (ServerConfig's magDevices, mirrorDevices, cacheDevices, jukeboxDevices). */
export interface DeviceFolders {
  readonly mag: readonly string[];
  readonly mirror: readonly string[];
  /** Templates with two %d fields: jukebox number, CD number. */
  readonly cache: readonly string[];
  /** Templates with one %d field: CD number. */
  readonly jukebox: readonly string[];
}

const NAME = /^(MAG|MIRROR|CACHE|JUKEBOX)(\d+)(?:\.(.*))?$/i;

/** `MAG0.Archiving` → its parts; undefined for a name that is not one of the four kinds. */
export function parseDeviceName(name: string): ParsedDeviceName | undefined {
  const m = NAME.exec(name.trim());
  if (!m) return undefined;
  const kind = m[1]!.toUpperCase() as DeviceKind;
  const suffix = m[3] ?? '';
  const out: { -readonly [K in keyof ParsedDeviceName]: ParsedDeviceName[K] } = {
    kind,
    number: Number(m[2]),
    suffix,
  };
  if (m[3] !== undefined) {
    const [first = '', second] = suffix.split('.');
    out.sub1 = atoi(first);
    if (second !== undefined) out.sub2 = atoi(second);
  }
  return out;
}

/** C's atoi: the leading digits, 0 when there are none. */
function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** The device folder lists of a server configuration. */
export function deviceFoldersOf(server: {
  readonly magDevices: readonly string[];
  readonly mirrorDevices: readonly string[];
  readonly cacheDevices: readonly string[];
  readonly jukeboxDevices: readonly string[];
}): DeviceFolders {
  return {
    mag: server.magDevices,
    mirror: server.mirrorDevices,
    cache: server.cacheDevices,
    jukebox: server.jukeboxDevices,
  };
}

/** A MAG device list (what older callers pass) as DeviceFolders; DeviceFolders as they are. */
export function asDeviceFolders(devices: readonly string[] | DeviceFolders): DeviceFolders {
  return isFolderList(devices) ? { mag: devices, mirror: [], cache: [], jukebox: [] } : devices;
}

function isFolderList(devices: readonly string[] | DeviceFolders): devices is readonly string[] {
  return Array.isArray(devices);
}

/**
 * GetPhysicalDevice: the folder a device name stands for, ending with a path separator; undefined when
 * the name is not a device name or its device is not configured.
 */
export function deviceFolder(name: string, folders: DeviceFolders): string | undefined {
  const d = parseDeviceName(name);
  if (!d) return undefined;
  let folder: string | undefined;
  switch (d.kind) {
    case 'MAG':
      folder = folders.mag[d.number];
      break;
    case 'MIRROR':
      folder = folders.mirror[d.number];
      break;
    case 'CACHE': {
      const template = folders.cache[d.number];
      folder = template ? formatIntegers(template, [d.sub1 ?? 0, d.sub2 ?? 0]) : undefined;
      break;
    }
    case 'JUKEBOX': {
      const template = folders.jukebox[d.number];
      folder = template ? formatIntegers(template, [d.sub1 ?? 0]) : undefined;
      break;
    }
  }
  if (!folder) return undefined;
  return folder.endsWith('/') || folder.endsWith(sep) ? folder : folder + sep;
}

/**
 * FindPhysicalDevice's search: the folders a file of a row with this DeviceName may be in, in the order
 * Conquest tries them (duplicates left out):
 *   1. the device named;
 *   2. for MAGn: MIRRORn (the disk may be broken, or the mirror not updated yet);
 *   3. for JUKEBOXj.c: the other jukeboxes with the same CD (JUKEBOXi.c), then every cache with that
 *      jukebox and CD (CACHEi.j.c: the CD is prepared but not burned, or not mounted);
 *   4. for CACHEn.j.c: every jukebox with that CD (JUKEBOXi.c: burned, cache deleted);
 *   5. every MAG device, then every MIRROR device.
 */
export function deviceSearchOrder(name: string, folders: DeviceFolders): string[] {
  const d = parseDeviceName(name);
  const names: string[] = [name];
  if (d?.kind === 'MAG') names.push(`MIRROR${d.number}`);
  if (d?.kind === 'JUKEBOX') {
    const cd = d.sub1 !== undefined ? `.${d.sub1}` : '';
    folders.jukebox.forEach((_, i) => {
      if (i !== d.number) names.push(`JUKEBOX${i}${cd}`);
    });
    folders.cache.forEach((_, i) => {
      names.push(`CACHE${i}.${d.number}${cd}`);
    });
  }
  if (d?.kind === 'CACHE') {
    const cd = d.sub2 !== undefined ? `.${d.sub2}` : '';
    folders.jukebox.forEach((_, i) => {
      names.push(`JUKEBOX${i}${cd}`);
    });
  }
  folders.mag.forEach((_, i) => {
    names.push(`MAG${i}`);
  });
  folders.mirror.forEach((_, i) => {
    names.push(`MIRROR${i}`);
  });
  const out: string[] = [];
  for (const n of names) {
    const f = deviceFolder(n, folders);
    if (f !== undefined && !out.includes(f)) out.push(f);
  }
  return out;
}

/** An ObjectFile inside a device folder (backslashes of Windows-written rows become separators). */
export function objectFileIn(folder: string, objectFile: string): string {
  return join(folder, objectFile.replace(/\\/g, '/'));
}

/** The file a row names on the device it names (GetPhysicalDevice + ObjectFile), without looking. */
export function objectFilePath(name: string, objectFile: string, folders: DeviceFolders): string | undefined {
  const folder = deviceFolder(name, folders);
  return folder === undefined ? undefined : objectFileIn(folder, objectFile);
}

/**
 * FindPhysicalDevice: the first folder of `deviceSearchOrder` that holds the file (by `exists`), as the
 * file's path; undefined when none does.
 */
export function locateObjectFile(
  name: string,
  objectFile: string,
  folders: DeviceFolders,
  exists: (path: string) => boolean,
): string | undefined {
  for (const folder of deviceSearchOrder(name, folders)) {
    const path = objectFileIn(folder, objectFile);
    if (exists(path)) return path;
  }
  return undefined;
}

/** A regular file is there (Conquest's FileExists: stat and S_IFREG). */
export function fileExists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

/**
 * C's sprintf for the integer conversions a device template holds: `%d`, `%i`, `%u` with the `-`, `0`,
 * `+` and space flags, a width and a precision, and `%%`. Arguments are used in order; a conversion past
 * the last one gets 0. Other text (and any other `%` sequence) is kept as written.
 */
export function formatIntegers(template: string, values: readonly number[]): string {
  let next = 0;
  return template.replace(
    /%([-+ 0#]*)(\d*)(?:\.(\d+))?([diu%])/g,
    (whole, flags: string, width, precision, conv) => {
      if (conv === '%') return whole === '%%' ? '%' : whole;
      const v = Math.trunc(values[next++] ?? 0);
      let digits = String(Math.abs(v));
      if (precision !== undefined) digits = digits.padStart(Number(precision), '0');
      const sign = v < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
      const w = Number(width || '0');
      if (flags.includes('-')) return (sign + digits).padEnd(w, ' ');
      if (flags.includes('0') && precision === undefined) return sign + digits.padStart(w - sign.length, '0');
      return (sign + digits).padStart(w, ' ');
    },
  );
}
