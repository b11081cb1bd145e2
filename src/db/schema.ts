/**
 * The tables Conquest 1.5.0c makes from dicom.sql (InitializeTables and MakeTableString in dbsql.cpp, the
 * dicom.sql reader in parse.cpp), as a dialect-neutral description, the CREATE statements for SQLite,
 * PostgreSQL and MySQL/MariaDB, the tag ↔ column map of each level, and a fingerprint of the layout.
 *
 * What Conquest does, and this module reproduces:
 * - tables DICOMWorkList, DICOMPatients, DICOMStudies, DICOMSeries, DICOMImages (names from dicom.ini's
 *   PatientTableName etc.) and UIDMODS, created in that order; no other table (the MOP/CDR tables are
 *   compiled out);
 * - one column per dicom.sql field except the DT_STARTSEQUENCE/DT_ENDSEQUENCE markers, named as written cut
 *   to TruncateFieldNames characters (default 10: StudyInstanceUID becomes StudyInsta), typed
 *   varchar(length) for SQL_C_CHAR and char(8) for SQL_C_DATE, lengths capped by MaxFieldLength; the first
 *   column is `PRIMARY KEY NOT NULL` except in the worklist (and in "simple" mode, InitializeTables mode 1);
 * - then the bookkeeping columns AccessTime int, qTimeStamp int, qFlags int, qSpare varchar(64) in every
 *   level table, and in the image table ObjectFile varchar(255) (or MaxFieldLength when 1..255) and
 *   DeviceName varchar(32);
 * - UIDMODS (MODTime int, OldUID varchar(64), MODType varchar(32), NewUID varchar(64), Stage varchar(32),
 *   Annotation varchar(64)), no primary key;
 * - indices (mode 0 only): study_lnk, idx_patientid, idx_patientid_studyinsta on the study table;
 *   series_lnk, series_pat, idx_studyinsta_seriesinst on the series table; images_lnk, images_pat,
 *   idx_seriesinst_sopinstanc on the image table; mods_old, mods_stage, mods_joint, mods_back on UIDMODS.
 *   The `_lnk` index is on the level's link column; the joint ones on (upper key, own key) named by the
 *   upper table's and this table's key columns; `_pat` only when a column is named exactly SeriesPat /
 *   ImagePat. idx_patientid is on the study table's column named like the *last* field of *Patient*
 *   (PatientSex in the default layout): that is what 1.5.0c does (UniqueLink where UniqueKey was surely
 *   meant) and it is reproduced. An index whose column the table lacks is skipped with a warning, where
 *   Conquest's CREATE INDEX fails silently.
 * Conquest sends the same column types to every driver; so does this module. Identifiers are quoted: for
 * PostgreSQL in lower case, which is what Conquest's unquoted names become there, so that users' unquoted SQL
 * (ExportFilter, dbquery) finds the same tables and columns.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../config/ini.js';
import {
  DicomSql,
  type DicomSqlField,
  type DicomSqlLevelName,
  type DicomType,
  formatTag,
  isSequenceMarker,
  matchType,
  type SqlCType,
  UPPER_LEVEL,
} from './dicom-sql.js';

export type SqlDialect = 'sqlite' | 'postgres' | 'mysql';
export const SQL_DIALECTS: readonly SqlDialect[] = ['sqlite', 'postgres', 'mysql'];

/** The table names (dicom.ini PatientTableName, StudyTableName, SeriesTableName, ImageTableName, WorkListTableName). */
export interface TableNames {
  Patient: string;
  Study: string;
  Series: string;
  Image: string;
  WorkList: string;
}

export const DEFAULT_TABLE_NAMES: Readonly<TableNames> = Object.freeze({
  Patient: 'DICOMPatients',
  Study: 'DICOMStudies',
  Series: 'DICOMSeries',
  Image: 'DICOMImages',
  WorkList: 'DICOMWorkList',
});

export const UIDMODS_TABLE = 'UIDMODS';

/** The order in which Conquest creates the level tables. */
const CREATE_ORDER: readonly DicomSqlLevelName[] = ['WorkList', 'Patient', 'Study', 'Series', 'Image'];

