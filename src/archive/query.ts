/**
 * The query engine behind C-FIND: a query identifier becomes one parameterised SELECT over the tables from
 * dicom.sql, and each result row becomes a response identifier. No I/O here: the caller runs the SQL on its
 * driver (`sql` with `?` placeholders for SQLite and MySQL, `$1..$n` for PostgreSQL, values in `params`).
 *
 * Following Conquest 1.5.0c (vrtosql.cpp: QueryOnPatient/QueryOnStudy/QueryOnSeries/QueryOnImage):
 * - an identifier element is looked up in the tables of the query level and the levels above it; the model
 *   decides which upper levels exist (Study Root has no patient level, so patient attributes come from the
 *   study table's copies, as Conquest's denormalised layout intends); the tables are joined through the link
 *   columns only when a key lives there (`study.PatientID = patient.PatientID` and so on);
 * - SELECT DISTINCT, like Conquest's QueryDistinct;
 * - matching per column type (see matching.ts);
 * - when no sort order is configured and the identifier holds PatientName, patient and study queries are
 *   sorted on it (Conquest's DoSort); a configured *QuerySortOrder replaces that;
 * - computed fields (EnableComputedFields): NumberOfPatientRelatedStudies/Series/Instances at the patient
 *   level, NumberOfStudyRelatedSeries/Instances at the study level, NumberOfSeriesRelatedInstances at the
 *   series level — as correlated COUNT subqueries in the same statement (Conquest runs a second query per row).
 *
 * Where this differs from Conquest, on purpose:
 * - a key is looked up first at the query level, then upwards (Conquest looks in the study table first, then
 *   patient, series, image); with consistent denormalised copies the answers are the same and fewer joins are
 *   needed;
 * - a requested key the schema does not index is returned empty (PS3.4 C.2.2.1.1 wants every requested key
 *   back; Conquest's vrtosql.cpp drops it — "Queried item ... is not in the database");
 * - `*` alone is universal matching (PS3.4 C.2.2.2.4); Conquest's `LIKE '%'` also skipped NULL columns;
 * - a list value (backslash) on a DT_MSTR column matches any of its values; Conquest compares it whole;
 * - ModalitiesInStudy and SOPClassesInStudy can be computed from the series and image tables (matching: the
 *   study has a series/image that matches); with the default dicom.sql, ModalitiesInStudy is the study table's
 *   StudyModality column (DT_MSTR), as in Conquest;
 * - DA and TM ranges are matched independently (no combined date-time range, PS3.4 C.2.2.2.5).
 */
import type { DicomSqlLevelName } from '../db/dicom-sql.js';
import {
  type DicomSchema,
  type IndexedTag,
  type LevelMapping,
  quoteIdentifier,
  type SqlDialect,
  tableOf,
} from '../db/schema.js';
import { Dataset, defaultVR } from '../dicom/dataset.js';
import { DataElement } from '../dicom/element.js';
import type { Tag } from '../dicom/tag.js';
import { binaryValueSize, isSingleValuedText, isStringVR, type VR } from '../dicom/vr.js';
import { matchCondition, PARAM, type SqlFragment } from './matching.js';

export type QueryModel = 'PATIENT' | 'STUDY' | 'PATIENTSTUDYONLY';
export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** A query that cannot be answered; `status` is the C-FIND status to send. */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

/** C-FIND statuses used here (PS3.4 C.4.1.1.4). */
export const STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS = 0xa900;
export const STATUS_UNABLE_TO_PROCESS = 0xc000;

export const TAG = {
  SpecificCharacterSet: 0x00080005,
  QueryRetrieveLevel: 0x00080052,
  RetrieveAETitle: 0x00080054,
  ModalitiesInStudy: 0x00080061,
  SOPClassesInStudy: 0x00080062,
  Modality: 0x00080060,
  SOPClassUID: 0x00080016,
  PatientName: 0x00100010,
  NumberOfPatientRelatedStudies: 0x00201200,
  NumberOfPatientRelatedSeries: 0x00201202,
  NumberOfPatientRelatedInstances: 0x00201204,
  NumberOfStudyRelatedSeries: 0x00201206,
  NumberOfStudyRelatedInstances: 0x00201208,
  NumberOfSeriesRelatedInstances: 0x00201209,
} as const;

