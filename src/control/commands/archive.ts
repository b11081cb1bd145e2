/**
 * Archive maintenance commands (manual Appendix 5, maintenance, delete, communication and database
 * options). They run in the server when one answers (its index writer and cache must see the change),
 * else in dgate's own process; the work is done by src/archive/maintenance. File and folder names are
 * resolved against the working directory (-w), by whichever process runs the command.
 */
import { resolve } from 'node:path';
import {
  deleteFromArchive,
  deleteImageFile,
  deleteSummary,
  parseDateRange,
} from '../../archive/maintenance/delete.js';
import { addFile, loadAndDeleteDir } from '../../archive/maintenance/import.js';
import {
  type RegenResult,
  regenAll,
  regenDevice,
  regenDir,
  regenFile,
  regenSummary,
} from '../../archive/maintenance/regen.js';
import { runSqlQuery } from '../../archive/maintenance/sql-query.js';
import { type InitializeMode, initializeTables } from '../../archive/maintenance/tables.js';
import { splitArgs, UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';

function need(value: string | undefined, usage: string): string {
  const v = value?.trim() ?? '';
  if (!v) throw new UsageError(usage);
  return v;
}

function path(ctx: CommandContext, file: string): string {
  return resolve(ctx.dir, file);
}

// ---------------------------------------------------------------------------------------------
// Tables and regen

export async function initializeTablesCommand(args: string, ctx: CommandContext): Promise<void> {
  const mode = initializeMode(args);
  const r = await initializeTables(await ctx.archive(), mode, { log: ctx.log });
  ctx.stdout.write(`initialized ${r.tables.join(', ')}${mode === 1 ? ' (without indices)' : ''}\n`);
}

function initializeMode(args: string): InitializeMode {
  const a = args.trim();
  if (a === '' || a === '0') return 0;
  if (a === '1' || a === '2') return Number(a) as InitializeMode;
  throw new UsageError(
    '--initializetables:[mode]: empty clears and creates the database, 1 without indices, 2 only the worklist',
  );
}

function printRegen(ctx: CommandContext, r: RegenResult): void {
  ctx.stdout.write(`${regenSummary(r)}\n`);
}

export async function regenCommand(_args: string, ctx: CommandContext): Promise<void> {
  printRegen(ctx, await regenAll(await ctx.archive(), { log: ctx.log }));
}

/** -r[mode]: Conquest's "Init/regenerate DB": initialize the tables, then regen. */
export async function initRegenCommand(args: string, ctx: CommandContext): Promise<void> {
  await initializeTablesCommand(args, ctx);
  await regenCommand('', ctx);
}

/** --regendevice:MAGn (also MAGn,dir, for -arDEV,dir). */
export async function regenDeviceCommand(args: string, ctx: CommandContext): Promise<void> {
  const [device, dir] = splitArgs(args, 2);
  const dev = need(device, '--regendevice:device needs a device, e.g. --regendevice:MAG0');
  const archive = await ctx.archive();
  const r = dir?.trim()
    ? await regenDir(archive, dev, dir.trim(), { log: ctx.log })
    : await regenDevice(archive, dev, { log: ctx.log });
  printRegen(ctx, r);
}

export async function regenDirCommand(args: string, ctx: CommandContext): Promise<void> {
  const [device, dir] = splitArgs(args, 2);
  const usage = '--regendir:device,dir needs a device and a folder on it, e.g. --regendir:MAG0,PAT001';
  printRegen(
    ctx,
    await regenDir(await ctx.archive(), need(device, usage), need(dir, usage), { log: ctx.log }),
  );
}

export async function regenFileCommand(args: string, ctx: CommandContext): Promise<void> {
  const file = need(args, '--regenfile:file needs the file to enter');
  printRegen(ctx, await regenFile(await ctx.archive(), path(ctx, file), { log: ctx.log }));
}

// ---------------------------------------------------------------------------------------------
// Adding files

/** --addimagefile:file[,patid] and --addlocalfile:file[,patid] (the same here: the file is read where the command runs). */
export async function addImageFileCommand(args: string, ctx: CommandContext): Promise<void> {
  const [file, patid] = splitArgs(args, 2);
  const f = need(file, '--addimagefile:file[,patid] needs the file to add');
  const added = await addFile(await ctx.archive(), path(ctx, f), {
    log: ctx.log,
    patientId: patid?.trim() ? patid.trim() : undefined,
  });
  if (patid?.trim()) ctx.stdout.write(`Modified patient ID to: ${patid.trim()}\n`);
  ctx.stdout.write(`Added file: ${added.path}\n`);
}

export async function loadAndDeleteDirCommand(args: string, ctx: CommandContext): Promise<void> {
  const [dir, patid] = splitArgs(args, 2);
  const d = need(dir, '--loadanddeletedir:dir[,patid] needs the folder to load');
  const r = await loadAndDeleteDir(await ctx.archive(), path(ctx, d), {
    log: ctx.log,
    patientId: patid?.trim() ? patid.trim() : undefined,
  });
  for (const f of r.failures) ctx.stdout.write(`*** not loaded (kept): ${f.file}: ${f.reason}\n`);
  ctx.stdout.write(`loadanddeletedir: ${r.files} files, ${r.loaded} loaded and deleted, ${r.failed} kept\n`);
}

// ---------------------------------------------------------------------------------------------
// Deleting

/** `patid:uid` or `uid` (Conquest's DeleteStudy/DeleteSeries split on the first ':'). */
function patientAndUid(args: string, usage: string): { patientId?: string; uid: string } {
  const a = need(args, usage);
  const colon = a.indexOf(':');
  if (colon < 0) return { uid: a };
  const uid = need(a.slice(colon + 1), usage);
  const patientId = a.slice(0, colon).trim();
  return patientId ? { patientId, uid } : { uid };
}

async function runDelete(
  ctx: CommandContext,
  heading: string,
  target: Parameters<typeof deleteFromArchive>[1],
  keepFiles: boolean,
): Promise<void> {
  ctx.stdout.write(`${heading}\n`);
  const r = await deleteFromArchive(await ctx.archive(), target, { log: ctx.log, keepFiles });
  ctx.stdout.write(`${deleteSummary(r, keepFiles)}\n`);
}

function deletePatient(keepFiles: boolean) {
  return async (args: string, ctx: CommandContext): Promise<void> => {
    const pid = need(args, '--deletepatient:patid needs a patient ID');
    const what = keepFiles ? 'Deleting database entries for patient' : 'Deleting patient';
    await runDelete(ctx, `${what}: ${pid}`, { patientId: pid }, keepFiles);
  };
}

function deleteStudy(keepFiles: boolean) {
  return async (args: string, ctx: CommandContext): Promise<void> => {
    const t = patientAndUid(args, '--deletestudy:patid:studyuid needs a study UID (patid: is optional)');
    const what = keepFiles ? 'Deleting database entries for study' : 'Deleting study';
    await runDelete(ctx, `${what}: ${t.uid}`, { patientId: t.patientId, studyUid: t.uid }, keepFiles);
  };
}

function deleteSeries(keepFiles: boolean) {
  return async (args: string, ctx: CommandContext): Promise<void> => {
    const t = patientAndUid(args, '--deleteseries:patid:seriesuid needs a series UID (patid: is optional)');
    const what = keepFiles ? 'Deleting database entries for series' : 'Deleting series';
    await runDelete(ctx, `${what}: ${t.uid}`, { patientId: t.patientId, seriesUid: t.uid }, keepFiles);
  };
}

function deleteImage(keepFiles: boolean) {
  return async (args: string, ctx: CommandContext): Promise<void> => {
    const t = patientAndUid(args, '--deleteimage:patid:sop needs a SOP Instance UID (patid: is optional)');
    const what = keepFiles ? 'Deleting database entry for image' : 'Deleting image';
    await runDelete(ctx, `${what}: ${t.uid}`, { patientId: t.patientId, sopUid: t.uid }, keepFiles);
  };
}

export const deletePatientCommand = deletePatient(false);
export const deleteStudyCommand = deleteStudy(false);
export const deleteSeriesCommand = deleteSeries(false);
export const deleteImageCommand = deleteImage(false);
/** The -fp, -ft, -fs, -fi switches: "Delete DB for Patient, Study, Series, Image" (the files stay). */
export const deletePatientDbCommand = deletePatient(true);
export const deleteStudyDbCommand = deleteStudy(true);
export const deleteSeriesDbCommand = deleteSeries(true);
export const deleteImageDbCommand = deleteImage(true);

export async function deleteStudiesCommand(args: string, ctx: CommandContext): Promise<void> {
  const date = need(args, '--deletestudies:date(range) needs a date: YYYYMMDD or YYYYMMDD-YYYYMMDD');
  try {
    parseDateRange(date);
  } catch (e) {
    throw new UsageError(`--deletestudies: ${(e as Error).message}`);
  }
  await runDelete(ctx, `Deleting studies on date: ${date}`, { studyDate: date }, false);
}

function deleteFile(keepFiles: boolean) {
  return async (args: string, ctx: CommandContext): Promise<void> => {
    const name = keepFiles ? 'deleteimagefromdb' : 'deleteimagefile';
    const file = path(ctx, need(args, `--${name}:file needs the image file`));
    ctx.stdout.write(`${keepFiles ? 'Deleting database entry for image' : 'Deleting image file'}: ${file}\n`);
    const r = await deleteImageFile(await ctx.archive(), file, { log: ctx.log, keepFiles });
    ctx.stdout.write(`${deleteSummary(r, keepFiles)}\n`);
  };
}

export const deleteImageFileCommand = deleteFile(false);
export const deleteImageFromDbCommand = deleteFile(true);

export async function deleteSopFromDbCommand(args: string, ctx: CommandContext): Promise<void> {
  const [pat, study, series, sop] = splitArgs(args, 4).map((s) => s.trim());
  const usage = '--deletesopfromdb:patid,studyuid,seriesuid,sopuid needs all four';
  const t = { patientId: need(pat, usage), studyUid: need(study, usage), seriesUid: need(series, usage) };
  await runDelete(
    ctx,
    `Deleting database entry for image: ${need(sop, usage)}`,
    { sopUid: sop!, patientId: t.patientId, alsoCheck: t },
    true,
  );
}

// ---------------------------------------------------------------------------------------------
// Queries

function queryCommand(withMax: boolean) {
  const name = withMax ? 'query2' : 'query';
  const usage = withMax
    ? '--query2:table|fields|where|fmt|max|file'
    : '--query:table|fields|where|fmt|file (where, fmt and file may be empty)';
  return async (args: string, ctx: CommandContext): Promise<void> => {
    const items = args.split('|');
    const [table, fields, where = '', format = ''] = items;
    const max = withMax ? Number(items[4] ?? '0') : 0;
    const out = (withMax ? items[5] : items[4])?.trim() ?? '';
    if (!table?.trim() || !fields?.trim())
      throw new UsageError(`--${name} needs a table and fields: ${usage}`);
    if (!Number.isInteger(max) || max < 0)
      throw new UsageError(`--${name}: max must be a whole number: ${usage}`);
    const text = await runSqlQuery(await ctx.archive(), { table, fields, where, format, max });
    if (out === '' || out === 'binary') ctx.stdout.write(text);
    else if (out === 'cgi') ctx.stdout.write(`Content-type: text/html\n\n${text}`);
    else {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path(ctx, out), text);
    }
  };
}

export const queryCommandRun = queryCommand(false);
export const query2CommandRun = queryCommand(true);