export interface SchemaOptions {
  /** dicom.ini TruncateFieldNames: column names are cut to this many characters; 0 = not at all. Default 10. */
  truncateFieldNames?: number;
  /** dicom.ini MaxFieldLength: caps every dicom.sql length and the ObjectFile length; 0 = none. Default 0. */
  maxFieldLength?: number;
  /** Table names from dicom.ini; missing ones are Conquest's defaults. */
  tableNames?: Partial<TableNames>;
  /** InitializeTables mode 1 (`-r1`): no primary keys and no indices. Default false. */
  simple?: boolean;
}

export interface ResolvedSchemaOptions {
  readonly truncateFieldNames: number;
  readonly maxFieldLength: number;
  readonly tableNames: Readonly<TableNames>;
  readonly simple: boolean;
}

/** A column type as Conquest writes it: varchar(n), char(8) or int. */
export interface ColumnType {
  readonly base: 'varchar' | 'char' | 'int';
  readonly length?: number;
}

/** What a column is for. */
export type ColumnRole =
  /** The level's first field, its table's primary key. */
  | 'key'
  /** The last field of Study/Series/Image: the key of the level above. */
  | 'link'
  /** A field whose tag an upper level also holds (PatientName in the study table, SeriesPat, ImagePat...). */
  | 'copy'
  /** Any other dicom.sql field. */
  | 'field'
  /** AccessTime, qTimeStamp, qFlags, qSpare, ObjectFile, DeviceName, and the UIDMODS columns. */
  | 'bookkeeping';

export interface SchemaColumn {
  /** The name as created (truncated). */
  readonly name: string;
  readonly type: ColumnType;
  readonly primaryKey: boolean;
  readonly notNull: boolean;
  readonly role: ColumnRole;
  /** The DICOM tag stored in it, for dicom.sql columns. */
  readonly tag?: number;
}

export interface SchemaIndex {
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
}

export interface SchemaTable {
  readonly name: string;
  /** The dicom.sql level it holds; undefined for UIDMODS. */
  readonly level?: DicomSqlLevelName;
  readonly columns: readonly SchemaColumn[];
  readonly primaryKey?: string;
  readonly indices: readonly SchemaIndex[];
}

/** A DICOM attribute a level indexes, and where. */
export interface IndexedTag {
  readonly tag: number;
  readonly group: number;
  readonly element: number;
  /** The column as created (truncated). */
  readonly column: string;
  /** The column name as written in dicom.sql. */
  readonly writtenColumn: string;
  /** The length values are cut to (MaxFieldLength applied); 8 for SQL_C_DATE. */
  readonly length: number;
  readonly sqlType: SqlCType;
  /** The type as written. */
  readonly dicomType: DicomType;
  /** The type Conquest matches with: DT_TIME is read as DT_DATE. */
  readonly matchType: Exclude<DicomType, 'DT_TIME'>;
  /** DT_ISTR: matched case-insensitively. */
  readonly caseInsensitive: boolean;
  /** DT_MSTR: a multi-valued column ('PET' matches 'PET\CT'). */
  readonly multiValued: boolean;
  readonly role: Exclude<ColumnRole, 'bookkeeping'>;
  /** For 'link': the level above; for 'copy': the highest level that holds the tag. */
  readonly copyOf?: DicomSqlLevelName;
  /** Tags of the DT_STARTSEQUENCE markers around the field, outermost first (worklist: [(0040,0100)]). */
  readonly sequence: readonly number[];
  /** The worklist's HL7 tag, as written. */
  readonly hl7?: string;
  /** Line in dicom.sql. */
  readonly line: number;
}

/** One level: its table and the tags it holds. */
export interface LevelMapping {
  readonly level: DicomSqlLevelName;
  readonly table: string;
  /** The level the link points to (Study → Patient, Series → Study, Image → Series). */
  readonly upper?: DicomSqlLevelName;
  readonly key: IndexedTag;
  readonly link?: IndexedTag;
  /** Every column from dicom.sql, in order (no sequence markers). */
  readonly tags: readonly IndexedTag[];
  /** By tag (the first column holding it when a level lists a tag twice). */
  readonly byTag: ReadonlyMap<number, IndexedTag>;
  /** By created column name, lower-cased. */
  readonly byColumn: ReadonlyMap<string, IndexedTag>;
}