const LEVEL_NAME: Record<QueryLevel, DicomSqlLevelName> = {
  PATIENT: 'Patient',
  STUDY: 'Study',
  SERIES: 'Series',
  IMAGE: 'Image',
};
const HIERARCHY: readonly DicomSqlLevelName[] = ['Patient', 'Study', 'Series', 'Image'];

const MODEL_LEVELS: Record<QueryModel, readonly QueryLevel[]> = {
  PATIENT: ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'],
  STUDY: ['STUDY', 'SERIES', 'IMAGE'],
  PATIENTSTUDYONLY: ['PATIENT', 'STUDY'],
};

export interface QueryRequest {
  model: QueryModel;
  level: QueryLevel;
  identifier: Dataset;
  dialect: SqlDialect;
  /** The dicom.ini *QuerySortOrder value for this level (see sortOrderSetting); validated against the schema. */
  sort?: string;
  /** dicom.ini EnableComputedFields; default true (Conquest's default 1). */
  computedFields?: boolean;
  /**
   * Where ModalitiesInStudy comes from: 'column' the study table's column for (0008,0061) (dicom.sql's
   * StudyModality); 'series' computed from the series' Modality; 'auto' (default) the column when the schema
   * has one, else computed (when computed fields are on).
   */
  modalitiesInStudy?: 'auto' | 'column' | 'series';
}

export type ResultColumnKind =
  /** A column of a level table. */
  | 'column'
  /** A COUNT subquery (IS). */
  | 'count'
  /** A list aggregated from a lower level (ModalitiesInStudy, SOPClassesInStudy). */
  | 'list'
  /** Not indexed: returned zero-length. */
  | 'empty'
  /** (0008,0052), filled with the query level. */
  | 'level'
  /** (0008,0054), filled with the caller's AE title when it gives one. */
  | 'retrieveAE';

export interface ResultColumn {
  readonly tag: Tag;
  readonly vr: VR;
  readonly kind: ResultColumnKind;
  /** The SELECT alias holding the value (column, count, list). */
  readonly alias?: string;
  readonly indexed?: IndexedTag;
  /** The level whose table the value is read from. */
  readonly level?: DicomSqlLevelName;
  /** Added because PS3.4 C.2.2.1 requires it, not asked for. */
  readonly required: boolean;
  /** For 'level': the value. */
  readonly constant?: string;
}

export interface BuiltQuery {
  readonly sql: string;
  readonly params: unknown[];
  /** The response's elements, in identifier order (required ones and the level last). */
  readonly columns: ResultColumn[];
  /** The level tables the statement reads, query level first. */
  readonly tables: string[];
}

/** The dicom.ini setting that sorts queries at a level. */
export function sortOrderSetting(level: QueryLevel): string {
  return `${LEVEL_NAME[level]}QuerySortOrder`;
}

/** The levels whose tables may answer a query at `level` in `model`: the query level first, then upwards. */
export function levelsFor(model: QueryModel, level: QueryLevel): DicomSqlLevelName[] {
  if (!MODEL_LEVELS[model].includes(level))
    throw new QueryError(
      `the ${model === 'PATIENT' ? 'Patient Root' : model === 'STUDY' ? 'Study Root' : 'Patient/Study Only'} model has no ${level} level`,
      STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS,
    );
  const own = LEVEL_NAME[level];
  const out: DicomSqlLevelName[] = [];
  for (let i = HIERARCHY.indexOf(own); i >= 0; i--) {
    const l = HIERARCHY[i]!;
    if (l === 'Patient' && model === 'STUDY') continue;
    out.push(l);
  }
  return out;
}

/** Tags that steer the query rather than select: never matched, never returned as data. */
function isControlTag(tag: Tag): boolean {
  const group = tag >>> 16;
  const element = tag & 0xffff;
  return group === 0x0000 || group === 0x0002 || group === 0x9999 || element === 0x0000;
}

