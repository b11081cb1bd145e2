/**
 * What the pages read from the index, through the C-FIND query engine (archive/query.ts), so that a
 * search matches exactly as a C-FIND does, on every driver. The manual's "Find Patient/Study/Series"
 * semantics: the search text is a substring of the patient name or the patient ID (two queries, merged);
 * a date is yyyy, yyyymm, yyyymmdd or a range of those.
 */
import { buildQuery, type QueryLevel, resultToDataset } from '../../archive/query.js';
import { selectForRetrieve } from '../../archive/retrieve.js';
import { Dataset } from '../../dicom/dataset.js';
import { deviceFoldersOf } from '../../storage/device-names.js';
import type { WebContext } from '../context.js';

export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

export type Row = Record<string, string>;

/** At most this many rows on a page; the page says so when cut. */
export const ROW_LIMIT = 500;

const UID = /^[0-9.]{1,64}$/;

/** A UID from a request: digits and dots, at most 64 (else 400). */
export function checkUid(value: unknown, what = 'UID'): string {
  if (typeof value !== 'string' || !UID.test(value))
    throw new BadRequestError(`${what} must be digits and dots, at most 64 characters`);
  return value;
}

/**
 * A patient ID from a request: printable, at most 64 characters, and no C-FIND wildcard or list separator
 * (it is matched exactly).
 */
export function checkPatientId(value: unknown): string {
  if (typeof value !== 'string' || !/^[\x20-\x7e\u00a0-\uffff]{1,64}$/.test(value) || /[*?\\]/.test(value))
    throw new BadRequestError('a patient ID is 1-64 printable characters without * ? or \\');
  return value;
}

/** A search text: at most 64 printable characters; C-FIND wildcards are allowed. */
export function checkSearch(value: unknown): string {
  const v = typeof value === 'string' ? value.trim() : '';
  if (v.length > 64 || /[\x00-\x1f\x7f\\]/.test(v))
    throw new BadRequestError('a search text is at most 64 printable characters, without backslash');
  return v;
}

/** yyyy, yyyymm, yyyymmdd, or a range of those (a-b, a-, -b) as a DICOM DA range; '' stays ''. */
export function dateRange(value: unknown): string {
  const v = typeof value === 'string' ? value.trim().replace(/[ /.]/g, '') : '';
  if (v === '') return '';
  const m = /^(\d{4}(?:\d{2}(?:\d{2})?)?)?(-)?(\d{4}(?:\d{2}(?:\d{2})?)?)?$/.exec(v);
  if (!m || (!m[1] && !m[3]))
    throw new BadRequestError('a date is yyyy, yyyymm or yyyymmdd, or a range of those (from-to)');
  const first = (d: string) =>
    d
      .padEnd(8, '0')
      .replace(/^(\d{4})0000$/, '$10101')
      .replace(/^(\d{6})00$/, '$101');
  const last = (d: string) => (d.length === 8 ? d : d.length === 6 ? `${d}${lastDay(d)}` : `${d}1231`);
  const from = m[1] ? first(m[1]) : '';
  const to = m[2] ? (m[3] ? last(m[3]) : '') : m[1] ? last(m[1]) : '';
  return from === to ? from : `${from}-${to}`;
}

function lastDay(yyyymm: string): string {
  const y = Number(yyyymm.slice(0, 4));
  const mo = Number(yyyymm.slice(4, 6));
  return String(new Date(Date.UTC(y, mo, 0)).getUTCDate()).padStart(2, '0');
}

function index(ctx: WebContext) {
  const ix = ctx.archive.index;
  if (!ix) throw new BadRequestError('this server has no index database');
  return ix;
}

/**
 * One C-FIND at `level` (Patient Root) on the local index: `keys` match (values as in a C-FIND identifier),
 * `returns` are asked for too; each row by keyword.
 */