export interface DicomSchema {
  /** In Conquest's creation order: WorkList (when defined), Patient, Study, Series, Image, UIDMODS. */
  readonly tables: readonly SchemaTable[];
  readonly levels: Readonly<Partial<Record<DicomSqlLevelName, LevelMapping>>>;
  readonly options: ResolvedSchemaOptions;
  /** The dicom.sql it was built from (for messages). */
  readonly file: string;
  /** Indices skipped because their column is missing, and the like. */
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Building

const BOOKKEEPING: readonly { name: string; type: ColumnType }[] = [
  { name: 'AccessTime', type: { base: 'int' } },
  { name: 'qTimeStamp', type: { base: 'int' } },
  { name: 'qFlags', type: { base: 'int' } },
  { name: 'qSpare', type: { base: 'varchar', length: 64 } },
];

const UIDMODS_COLUMNS: readonly { name: string; type: ColumnType }[] = [
  { name: 'MODTime', type: { base: 'int' } },
  { name: 'OldUID', type: { base: 'varchar', length: 64 } },
  { name: 'MODType', type: { base: 'varchar', length: 32 } },
  { name: 'NewUID', type: { base: 'varchar', length: 64 } },
  { name: 'Stage', type: { base: 'varchar', length: 32 } },
  { name: 'Annotation', type: { base: 'varchar', length: 64 } },
];

export function resolveSchemaOptions(options: SchemaOptions = {}): ResolvedSchemaOptions {
  const truncateFieldNames = options.truncateFieldNames ?? 10;
  const maxFieldLength = options.maxFieldLength ?? 0;
  if (!Number.isInteger(truncateFieldNames) || truncateFieldNames < 0)
    throw new RangeError(`TruncateFieldNames must be a whole number >= 0, not ${truncateFieldNames}`);
  if (!Number.isInteger(maxFieldLength) || maxFieldLength < 0)
    throw new RangeError(`MaxFieldLength must be a whole number >= 0, not ${maxFieldLength}`);
  const tableNames: TableNames = { ...DEFAULT_TABLE_NAMES };
  for (const [k, v] of Object.entries(options.tableNames ?? {}) as [keyof TableNames, string | undefined][])
    if (v !== undefined && v !== '') tableNames[k] = v;
  return Object.freeze({
    truncateFieldNames,
    maxFieldLength,
    tableNames: Object.freeze(tableNames),
    simple: !!options.simple,
  });
}

/** The column name Conquest creates for a dicom.sql name (TruncateFieldNames). */
export function truncateColumnName(name: string, truncateFieldNames: number): string {
  return truncateFieldNames > 0 ? name.slice(0, truncateFieldNames) : name;
}

/** Builds the tables Conquest makes from a parsed dicom.sql; ConfigError when names clash after truncation. */
export function buildSchema(sql: DicomSql, options: SchemaOptions = {}): DicomSchema {
  const opts = resolveSchemaOptions(options);
  const file = sql.file;
  const warnings: string[] = [];
  const levels: Partial<Record<DicomSqlLevelName, LevelMapping>> = {};
  for (const name of CREATE_ORDER) {
    const fields = sql.fields(name);
    if (fields.length === 0) continue;
    levels[name] = mapLevel(sql, name, fields, opts);
  }
  for (const name of Object.keys(levels) as DicomSqlLevelName[]) {
    const tableName = opts.tableNames[name];
    const clash = (Object.keys(levels) as DicomSqlLevelName[]).find(
      (other) => other !== name && opts.tableNames[other].toLowerCase() === tableName.toLowerCase(),
    );
    if (clash || tableName.toLowerCase() === UIDMODS_TABLE.toLowerCase())
      throw new ConfigError(
        file,
        undefined,
        `the ${name} and ${clash ?? UIDMODS_TABLE} tables have the same name ${tableName}`,
      );
  }

  const tables: SchemaTable[] = [];
  for (const name of CREATE_ORDER) {
    const m = levels[name];
    if (!m) continue;
    tables.push(levelTable(m, levels, opts, warnings, file));
  }
  tables.push({
    name: UIDMODS_TABLE,
    columns: UIDMODS_COLUMNS.map((c) => ({
      ...c,
      primaryKey: false,
      notNull: false,
      role: 'bookkeeping' as const,
    })),
    indices: opts.simple
      ? []
      : [
          { name: 'mods_old', table: UIDMODS_TABLE, columns: ['OldUID'] },
          { name: 'mods_stage', table: UIDMODS_TABLE, columns: ['Stage'] },
          { name: 'mods_joint', table: UIDMODS_TABLE, columns: ['OldUID', 'Stage'] },
          { name: 'mods_back', table: UIDMODS_TABLE, columns: ['NewUID', 'Stage'] },
        ],
  });
  return { tables, levels, options: opts, file, warnings };
}

function mapLevel(
  sql: DicomSql,
  name: DicomSqlLevelName,
  fields: readonly DicomSqlField[],
  opts: ResolvedSchemaOptions,
): LevelMapping {
  const upper = UPPER_LEVEL[name];
  const ancestors: DicomSqlLevelName[] = [];
  for (let u = upper; u; u = UPPER_LEVEL[u]) ancestors.unshift(u);
  const tags: IndexedTag[] = [];
  const sequence: number[] = [];
  const real = fields.filter((f) => !isSequenceMarker(f.dicomType));
  const first = real[0]!;
  const last = real[real.length - 1]!;
  for (const f of fields) {
    if (f.dicomType === 'DT_STARTSEQUENCE') {
      sequence.push(f.tag);
      continue;
    }
    if (f.dicomType === 'DT_ENDSEQUENCE') {
      sequence.pop();
      continue;
    }
    let role: IndexedTag['role'] = 'field';
    let copyOf: DicomSqlLevelName | undefined;
    if (f === first) role = 'key';
    else if (upper && f === last) {
      role = 'link';
      copyOf = upper;
    } else {
      copyOf = ancestors.find((a) =>
        sql.fields(a).some((g) => g.tag === f.tag && !isSequenceMarker(g.dicomType)),
      );
      if (copyOf) role = 'copy';
    }
    const length = f.sqlType === 'SQL_C_DATE' ? 8 : capLength(f.length, opts.maxFieldLength);
    const t: IndexedTag = {
      tag: f.tag,
      group: f.group,
      element: f.element,
      column: truncateColumnName(f.column, opts.truncateFieldNames),
      writtenColumn: f.column,
      length,
      sqlType: f.sqlType,
      dicomType: f.dicomType,
      matchType: matchType(f.dicomType),
      caseInsensitive: f.dicomType === 'DT_ISTR',
      multiValued: f.dicomType === 'DT_MSTR',
      role,
      ...(copyOf ? { copyOf } : {}),
      sequence: [...sequence],
      ...(f.hl7 !== undefined ? { hl7: f.hl7 } : {}),
      line: f.line,
    };
    tags.push(t);
  }
  const byTag = new Map<number, IndexedTag>();
  const byColumn = new Map<string, IndexedTag>();
  for (const t of tags) {
    if (!byTag.has(t.tag)) byTag.set(t.tag, t);
    const k = t.column.toLowerCase();
    const dup = byColumn.get(k);
    if (dup) {
      const cut =
        opts.truncateFieldNames > 0 ? ` (after truncation to ${opts.truncateFieldNames} characters)` : '';
      throw new ConfigError(
        sql.file,
        t.line,
        `column "${t.writtenColumn}" of *${name}* becomes ${t.column}${cut}, the same as "${dup.writtenColumn}" on line ${dup.line}`,
      );
    }
    byColumn.set(k, t);
  }
  const key = tags[0]!;
  const link = upper ? tags[tags.length - 1] : undefined;
  return {
    level: name,
    table: opts.tableNames[name],
    ...(upper ? { upper } : {}),
    key,
    ...(link ? { link } : {}),
    tags,
    byTag,
    byColumn,
  };
}

/** parse.cpp: `if (SQLLength >= MaxFieldLength) SQLLength = MaxFieldLength`. */
function capLength(length: number, maxFieldLength: number): number {
  return maxFieldLength > 0 && length >= maxFieldLength ? maxFieldLength : length;
}

function levelTable(
  m: LevelMapping,
  levels: Partial<Record<DicomSqlLevelName, LevelMapping>>,
  opts: ResolvedSchemaOptions,
  warnings: string[],
  file: string,
): SchemaTable {
  const primary = !opts.simple && m.level !== 'WorkList';
  const columns: SchemaColumn[] = m.tags.map((t, i) => ({
    name: t.column,
    type: t.sqlType === 'SQL_C_DATE' ? { base: 'char', length: 8 } : { base: 'varchar', length: t.length },
    primaryKey: primary && i === 0,
    notNull: primary && i === 0,
    role: t.role,
    tag: t.tag,
  }));
  const extra = [...BOOKKEEPING];
  if (m.level === 'Image') {
    const ml = opts.maxFieldLength;
    extra.push({ name: 'ObjectFile', type: { base: 'varchar', length: ml === 0 || ml > 255 ? 255 : ml } });
    extra.push({ name: 'DeviceName', type: { base: 'varchar', length: 32 } });
  }
  for (const c of extra) {
    const dup = m.byColumn.get(c.name.toLowerCase());
    if (dup)
      throw new ConfigError(
        file,
        dup.line,
        `column ${dup.column} of *${m.level}* has the name of a column Conquest adds to ${m.table} (${c.name})`,
      );
    columns.push({ name: c.name, type: c.type, primaryKey: false, notNull: false, role: 'bookkeeping' });
  }

  const indices: SchemaIndex[] = [];
  if (!opts.simple) {
    const has = (name: string | undefined) =>
      name === undefined ? undefined : columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.name;
    const add = (name: string, wanted: (string | undefined)[]) => {
      const found = wanted.map(has);
      if (found.every((c): c is string => c !== undefined))
        indices.push({ name, table: m.table, columns: found });
      else
        warnings.push(
          `${file}: index ${name} is not made: ${m.table} has no column ${wanted.filter((_, i) => found[i] === undefined).join(', ')}` +
            ' (Conquest tries and fails)',
        );
    };
    /** Conquest's strstr(s, " SeriesPat "): an exact, case-sensitive name, not the first column. */
    const named = (name: string) => m.tags.some((t, i) => i > 0 && t.column === name);
    const patient = levels.Patient;
    const study = levels.Study;
    const series = levels.Series;
    if (m.level === 'Study') {
      add('study_lnk', [m.link?.column]);
      add('idx_patientid', [patient?.tags[patient.tags.length - 1]?.column]);
      add('idx_patientid_studyinsta', [patient?.key.column, m.key.column]);
    } else if (m.level === 'Series') {
      add('series_lnk', [m.link?.column]);
      if (named('SeriesPat')) add('series_pat', ['SeriesPat']);
      add('idx_studyinsta_seriesinst', [study?.key.column, m.key.column]);
    } else if (m.level === 'Image') {
      add('images_lnk', [m.link?.column]);
      if (named('ImagePat')) add('images_pat', ['ImagePat']);
      add('idx_seriesinst_sopinstanc', [series?.key.column, m.key.column]);
    }
  }
  return {
    name: m.table,
    level: m.level,
    columns,
    ...(primary ? { primaryKey: columns[0]!.name } : {}),
    indices,
  };
}

// ---------------------------------------------------------------------------------------------
// SQL

/** Quotes an identifier for a dialect; PostgreSQL names are lower-cased (what unquoted names become there). */
export function quoteIdentifier(dialect: SqlDialect, name: string): string {
  switch (dialect) {
    case 'sqlite':
      return `"${name.replace(/"/g, '""')}"`;
    case 'postgres':
      return `"${name.toLowerCase().replace(/"/g, '""')}"`;
    case 'mysql':
      return `\`${name.replace(/`/g, '``')}\``;
  }
}