interface Builder {
  schema: DicomSchema;
  dialect: SqlDialect;
  levels: DicomSqlLevelName[];
  select: string[];
  where: SqlFragment[];
  used: Set<DicomSqlLevelName>;
  n: number;
}

function mapping(schema: DicomSchema, level: DicomSqlLevelName): LevelMapping {
  const m = schema.levels[level];
  if (!m) throw new QueryError(`dicom.sql defines no *${level}* level`, STATUS_UNABLE_TO_PROCESS);
  return m;
}

function qcol(b: Builder, table: string, column: string): string {
  return `${quoteIdentifier(b.dialect, table)}.${quoteIdentifier(b.dialect, column)}`;
}

/** The first of the allowed levels whose table holds the tag. */
function locate(b: Builder, tag: Tag): { level: DicomSqlLevelName; t: IndexedTag } | undefined {
  for (const level of b.levels) {
    const t = b.schema.levels[level]?.byTag.get(tag);
    if (t && t.sequence.length === 0) return { level, t };
  }
  return undefined;
}

/** A correlated subquery on lower levels: `FROM lowest JOIN ... WHERE <top>.link = outer.key`. */
function lowerChain(
  b: Builder,
  outer: DicomSqlLevelName,
  chain: readonly DicomSqlLevelName[],
): { from: string; alias: (l: DicomSqlLevelName) => string; correlate: string } {
  const q = (n: string) => quoteIdentifier(b.dialect, n);
  const alias = (l: DicomSqlLevelName) => `sq_${l.toLowerCase()}`;
  const lowest = chain[chain.length - 1]!;
  let from = `${q(mapping(b.schema, lowest).table)} ${q(alias(lowest))}`;
  for (let i = chain.length - 1; i > 0; i--) {
    const lower = mapping(b.schema, chain[i]!);
    const upper = mapping(b.schema, chain[i - 1]!);
    from += ` JOIN ${q(upper.table)} ${q(alias(upper.level))} ON ${q(alias(lower.level))}.${q(lower.link!.column)} = ${q(alias(upper.level))}.${q(upper.key.column)}`;
  }
  const top = mapping(b.schema, chain[0]!);
  const out = mapping(b.schema, outer);
  b.used.add(outer);
  const correlate = `${q(alias(top.level))}.${q(top.link!.column)} = ${qcol(b, out.table, out.key.column)}`;
  return { from, alias, correlate };
}

function countSql(b: Builder, outer: DicomSqlLevelName, chain: readonly DicomSqlLevelName[]): string {
  const c = lowerChain(b, outer, chain);
  return `(SELECT COUNT(*) FROM ${c.from} WHERE ${c.correlate})`;
}

function listSql(b: Builder, lower: DicomSqlLevelName[], t: IndexedTag): string {
  const c = lowerChain(b, 'Study', lower);
  const col = `${quoteIdentifier(b.dialect, c.alias(lower[lower.length - 1]!))}.${quoteIdentifier(b.dialect, t.column)}`;
  const agg =
    b.dialect === 'postgres'
      ? `string_agg(DISTINCT ${col}, ',')`
      : b.dialect === 'mysql'
        ? `GROUP_CONCAT(DISTINCT ${col} SEPARATOR ',')`
        : `group_concat(DISTINCT ${col})`;
  return `(SELECT ${agg} FROM ${c.from} WHERE ${c.correlate})`;
}

function existsSql(
  b: Builder,
  lower: DicomSqlLevelName[],
  t: IndexedTag,
  value: string,
): SqlFragment | undefined {
  const c = lowerChain(b, 'Study', lower);
  const col = `${quoteIdentifier(b.dialect, c.alias(lower[lower.length - 1]!))}.${quoteIdentifier(b.dialect, t.column)}`;
  const m = matchCondition(col, t, value, b.dialect, { anyOf: true });
  if (!m) return undefined;
  return { sql: `EXISTS (SELECT 1 FROM ${c.from} WHERE ${c.correlate} AND ${m.sql})`, params: m.params };
}

/** The text of a query value: all values joined by backslash, as Conquest reads the element. */
function queryValue(identifier: Dataset, tag: Tag): string {
  try {
    return identifier.strings(tag).join('\\');
  } catch {
    return '';
  }
}

