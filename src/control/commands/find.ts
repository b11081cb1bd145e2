/**
 * Conquest's finders and listers (manual Appendix 5, database options), C-FIND SCU commands:
 *   --patientfinder:srv|str|fmt|file   --studyfinder:srv|str|fmt|file
 *   --seriesfinder:srv|str|fmt|file    --imagefinder:srv|str|fmt|file
 *   --serieslister:srv|pat|stu|fmt|file
 *   --imagelister:srv|pat|ser|fmt|file (lists this server's files of the series)
 * `srv` is a node (acrnema.map AE, AE@host:port, host:port) or `local`/`(local)` for this server; `fmt` is a
 * printf format applied to each result, `file` receives the output (stdout when empty; `cgi` adds an HTTP
 * header). What is searched, and the values each format receives, follow dgate.cpp's PatientStudyFinder,
 * SeriesUIDLister and ImageFileLister (see docs/commands/query.md).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Dataset } from '../../dicom/dataset.js';
import { AssociationError } from '../../net/association.js';
import type { DicomClient, ProposedContext } from '../../net/client.js';
import { formatStatus } from '../../net/dimse/status.js';
import { type PrintfArg, printf } from '../../text/printf.js';
import { UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { imagesByUid, type LocalImage, seriesImages } from '../index-lookup.js';
import { isLocalNode, withPeer } from '../peer.js';

const PATIENT_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const NATIVE = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];
const FIND_CONTEXTS: ProposedContext[] = [
  { abstractSyntax: PATIENT_ROOT_FIND, transferSyntaxes: NATIVE },
  { abstractSyntax: STUDY_ROOT_FIND, transferSyntaxes: NATIVE },
];

type Level = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

const T = {
  StudyDate: 0x00080020,
  SeriesTime: 0x00080031,
  Modality: 0x00080060,
  ModalitiesInStudy: 0x00080061,
  SOPInstanceUID: 0x00080018,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  InstanceNumber: 0x00200013,
  SliceLocation: 0x00201041,
  NumberOfFrames: 0x00280008,
} as const;

/**
 * The keys each finder asks for, in tag order: the values its format receives, in this order (Conquest
 * prints the first seven elements of each response, Query/Retrieve Level left out).
 */
const FINDER_KEYS: Record<Level, readonly number[]> = {
  PATIENT: [T.PatientName, T.PatientID],
  STUDY: [T.StudyDate, T.ModalitiesInStudy, T.PatientName, T.PatientID, T.StudyInstanceUID],
  SERIES: [
    T.StudyDate,
    T.SeriesTime,
    T.Modality,
    T.PatientName,
    T.PatientID,
    T.StudyInstanceUID,
    T.SeriesInstanceUID,
  ],
  IMAGE: [
    T.SOPInstanceUID,
    T.PatientName,
    T.PatientID,
    T.StudyInstanceUID,
    T.SeriesInstanceUID,
    T.InstanceNumber,
    T.SliceLocation,
  ],
};

/** How often Conquest passes the values to fprintf (so that a format may use them more than once). */
const REPEATS: Record<Level, number> = { PATIENT: 8, STUDY: 7, SERIES: 7, IMAGE: 7 };

/** The unique key duplicates are removed on. */
const PRIMARY_KEY: Record<Level, number> = {
  PATIENT: T.PatientID,
  STUDY: T.StudyInstanceUID,
  SERIES: T.SeriesInstanceUID,
  IMAGE: T.SOPInstanceUID,
};

/** `a|b|c`: Conquest splits these commands on `|`, at most six fields (the last keeps any further `|`). */
function splitBar(args: string): string[] {
  const parts = args.split('|');
  return parts.length > 6 ? [...parts.slice(0, 5), parts.slice(5).join('|')] : parts;
}

/** Where the output goes: `file` (relative to the working directory), stdout, or stdout as CGI. */
function emit(target: string | undefined, text: string, ctx: CommandContext): void {
  const t = (target ?? '').trim();
  if (t === '' || t === 'binary') ctx.stdout.write(text);
  else if (t === 'cgi') ctx.stdout.write(`Content-type: text/html\n\n${text}`);
  else writeFileSync(resolve(ctx.dir, t), text);
}

/**
 * A search string as a date, as Conquest reads it: yyyy, yyyymm, yyyymmdd, or a range (yyyymmdd-,
 * -yyyymmdd, yyyymmdd-yyyymmdd); undefined when it is none of these.
 */
export function searchDate(str: string): string | undefined {
  const n = (s: string): number => Number.parseInt(s, 10);
  const inRange = (s: string): boolean => n(s) > 19000000 && n(s) < 22000000;
  if (/^\d{4}$/.test(str) && n(str) > 1900 && n(str) < 2200) return `${str}0101-${str}1231`;
  if (/^\d{6}$/.test(str) && n(str) > 190000 && n(str) < 220000) return `${str}01-${str}31`;
  if (/^\d{8}$/.test(str) && inRange(str)) return str;
  if (/^\d{8}-$/.test(str) && inRange(str)) return str;
  if (/^-\d{8}$/.test(str) && inRange(str.slice(1))) return str;
  if (/^\d{8}-\d{8}$/.test(str) && inRange(str) && inRange(str.slice(9))) return str;
  return undefined;
}

