/**
 * Conquest's configuration commands for dgatesop.lst, dicom.sql, the dictionary and the devices (manual
 * Appendix 5; ServerTask in dgate.cpp):
 *   --get_sop:index[,fmt]  --put_sop:index,UID,name  --delete_sop:index   (and the same for transfer,
 *       application, localae, remoteae): the accepted SOP classes, transfer syntaxes, application
 *       contexts, called and calling AE titles; fmt default "%s %s" (UID or AE title, then the name)
 *   --get_sqldef:level,index[,fmt]   a dicom.sql field of patient|study|series|image|worklist
 *   --get_dic:index[,fmt]            a dictionary entry: group, element, VR, name
 *   --get_freestore:device[,fmt]     free MB on MAGn, CACHEn or MIRRORn (-1: no such device)
 *   --checksum:text                  Conquest's CRC of the text
 *
 * The put_ and delete_ commands change the running server's lists (new associations negotiate with them at once) and
 * write dgatesop.lst, as Conquest does; without a server they edit dgatesop.lst.
 */
import { existsSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../../config/config.js';
import { DgatesopList, type SopListEntry, type SopListKind } from '../../config/dgatesop-list.js';
import {
  DicomSql,
  type DicomSqlField,
  type DicomSqlLevelName,
  defaultDicomSqlText,
} from '../../db/dicom-sql.js';
import { allEntries, type DictionaryEntry } from '../../dicom/dictionary/index.js';
import { printf as cFormat } from '../../text/printf.js';
import { UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { parseIndex, required, splitFirst } from './config-args.js';

// ---------------------------------------------------------------------------------------------
// dgatesop.lst

export async function getSopListCommand(kind: SopListKind, args: string, ctx: CommandContext): Promise<void> {
  const [index, fmt] = splitFirst(args);
  const e: SopListEntry | undefined = ctx
    .config()
    .sopList.get(kind, parseIndex(index, `--get_${kind}:index[,fmt]`));
  if (e) ctx.stdout.write(cFormat(fmt ?? '%s %s', [e.value, e.name]));
}

/** Changes the server's list and writes it to dgatesop.lst; without a server, edits the file. */
function changeList(ctx: CommandContext, change: (list: DgatesopList) => void): void {
  const config = ctx.config();
  const path = config.sopListPath;
  if (ctx.server) {
    change(config.sopList);
    config.sopList.write(path);
    ctx.server.configChanged();
    return;
  }
  const list = existsSync(path) ? DgatesopList.read(path) : config.sopList;
  change(list);
  list.write(path);
}

export async function putSopListCommand(kind: SopListKind, args: string, ctx: CommandContext): Promise<void> {
  const what = kind === 'localae' || kind === 'remoteae' ? 'AE' : 'UID';
  const form = `--put_${kind}:index,${what},name`;
  const [index, rest] = splitFirst(args);
  const i = parseIndex(index, form);
  const [value, name] = splitFirst(rest ?? '');
  required(value, `the ${what}`, form);
  required(name, 'the name', form);
  changeList(ctx, (list) => list.put(kind, i, value, name!));
}

export async function deleteSopListCommand(
  kind: SopListKind,
  args: string,
  ctx: CommandContext,
): Promise<void> {
  const i = parseIndex(args, `--delete_${kind}:index`);
  changeList(ctx, (list) => {
    list.delete(kind, i); // past the end: nothing changes, as in Conquest
  });
}

// ---------------------------------------------------------------------------------------------
// dicom.sql

/** The dicom.sql the archive uses: the file in the working directory, else the first-install default. */
export function dicomSqlOf(config: LoadedConfig): DicomSql {
  const path = join(config.dir, 'dicom.sql');
  return existsSync(path) ? DicomSql.read(path) : DicomSql.parse(defaultDicomSqlText(), path);
}

const LEVELS: Readonly<Record<string, DicomSqlLevelName>> = {
  patient: 'Patient',
  study: 'Study',
  series: 'Series',
  image: 'Image',
  worklist: 'WorkList',
};

/** Conquest's DICOMTypeSymName; the types its older table lacks are shown by their own name. */
export function dicomTypeName(type: string): string {
  const names: Record<string, string> = {
    DT_DATE: 'DT_DATE (DA)',
    DT_UINT16: 'DT_UINT16 (US)',
    DT_UINT32: 'DT_UINT32 (UL)',
    DT_UI: 'DT_UI (UI)',
    DT_STARTSEQUENCE: 'Start sequence',
    DT_ENDSEQUENCE: 'End sequence',
  };
  return names[type] ?? type;
}

export async function getSqldefCommand(args: string, ctx: CommandContext): Promise<void> {
  const form = '--get_sqldef:level,index[,fmt]';
  const [levelText, rest] = splitFirst(args);
  const [index, fmt] = splitFirst(rest ?? '');
  const level = LEVELS[levelText.trim().toLowerCase()];
  if (!level) throw new UsageError(`${form}: the level is one of patient, study, series, image, worklist`);
  const i = parseIndex(index, form);
  const sql = dicomSqlOf(ctx.config());
  const f: DicomSqlField | undefined = sql.has(level) ? sql.fields(level)[i] : undefined;
  if (!f) return;
  const line = cFormat(fmt ?? '0x%4.4x, 0x%4.4x %20s %4d %10s %12s', [
    f.group,
    f.element,
    f.column,
    f.length,
    f.sqlType,
    dicomTypeName(f.dicomType),
  ]);
  ctx.stdout.write(line);
}

// ---------------------------------------------------------------------------------------------
// Dictionary, devices, checksum

let dictionary: DictionaryEntry[] | undefined;

export async function getDicCommand(args: string, ctx: CommandContext): Promise<void> {
  const [index, fmt] = splitFirst(args);
  const i = parseIndex(index, '--get_dic:index[,fmt]');
  dictionary ??= [...allEntries()];
  const e = dictionary[i];
  if (!e) return;
  const vr = e.vrs[0] ?? 'UN';
  ctx.stdout.write(
    cFormat(fmt ?? '%04x %04x %c%c %s', [
      e.tag >>> 16,
      e.tag & 0xffff,
      vr.charCodeAt(0),
      vr.charCodeAt(1),
      e.keyword || e.name,
    ]),
  );
}

/** Free MB on a folder (what is available to this user), or -1 when it cannot be read. */
export function freeMegabytes(folder: string): number {
  try {
    const st = statfsSync(folder);
    return Math.floor((st.bavail * st.bsize) / (1 << 20));
  } catch {
    return -1;
  }
}

/** MAGn, CACHEn, MIRRORn (case-insensitive) → its folder, or undefined. */
export function deviceFolder(config: LoadedConfig, device: string): string | undefined {
  const m = /^(MAG|CACHE|MIRROR|JUKEBOX)(\d*)$/i.exec(device.trim());
  if (!m) return undefined;
  const s = config.server;
  const kind = m[1]!.toUpperCase();
  const list =
    kind === 'MAG'
      ? s.magDevices
      : kind === 'CACHE'
        ? s.cacheDevices
        : kind === 'MIRROR'
          ? s.mirrorDevices
          : s.jukeboxDevices;
  const folder = list[Number(m[2] || '0')];
  return folder || undefined;
}

export async function getFreestoreCommand(args: string, ctx: CommandContext): Promise<void> {
  const [device, fmt] = splitFirst(args);
  required(device.trim(), 'the device (MAG0, CACHE0, MIRROR0...)', '--get_freestore:device[,fmt]');
  const folder = deviceFolder(ctx.config(), device);
  ctx.stdout.write(cFormat(fmt ?? '%d', [folder ? freeMegabytes(folder) : -1]));
}

let crcTable: Uint32Array | undefined;

/**
 * Conquest's ComputeCRC (nkiqrsop.cpp): the reflected CRC-32 table (polynomial 0xEDB88320) run from 0
 * with no final inversion, over the bytes of the text.
 */
export function conquestChecksum(text: string): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0;
  for (const b of Buffer.from(text, 'latin1')) crc = (crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return crc;
}

export async function checksumCommand(args: string, ctx: CommandContext): Promise<void> {
  ctx.stdout.write(cFormat('%u', [conquestChecksum(args)]));
}