const COUNTS: Record<number, { at: DicomSqlLevelName; chain: DicomSqlLevelName[] }> = {
  [TAG.NumberOfPatientRelatedStudies]: { at: 'Patient', chain: ['Study'] },
  [TAG.NumberOfPatientRelatedSeries]: { at: 'Patient', chain: ['Study', 'Series'] },
  [TAG.NumberOfPatientRelatedInstances]: { at: 'Patient', chain: ['Study', 'Series', 'Image'] },
  [TAG.NumberOfStudyRelatedSeries]: { at: 'Study', chain: ['Series'] },
  [TAG.NumberOfStudyRelatedInstances]: { at: 'Study', chain: ['Series', 'Image'] },
  [TAG.NumberOfSeriesRelatedInstances]: { at: 'Series', chain: ['Image'] },
};

/** Builds the SELECT for a C-FIND identifier. Throws QueryError for a level the model lacks or a bad sort order. */
export function buildQuery(schema: DicomSchema, request: QueryRequest): BuiltQuery {
  const { identifier, dialect } = request;
  const levels = levelsFor(request.model, request.level);
  const own = levels[0]!;
  mapping(schema, own);
  const computed = request.computedFields ?? true;
  const b: Builder = { schema, dialect, levels, select: [], where: [], used: new Set([own]), n: 0 };
  const columns: ResultColumn[] = [];
  const seen = new Set<Tag>();
  const vrOf = (tag: Tag): VR => {
    const el = identifier.get(tag);
    return el && el.vr !== 'UN' ? el.vr : defaultVR(tag);
  };

  const addTag = (tag: Tag, required: boolean) => {
    if (seen.has(tag)) return;
    seen.add(tag);
    const vr = vrOf(tag);
    const value = required && !identifier.has(tag) ? '' : queryValue(identifier, tag);
    if (tag === TAG.QueryRetrieveLevel) return;
    if (tag === TAG.RetrieveAETitle) {
      columns.push({ tag, vr, kind: 'retrieveAE', required });
      return;
    }
    const count = COUNTS[tag];
    if (computed && count && count.at === own && schema.levels[count.chain[count.chain.length - 1]!]) {
      const alias = `c${b.n++}`;
      b.select.push(`${countSql(b, own, count.chain)} AS ${alias}`);
      columns.push({ tag, vr, kind: 'count', alias, required, level: own });
      return;
    }
    if (own === 'Study' && (tag === TAG.ModalitiesInStudy || tag === TAG.SOPClassesInStudy)) {
      const mode = request.modalitiesInStudy ?? 'auto';
      const indexed = schema.levels.Study?.byTag.get(tag);
      const fromLower =
        tag === TAG.ModalitiesInStudy
          ? mode === 'series' || (mode === 'auto' && !indexed && computed)
          : computed && !indexed;
      const lower: DicomSqlLevelName[] = tag === TAG.ModalitiesInStudy ? ['Series'] : ['Series', 'Image'];
      const lowerTag = schema.levels[lower[lower.length - 1]!]?.byTag.get(
        tag === TAG.ModalitiesInStudy ? TAG.Modality : TAG.SOPClassUID,
      );
      if (fromLower && lowerTag) {
        const alias = `c${b.n++}`;
        b.select.push(`${listSql(b, lower, lowerTag)} AS ${alias}`);
        const m = existsSql(b, lower, lowerTag, value);
        if (m) b.where.push(m);
        columns.push({ tag, vr, kind: 'list', alias, required, level: 'Study' });
        return;
      }
    }
    const found = locate(b, tag);
    if (!found) {
      columns.push({ tag, vr, kind: 'empty', required });
      return;
    }
    const m = mapping(schema, found.level);
    b.used.add(found.level);
    const col = qcol(b, m.table, found.t.column);
    const alias = `c${b.n++}`;
    b.select.push(`${col} AS ${alias}`);
    const cond = matchCondition(col, found.t, value, dialect);
    if (cond) b.where.push(cond);
    columns.push({ tag, vr, kind: 'column', alias, indexed: found.t, level: found.level, required });
  };

  for (const el of identifier) {
    if (isControlTag(el.tag) || el.tag === TAG.SpecificCharacterSet) continue;
    addTag(el.tag, false);
  }
  // PS3.4 C.2.2.1: the unique keys of the query level and the levels above it.
  for (const level of [...levels].reverse()) addTag(mapping(schema, level).key.tag, true);
  columns.push({
    tag: TAG.QueryRetrieveLevel,
    vr: 'CS',
    kind: 'level',
    required: true,
    constant: request.level,
  });

  // ORDER BY: a configured sort order, else Conquest's sort on PatientName at the patient and study levels.
  const order: string[] = [];
  if (request.sort?.trim()) {
    for (const item of parseSortOrder(schema, levels, request.sort)) {
      const m = mapping(schema, item.level);
      b.used.add(item.level);
      const alias = `s${order.length}`;
      b.select.push(`${qcol(b, m.table, item.column)} AS ${alias}`);
      order.push(`${alias}${item.descending ? ' DESC' : ''}`);
    }
  } else if ((own === 'Patient' || own === 'Study') && identifier.has(TAG.PatientName)) {
    const name = columns.find((c) => c.tag === TAG.PatientName && c.kind === 'column');
    if (name?.alias) order.push(name.alias);
  }

  // Tables: the query level joined upwards as far as the highest level used.
  const q = (n: string) => quoteIdentifier(dialect, n);
  let top = 0;
  levels.forEach((l, i) => {
    if (b.used.has(l)) top = i;
  });
  const tables = levels.slice(0, top + 1).map((l) => mapping(schema, l).table);
  let from = q(mapping(schema, own).table);
  for (let i = 1; i <= top; i++) {
    const lower = mapping(schema, levels[i - 1]!);
    const upper = mapping(schema, levels[i]!);
    from += ` JOIN ${q(upper.table)} ON ${qcol(b, lower.table, lower.link!.column)} = ${qcol(b, upper.table, upper.key.column)}`;
  }

  if (b.select.length === 0) {
    const m = mapping(schema, own);
    b.select.push(`${qcol(b, m.table, m.key.column)} AS k0`);
  }
  let sql = `SELECT DISTINCT ${b.select.join(', ')} FROM ${from}`;
  const params: unknown[] = [];
  if (b.where.length) {
    sql += ` WHERE ${b.where.map((w) => w.sql).join(' AND ')}`;
    for (const w of b.where) params.push(...w.params);
  }
  if (order.length) sql += ` ORDER BY ${order.join(', ')}`;
  let i = 0;
  sql = sql.replace(new RegExp(PARAM, 'g'), () => (dialect === 'postgres' ? `$${++i}` : '?'));
  return { sql, params, columns, tables };
}