/** The column type in SQL: Conquest sends varchar(n), char(8) and int to every driver alike. */
export function columnTypeSql(type: ColumnType): string {
  return type.base === 'int' ? 'int' : `${type.base}(${type.length})`;
}

export interface CreateOptions {
  /**
   * Add IF NOT EXISTS to CREATE TABLE (all dialects) and CREATE INDEX (SQLite and PostgreSQL; MySQL has no
   * such form for indices, so there they are left out and the caller must check). Default false: Conquest
   * drops the tables first (dropStatements).
   */
  ifNotExists?: boolean;
  /** Only these tables (names as in the schema); default all. */
  tables?: readonly string[];
}

/** CREATE TABLE and CREATE INDEX statements in Conquest's order (each table followed by its indices). */
export function createStatements(
  schema: DicomSchema,
  dialect: SqlDialect,
  options: CreateOptions = {},
): string[] {
  const q = (n: string) => quoteIdentifier(dialect, n);
  const ine = options.ifNotExists ? 'IF NOT EXISTS ' : '';
  const out: string[] = [];
  for (const t of selectTables(schema, options.tables)) {
    const cols = t.columns.map(
      (c) =>
        `${q(c.name)} ${columnTypeSql(c.type)}${c.primaryKey ? ' PRIMARY KEY' : ''}${c.notNull ? ' NOT NULL' : ''}`,
    );
    // MySQL: InnoDB (transactions, row locks) and a binary collation, so that `=` compares exactly as on
    // SQLite and PostgreSQL (the server's default _ci collation ignores case and accents).
    const tableOptions =
      dialect === 'mysql' ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin' : '';
    out.push(`CREATE TABLE ${ine}${q(t.name)} (${cols.join(', ')})${tableOptions}`);
    for (const i of t.indices) {
      if (options.ifNotExists && dialect === 'mysql') continue;
      out.push(`CREATE INDEX ${ine}${q(i.name)} ON ${q(t.name)} (${i.columns.map(q).join(', ')})`);
    }
  }
  return out;
}