/** An identifier asking for the finder's keys, with the given ones set. */
function finderIdentifier(level: Level, set: Partial<Record<number, string>>): Dataset {
  const ds = new Dataset();
  ds.setStrings('QueryRetrieveLevel', level);
  for (const tag of FINDER_KEYS[level]) ds.setStrings(tag, set[tag] ?? '');
  return ds;
}

/**
 * The searches a finder runs for `str` (Conquest's PatientStudyFinder): on the patient ID (`*str*`, or
 * exactly after `=`), on the patient name (not for images), on the study date when `str` reads as one
 * (studies and series), and for series after `=` on the study UID. `=uid` for images lists a series.
 */
export function finderSearches(level: Level, str: string): Dataset[] {
  const exact = str.startsWith('=');
  const value = exact ? str.slice(1) : `*${str}*`;
  const searches: Dataset[] = [];
  if (level === 'IMAGE')
    searches.push(
      finderIdentifier(level, exact ? { [T.SeriesInstanceUID]: value } : { [T.PatientID]: value }),
    );
  else {
    searches.push(finderIdentifier(level, { [T.PatientID]: value }));
    searches.push(finderIdentifier(level, { [T.PatientName]: value }));
  }
  if ((level === 'STUDY' || level === 'SERIES') && !exact) {
    const date = searchDate(str);
    if (date) searches.push(finderIdentifier(level, { [T.StudyDate]: date }));
  }
  if (level === 'SERIES' && exact && str.length > 8)
    searches.push(finderIdentifier(level, { [T.StudyInstanceUID]: value }));
  return searches;
}

function text(ds: Dataset, tag: number): string {
  return ds.strings(tag).join('\\');
}

/** Conquest's RemoveQueryDuplicates: sorted on the level's unique key (shorter first, then case-blind). */
export function removeDuplicates(level: Level, results: readonly Dataset[]): Dataset[] {
  const key = (ds: Dataset): string => text(ds, PRIMARY_KEY[level]);
  const sorted = [...results].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka.length !== kb.length) return ka.length - kb.length;
    const la = ka.toLowerCase();
    const lb = kb.toLowerCase();
    return la < lb ? -1 : la > lb ? 1 : 0;
  });
  const out: Dataset[] = [];
  for (const ds of sorted) {
    const last = out[out.length - 1];
    if (last && key(last).toLowerCase() === key(ds).toLowerCase()) out[out.length - 1] = ds;
    else out.push(ds);
  }
  return out;
}

function repeat<T>(values: readonly T[], times: number): T[] {
  return Array.from({ length: times }, () => values).flat();
}

/** Runs the searches on the node (one association) and returns every match. */
async function query(
  spec: string,
  ctx: CommandContext,
  level: Level,
  searches: Dataset[],
): Promise<Dataset[]> {
  const sop = level === 'PATIENT' ? PATIENT_ROOT_FIND : STUDY_ROOT_FIND;
  return withPeer(spec, ctx, FIND_CONTEXTS, async (client: DicomClient) => {
    const all: Dataset[] = [];
    for (const identifier of searches) {
      const { status, matches } = await client.findAll(sop, identifier);
      if (status !== 0) throw new AssociationError(`C-FIND answered with ${formatStatus(status)}`);
      all.push(...matches);
    }
    return all;
  });
}

const DEFAULT_FINDER_FORMAT: Record<Level, string> = {
  PATIENT: '%s %s',
  STUDY: '%s %s %s %s %s',
  SERIES: '%s %s %s %s %s %s %s',
  IMAGE: '%s %s %s %s %s %s %s',
};

async function finder(name: string, level: Level, args: string, ctx: CommandContext): Promise<void> {
  const [srv, str = '', fmt, file] = splitBar(args);
  if (!srv) throw new UsageError(`--${name} needs a node: --${name}:srv|str|fmt|file`);
  const format = `${fmt || DEFAULT_FINDER_FORMAT[level]}\n`;
  const results = removeDuplicates(level, await query(srv, ctx, level, finderSearches(level, str)));
  let out = '';
  for (const ds of results) {
    const values = FINDER_KEYS[level].map((tag) => text(ds, tag));
    out += printf(format, repeat(values, REPEATS[level]));
  }
  emit(file, out, ctx);
}

export const patientFinderCommand = (args: string, ctx: CommandContext): Promise<void> =>
  finder('patientfinder', 'PATIENT', args, ctx);
export const studyFinderCommand = (args: string, ctx: CommandContext): Promise<void> =>
  finder('studyfinder', 'STUDY', args, ctx);
export const seriesFinderCommand = (args: string, ctx: CommandContext): Promise<void> =>
  finder('seriesfinder', 'SERIES', args, ctx);