export interface SortItem {
  level: DicomSqlLevelName;
  column: string;
  descending: boolean;
}

/**
 * A *QuerySortOrder value (`Column`, `Table.Column`, optional ASC/DESC, comma-separated) checked against the
 * tables of the allowed levels: only known columns pass; anything else is a QueryError (never raw SQL).
 */
export function parseSortOrder(
  schema: DicomSchema,
  levels: readonly DicomSqlLevelName[],
  text: string,
): SortItem[] {
  const out: SortItem[] = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const m = /^\s*(?:([A-Za-z_][A-Za-z0-9_]*)\.)?([A-Za-z_][A-Za-z0-9_]*)(?:\s+(ASC|DESC))?\s*$/i.exec(part);
    if (!m)
      throw new QueryError(
        `sort order "${part.trim()}" is not [table.]column [ASC|DESC]`,
        STATUS_UNABLE_TO_PROCESS,
      );
    const [, table, column, dir] = m;
    let hit: SortItem | undefined;
    for (const level of levels) {
      const lm = schema.levels[level];
      if (!lm) continue;
      if (table && table.toLowerCase() !== lm.table.toLowerCase()) continue;
      const t = tableOf(schema, lm.table);
      const c = t?.columns.find((x) => x.name.toLowerCase() === column!.toLowerCase());
      if (c) {
        hit = { level, column: c.name, descending: dir?.toUpperCase() === 'DESC' };
        break;
      }
    }
    if (!hit)
      throw new QueryError(
        `sort order "${part.trim()}": no such column in ${levels.map((l) => schema.levels[l]?.table).join(', ')}`,
        STATUS_UNABLE_TO_PROCESS,
      );
    out.push(hit);
  }
  return out;
}