/** DROP TABLE IF EXISTS for the schema's tables, in Conquest's order (worklist first, UIDMODS last). */
export function dropStatements(
  schema: DicomSchema,
  dialect: SqlDialect,
  tables?: readonly string[],
): string[] {
  return selectTables(schema, tables).map((t) => `DROP TABLE IF EXISTS ${quoteIdentifier(dialect, t.name)}`);
}

function selectTables(schema: DicomSchema, names: readonly string[] | undefined): readonly SchemaTable[] {
  if (!names) return schema.tables;
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  return schema.tables.filter((t) => wanted.has(t.name.toLowerCase()));
}

// ---------------------------------------------------------------------------------------------
// Lookups

export function tableOf(schema: DicomSchema, name: string): SchemaTable | undefined {
  const k = name.toLowerCase();
  return schema.tables.find((t) => t.name.toLowerCase() === k);
}

/** The column a level stores a tag in, or undefined. */
export function columnFor(
  schema: DicomSchema,
  level: DicomSqlLevelName,
  tag: number,
): IndexedTag | undefined {
  return schema.levels[level]?.byTag.get(tag >>> 0);
}

// ---------------------------------------------------------------------------------------------
// Fingerprint

/**
 * How a value is stored: the same for every string type, so that what the manual says may change without a
 * regen (DT_STR ↔ DT_ISTR, the worklist's HL7 tags) does not change the fingerprint.
 */
