/**
 * Conquest's configuration commands for dicom.ini and acrnema.map (manual Appendix 5, "Configuration
 * options"; ServerTask in dgate.cpp):
 *   --get_param:name[,fmt]  --get_ini_param:name[,fmt]   a [sscscp] value (fmt default %s)
 *   --get_ini_num:index[,fmt]  --get_ini:[fmt]           line `index` / every line of dicom.ini
 *   --put_param:name,value  --delete_param:name          edit dicom.ini on disk (applied by --read_ini)
 *   --read_ini:                                          the server re-reads its configuration
 *   --get_amap:index[,fmt]  --get_amaps:[fmt]            acrnema.map entries (AE, host, port, compression)
 *   --put_amap:index,AE,host,port,compression  --delete_amap:index   change the map in memory
 *   --write_amap:  --read_amap:                          memory → acrnema.map, acrnema.map → memory
 *
 * In a running server these read and change the server's own copy; without a server they read the files,
 * and --put_amap/--delete_amap edit acrnema.map directly (there is no memory to change). Output is the
 * formatted value only, without a line end, as Conquest answers (get_amaps and get_ini formats have one).
 */
import { existsSync } from 'node:fs';
import { type AcrNemaEntry, AcrNemaMap } from '../../config/acrnema-map.js';
import { loadConfig } from '../../config/config.js';
import { IniFile } from '../../config/ini.js';
import { printf as cFormat, type PrintfArg as FormatArg } from '../../text/printf.js';
import { UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { parseIndex, required, splitFirst } from './config-args.js';

// ---------------------------------------------------------------------------------------------
// dicom.ini

function rootSection(ctx: CommandContext): string {
  return ctx.config().server.rootSection;
}

function getParam(name: string, args: string, ctx: CommandContext): void {
  const [key, fmt] = splitFirst(args);
  required(key.trim(), 'the parameter name', `--${name}:name[,fmt]`);
  const value = ctx.config().ini.get(rootSection(ctx), key);
  // Conquest prints nothing for an absent or empty value (GetPrivateProfileString returned 0).
  if (value) ctx.stdout.write(cFormat(fmt ?? '%s', [value]));
}

export async function getParamCommand(args: string, ctx: CommandContext): Promise<void> {
  getParam('get_param', args, ctx);
}

export async function getIniParamCommand(args: string, ctx: CommandContext): Promise<void> {
  getParam('get_ini_param', args, ctx);
}

/** dicom.ini's lines as Conquest's fgets returns them: each with its own line end. */
function iniLines(ctx: CommandContext): string[] {
  return ctx
    .config()
    .ini.allLines()
    .map((l) => l.text + l.eol);
}

export async function getIniNumCommand(args: string, ctx: CommandContext): Promise<void> {
  const [index, fmt] = splitFirst(args);
  const i = parseIndex(index, '--get_ini_num:index[,fmt]');
  const line = iniLines(ctx)[i];
  if (line !== undefined) ctx.stdout.write(cFormat(fmt ?? '%s', [line]));
}

export async function getIniCommand(args: string, ctx: CommandContext): Promise<void> {
  const fmt = args === '' ? '%s' : args;
  ctx.stdout.write(
    iniLines(ctx)
      .map((l) => cFormat(fmt, [l]))
      .join(''),
  );
}

/**
 * Edits dicom.ini on disk, as Conquest's put_param/delete_param do: the running server keeps what it read
 * until --read_ini. The file is re-read first so that edits made by hand since the start are kept.
 */
function editIni(ctx: CommandContext, edit: (ini: IniFile, root: string) => void): void {
  const path = ctx.config().iniPath;
  const ini = existsSync(path) ? IniFile.read(path) : IniFile.parse(ctx.config().ini.toString(), path);
  const root = ini.get('sscscp', 'MicroPACS') || 'sscscp';
  edit(ini, root);
  ini.write(path);
}

export async function putParamCommand(args: string, ctx: CommandContext): Promise<void> {
  const form = '--put_param:name,value';
  const [key, value] = splitFirst(args);
  required(key.trim(), 'the parameter name', form);
  if (value === undefined) throw new UsageError(`${form}: the value is missing (give an empty one as name,)`);
  if (/[\r\n]/.test(value) || /[=\r\n[\]]/.test(key))
    throw new UsageError(`${form}: names cannot contain = [ ] or line breaks, values no line breaks`);
  editIni(ctx, (ini, root) => ini.set(root, key.trim(), value));
}

export async function deleteParamCommand(args: string, ctx: CommandContext): Promise<void> {
  const key = required(args.trim(), 'the parameter name', '--delete_param:name');
  editIni(ctx, (ini, root) => {
    ini.delete(root, key);
  });
}

export async function readIniCommand(_args: string, ctx: CommandContext): Promise<void> {
  if (ctx.server) ctx.server.reloadConfig();
  // Without a server there is nothing to re-read into; reading the files still reports their errors.
  else loadConfig(ctx.dir, { writeDefaults: false });
}

// ---------------------------------------------------------------------------------------------
// acrnema.map

const AMAP_FORMAT = '%-17s %-30s %-10s %-16s';

/** Conquest passes the four columns three times, so a format may use each up to three times. */
function amapArgs(e: AcrNemaEntry): FormatArg[] {
  const four = [e.ae, e.host, e.port, e.compression];
  return [...four, ...four, ...four];
}

export async function getAmapCommand(args: string, ctx: CommandContext): Promise<void> {
  const [index, fmt] = splitFirst(args);
  const e = ctx.config().acrNemaMap.get(parseIndex(index, '--get_amap:index[,fmt]'));
  if (e) ctx.stdout.write(cFormat(fmt ?? AMAP_FORMAT, amapArgs(e)));
}

export async function getAmapsCommand(args: string, ctx: CommandContext): Promise<void> {
  const fmt = args === '' ? `${AMAP_FORMAT}\n` : args;
  const out = ctx
    .config()
    .acrNemaMap.entries.filter((e) => !e.ae.includes('*')) // Conquest leaves out the wildcard entries
    .map((e) => cFormat(fmt, amapArgs(e)));
  ctx.stdout.write(out.join(''));
}

/**
 * Changes acrnema.map: the running server's copy in memory (written by --write_amap), or, without a
 * server, the file itself.
 */
function changeMap(ctx: CommandContext, change: (map: AcrNemaMap) => void): void {
  const config = ctx.config();
  if (ctx.server) {
    change(config.acrNemaMap);
    ctx.server.configChanged();
    return;
  }
  const path = config.acrNemaMapPath;
  const map = existsSync(path) ? AcrNemaMap.read(path) : config.acrNemaMap;
  change(map);
  map.write(path);
}

export async function putAmapCommand(args: string, ctx: CommandContext): Promise<void> {
  const form = '--put_amap:index,AE,host,port,compression';
  // Conquest splits into at most five fields: the compression keeps any further commas (then refused).
  const comma = /,/g;
  const fields: string[] = [];
  let start = 0;
  while (fields.length < 4 && comma.exec(args)) {
    fields.push(args.slice(start, comma.lastIndex - 1));
    start = comma.lastIndex;
  }
  fields.push(args.slice(start));
  const index = parseIndex(fields[0] ?? '', form);
  const [, ae, host, port, compression] = fields.map((f) => (f === '' ? undefined : f));
  changeMap(ctx, (map) => {
    const old = map.get(index);
    if (!old && (!ae || !host || !port))
      throw new UsageError(
        `${form}: entry ${index} is new (the map has ${map.size}), so AE, host and port are needed`,
      );
    map.put(index, {
      ae: ae ?? old!.ae,
      host: host ?? old!.host,
      port: port ?? old!.port,
      compression: compression ?? old?.compression ?? 'un',
      extra: old?.extra ?? [],
    });
  });
}

export async function deleteAmapCommand(args: string, ctx: CommandContext): Promise<void> {
  const index = parseIndex(args, '--delete_amap:index');
  changeMap(ctx, (map) => {
    map.delete(index); // an index past the end changes nothing, as in Conquest
  });
}

export async function writeAmapCommand(_args: string, ctx: CommandContext): Promise<void> {
  const config = ctx.config();
  config.acrNemaMap.write(config.acrNemaMapPath);
}

export async function readAmapCommand(_args: string, ctx: CommandContext): Promise<void> {
  const config = ctx.config();
  const fresh = AcrNemaMap.read(config.acrNemaMapPath);
  for (const w of fresh.warnings) ctx.log.warn(w);
  if (!ctx.server) return; // nothing in memory to replace; the file was read without error
  config.acrNemaMap.replaceWith(fresh);
  ctx.server.configChanged();
}