export interface ResponseOptions {
  /** dicom.ini QueriesReturnISO_IR: when not 0, every response says Specific Character Set `ISO_IR n`. */
  queriesReturnIsoIr?: number;
  /** A Specific Character Set to state in every response (wins over queriesReturnIsoIr). */
  specificCharacterSet?: string;
  /** The value for a requested Retrieve AE Title (0008,0054): this server's AE title. */
  retrieveAETitle?: string;
}

const NUMERIC_BINARY = new Set<VR>(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'UV', 'SV']);

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

function columnValues(col: ResultColumn, raw: string): string[] {
  let text = raw.replace(/[ \0]+$/, '');
  if (text === '') return [];
  if (col.kind === 'list') {
    const set = new Set(
      text
        .split(/[,\\]/)
        .map((s) => s.trim())
        .filter(Boolean),
    );
    return [...set].sort();
  }
  if (col.indexed?.matchType === 'DT_DATE' && col.vr === 'DA') text = text.replace(/[^0-9]/g, '').slice(0, 8);
  if (isSingleValuedText(col.vr)) return [text];
  return text.split('\\');
}

/**
 * A response identifier for one row: exactly the requested keys (plus the required unique keys and the
 * Query/Retrieve Level), in the VRs the request used. The database holds decoded text; the response's
 * Specific Character Set is `specificCharacterSet`, else `ISO_IR n` from QueriesReturnISO_IR, else ISO_IR 192
 * when a value is not plain ASCII, else none.
 */
export function resultToDataset(
  row: Readonly<Record<string, unknown>>,
  columns: readonly ResultColumn[],
  identifier?: Dataset,
  options: ResponseOptions = {},
): Dataset {
  const values = new Map<ResultColumn, string[]>();
  let nonAscii = false;
  for (const c of columns) {
    let v: string[] = [];
    if (c.alias !== undefined && (c.kind === 'column' || c.kind === 'count' || c.kind === 'list'))
      v = columnValues(c, cellText(row[c.alias]));
    else if (c.kind === 'retrieveAE' && options.retrieveAETitle) v = [options.retrieveAETitle];
    else if (c.kind === 'level') {
      const lv = c.constant ?? identifier?.string(TAG.QueryRetrieveLevel);
      v = lv ? [lv] : [];
    }
    if (v.some((s) => /[^\x00-\x7f]/.test(s))) nonAscii = true;
    values.set(c, v);
  }
  const ds = new Dataset();
  const charset =
    options.specificCharacterSet ??
    (options.queriesReturnIsoIr
      ? `ISO_IR ${options.queriesReturnIsoIr}`
      : nonAscii
        ? 'ISO_IR 192'
        : undefined);
  if (charset) ds.setStrings(TAG.SpecificCharacterSet, charset, 'CS');
  for (const c of columns) {
    const v = values.get(c) ?? [];
    if (c.vr === 'SQ') {
      ds.setSequence(c.tag, []);
      continue;
    }
    if (v.length === 0) {
      ds.set(DataElement.ofBytes(c.tag, c.vr, Buffer.alloc(0)));
      continue;
    }
    if (NUMERIC_BINARY.has(c.vr) || (!isStringVR(c.vr) && binaryValueSize(c.vr) > 0)) {
      const nums = v.map(Number);
      if (nums.every((x) => Number.isFinite(x))) ds.setNumbers(c.tag, nums, c.vr);
      else ds.set(DataElement.ofBytes(c.tag, c.vr, Buffer.alloc(0)));
      continue;
    }
    if (!isStringVR(c.vr)) {
      ds.set(DataElement.ofBytes(c.tag, c.vr, Buffer.alloc(0)));
      continue;
    }
    ds.setStrings(c.tag, v, c.vr);
  }
  return ds;
}