export const imageFinderCommand = (args: string, ctx: CommandContext): Promise<void> =>
  finder('imagefinder', 'IMAGE', args, ctx);

/**
 * A lister's format: `%s*` by default (items joined by `*`), a newline added unless the format ends in `*`
 * or starts with `$` (the image lister's frame counts).
 */
function listerFormat(fmt: string | undefined): string {
  const f = fmt || '%s*';
  return f.startsWith('$') || f.endsWith('*') ? f : `${f}\n`;
}

export async function seriesListerCommand(args: string, ctx: CommandContext): Promise<void> {
  const [srv, pat = '', stu = '', fmt, file] = splitBar(args);
  if (!srv) throw new UsageError('--serieslister needs a node: --serieslister:srv|pat|stu|fmt|file');
  const format = listerFormat(fmt);
  const identifier = new Dataset();
  identifier.setStrings('QueryRetrieveLevel', 'SERIES');
  identifier.setStrings(T.PatientID, pat);
  identifier.setStrings(T.StudyInstanceUID, stu);
  identifier.setStrings(T.SeriesInstanceUID, '');
  const results = await query(srv, ctx, 'SERIES', [identifier]);
  if (format.startsWith('?')) {
    emit(file, printf(format.slice(1), [results.length]), ctx);
    return;
  }
  let out = '';
  results.forEach((ds, i) => {
    const uid = ds.string(T.SeriesInstanceUID);
    if (uid) out += printf(format, repeat<PrintfArg>([uid, i], 3));
  });
  emit(file, out, ctx);
}

/** The images of the series: from this server's index, or found on the node and located in the index. */
async function listedImages(
  srv: string,
  pat: string,
  ser: string,
  ctx: CommandContext,
): Promise<LocalImage[]> {
  const archive = await ctx.archive();
  if (isLocalNode(srv)) return seriesImages(archive, ser, pat);
  const identifier = new Dataset();
  identifier.setStrings('QueryRetrieveLevel', 'IMAGE');
  identifier.setStrings(T.PatientID, pat);
  identifier.setStrings(T.SeriesInstanceUID, ser);
  identifier.setStrings(T.SOPInstanceUID, '');
  identifier.setStrings(T.InstanceNumber, '');
  identifier.setStrings(T.NumberOfFrames, '');
  const found = await query(srv, ctx, 'IMAGE', [identifier]);
  const local = await imagesByUid(
    archive,
    found.map((ds) => ds.string(T.SOPInstanceUID) ?? ''),
  );
  // What the node has but this server does not: listed without a file (Conquest skips those too).
  return found.map((ds) => {
    const sop = ds.string(T.SOPInstanceUID) ?? '';
    return {
      sopInstanceUid: sop,
      patientId: text(ds, T.PatientID),
      device: local.get(sop)?.device ?? '',
      file: local.get(sop)?.file ?? '',
      path: local.get(sop)?.path,
      instanceNumber: text(ds, T.InstanceNumber),
      frames: text(ds, T.NumberOfFrames),
    };
  });
}

/** One image line in the lister's format (Conquest's ImageFileLister: `#`, `@`, `:`, `$` or a file name). */
function imageLine(format: string, img: LocalImage, i: number, pat: string): string {
  const is = String(i);
  const is1 = String(i + 1);
  const prefix = format[0];
  const rest = format.slice(1);
  if (prefix === '#') return printf(rest, repeat<PrintfArg>([img.device, img.file, is, is1], 3));
  if (prefix === '@')
    return printf(rest, repeat<PrintfArg>([img.device, img.file.replace(/\\/g, '/'), is, is1], 3));
  if (prefix === ':')
    return printf(rest, repeat<PrintfArg>([pat.replace(/ /g, '%20'), img.sopInstanceUid, is, is1], 3));
  if (prefix === '$') return printf(rest, [Number.parseInt(img.frames, 10) || 0]);
  return printf(format, repeat<PrintfArg>([img.path ?? '', is, is1], 3));
}

export async function imageListerCommand(args: string, ctx: CommandContext): Promise<void> {
  const [srv, pat = '', ser = '', fmt, file] = splitBar(args);
  if (!srv) throw new UsageError('--imagelister needs a node: --imagelister:srv|pat|ser|fmt|file');
  let format = listerFormat(fmt);
  // On image number, as Conquest sorts them (stable: equal numbers keep the index order).
  const images = (await listedImages(srv, pat, ser, ctx)).sort(
    (a, b) => (Number.parseInt(a.instanceNumber, 10) || 0) - (Number.parseInt(b.instanceNumber, 10) || 0),
  );
  if (format.startsWith('?')) {
    emit(file, printf(format.slice(1), [images.length]), ctx);
    return;
  }
  let out = '';
  images.forEach((img, i) => {
    if (!img.path) return;
    // The last item drops the `*` that separates items.
    if (i === images.length - 1 && format.endsWith('*')) format = format.slice(0, -1);
    out += imageLine(format, img, i, pat);
  });
  emit(file, out, ctx);
}