export async function findLocal(
  ctx: WebContext,
  level: QueryLevel,
  keys: Readonly<Record<string, string>>,
  returns: readonly string[],
): Promise<Row[]> {
  const ix = index(ctx);
  const identifier = new Dataset();
  identifier.setStrings('QueryRetrieveLevel', level);
  const names = [...new Set([...Object.keys(keys), ...returns])];
  for (const k of names) identifier.setStrings(k, keys[k] ?? '');
  const query = buildQuery(ix.schema, {
    model: 'PATIENT',
    level,
    identifier,
    dialect: ix.driver.dialect,
    computedFields: true,
  });
  const rows = await ix.driver.all(query.sql, query.params as never);
  return rows.map((row) => {
    const ds = resultToDataset(row, query.columns, identifier);
    const out: Row = {};
    for (const k of names) out[k] = ds.strings(k).join('\\');
    return out;
  });
}

/** The manual's search: substring of name or ID (merged, by `key`), plus exact keys such as a date. */
export async function search(
  ctx: WebContext,
  level: QueryLevel,
  text: string,
  keys: Readonly<Record<string, string>>,
  returns: readonly string[],
  key: (r: Row) => string,
): Promise<Row[]> {
  if (!text) return findLocal(ctx, level, keys, returns);
  const pattern = text.includes('*') || text.includes('?') ? text : `*${text}*`;
  const byName = await findLocal(ctx, level, { ...keys, PatientName: pattern }, returns);
  const byId = await findLocal(ctx, level, { ...keys, PatientID: pattern }, returns);
  const seen = new Map<string, Row>();
  for (const r of [...byName, ...byId]) if (!seen.has(key(r))) seen.set(key(r), r);
  return [...seen.values()];
}

/** Sorts on a numeric column (InstanceNumber, SeriesNumber) then on the UID. */
export function byNumber(column: string, uid: string): (a: Row, b: Row) => number {
  return (a, b) => {
    const x = Number.parseFloat(a[column] ?? '');
    const y = Number.parseFloat(b[column] ?? '');
    if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
    if (Number.isFinite(x) !== Number.isFinite(y)) return Number.isFinite(x) ? -1 : 1;
    return (a[uid] ?? '').localeCompare(b[uid] ?? '');
  };
}

/** The images of a series, in instance order, with their frame counts. */
export async function imagesOf(ctx: WebContext, seriesUid: string): Promise<Row[]> {
  const rows = await findLocal(ctx, 'IMAGE', { SeriesInstanceUID: seriesUid }, [
    'SOPInstanceUID',
    'InstanceNumber',
    'NumberOfFrames',
    'SOPClassUID',
    'StudyInstanceUID',
    'PatientID',
  ]);
  return rows.sort(byNumber('InstanceNumber', 'SOPInstanceUID'));
}

/** The file of a stored instance (undefined when the index does not know it). */
export async function fileOf(ctx: WebContext, sopUid: string): Promise<string | undefined> {
  const ix = index(ctx);
  const identifier = new Dataset();
  identifier.setStrings('QueryRetrieveLevel', 'IMAGE');
  identifier.setStrings('SOPInstanceUID', sopUid);
  const items = await selectForRetrieve(
    ix.schema,
    ix.driver,
    deviceFoldersOf(ctx.config().server),
    'PATIENT',
    identifier,
  );
  return items[0]?.path;
}

export type ObjectLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

const LEVEL_KEY: Record<ObjectLevel, string> = {
  PATIENT: 'PatientID',
  STUDY: 'StudyInstanceUID',
  SERIES: 'SeriesInstanceUID',
  IMAGE: 'SOPInstanceUID',
};

/** A level and key from a request (patient ID or UID, checked). */
export function checkTarget(level: unknown, key: unknown): { level: ObjectLevel; key: string } {
  const l = typeof level === 'string' ? level.toUpperCase() : '';
  if (!(l in LEVEL_KEY)) throw new BadRequestError('level must be patient, study, series or image');
  const lv = l as ObjectLevel;
  return { level: lv, key: lv === 'PATIENT' ? checkPatientId(key) : checkUid(key) };
}

/** The files of a patient, study, series or image, in series and instance order. */
export async function filesOf(
  ctx: WebContext,
  target: { level: ObjectLevel; key: string },
): Promise<{ sopInstanceUid: string; path: string }[]> {
  const ix = index(ctx);
  const identifier = new Dataset();
  identifier.setStrings('QueryRetrieveLevel', target.level);
  identifier.setStrings(LEVEL_KEY[target.level], target.key);
  return selectForRetrieve(ix.schema, ix.driver, deviceFoldersOf(ctx.config().server), 'PATIENT', identifier);
}