function storageClass(type: DicomType): string {
  switch (type) {
    case 'DT_UINT16':
      return 'uint16';
    case 'DT_UINT32':
      return 'uint32';
    case 'DT_FL':
      return 'fl';
    case 'DT_FD':
      return 'fd';
    default:
      return 'text';
  }
}

function tableCanon(schema: DicomSchema, t: SchemaTable): unknown {
  const m = t.level ? schema.levels[t.level] : undefined;
  return {
    name: t.name,
    level: t.level ?? null,
    columns: t.columns.map((c) => [c.name, columnTypeSql(c.type), c.primaryKey, c.notNull]),
    indices: t.indices.map((i) => [i.name, i.columns]),
    tags: m
      ? m.tags.map((x) => [formatTag(x.tag), x.column, storageClass(x.dicomType), x.sequence.map(formatTag)])
      : [],
  };
}

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/**
 * A stable hash (hex SHA-256) of the layout that the stored index depends on: tables, column names and
 * types, keys, indices, and which tag goes into which column. Comments, spacing, DT_STR ↔ DT_ISTR and HL7
 * tags do not change it (the manual: those need no regen); any other field change, TruncateFieldNames,
 * MaxFieldLength or a table name does. A DicomSql is taken with the default options.
 */
export function schemaFingerprint(source: DicomSchema | DicomSql): string {
  const schema = source instanceof DicomSql ? buildSchema(source) : source;
  return sha256({ v: 1, tables: schema.tables.map((t) => tableCanon(schema, t)) });
}

/** The same, per table (by name), to tell a worklist-only change ("clear worklist") from one that needs a regen. */
export function tableFingerprints(source: DicomSchema | DicomSql): Record<string, string> {
  const schema = source instanceof DicomSql ? buildSchema(source) : source;
  const out: Record<string, string> = {};
  for (const t of schema.tables) out[t.name] = sha256({ v: 1, table: tableCanon(schema, t) });
  return out;
}
