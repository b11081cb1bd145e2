/**
 * dicom.sql (Conquest manual 7.3, the `kFactorFile` of dicom.ini): the database layout. Five levels, each a
 * marker and a brace block of fields:
 *
 *   *Patient*  *Study*  *Series*  *Image*  *WorkList*
 *   { { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }, ... }
 *
 * A field is { group, element, "column", length, SQL type, DICOM type } and, in *WorkList* only, a seventh
 * item: the HL7 tag the worklist is filled from ("OBR.3", "PID.5", "---" for none). The first field of a
 * level is its key (the primary key of its table); the last field of *Study*, *Series* and *Image* is the
 * link to the level above. DT_STARTSEQUENCE / DT_ENDSEQUENCE pairs bracket the worklist fields that live in a
 * sequence (0040,0100); they are not columns.
 *
 * Reading follows Conquest's own reader (parse.cpp with its lexer lex.cpp), which is stricter than it looks:
 * - comments are C-style blocks only, and only between levels; anything else outside a level block (a `#`
 *   line, a `//` comment, a misspelt marker) makes Conquest refuse the file, and so does a comment inside a
 *   block. Markers, SQL and DICOM type names are case-sensitive;
 * - the comma after a field's closing brace is optional (the distribution file itself misses one in
 *   *Study*); two commas, or a missing comma between the items of a field, are errors;
 * - numbers are decimal or 0x-hexadecimal;
 * - DT_TIME is read as DT_DATE ("yes, intentional" in parse.cpp): times match with ranges as dates do. The
 *   model keeps the type as written and says how Conquest uses it (`matchType`).
 * Where Conquest would misread a file silently (a 0x with no digits, a level block never closed, a level
 * written twice), this module throws a ConfigError naming the file and line instead. Checks Conquest does
 * not make but whose absence breaks it later (an empty or missing Patient/Study/Series/Image level, a
 * sequence marker as key or link, duplicate column names, unbalanced sequence markers) are errors too.
 *
 * TruncateFieldNames and MaxFieldLength (dicom.ini) are applied when the tables are made (schema.ts), not
 * here: this model is the file as written, so that it can be written back byte for byte. Edits (setField,
 * insertField, removeField) rewrite only the text of the field they touch.
 */
import {
  ConfigError,
  DEFAULT_TEXT_FORMAT,
  dominantEol,
  readConfigFile,
  splitLines,
  type TextFormat,
  withoutBom,
  writeConfigFile,
} from '../config/ini.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary

/** The level markers, in the order Conquest's documentation lists them. */
export const DICOM_SQL_LEVELS = ['Patient', 'Study', 'Series', 'Image', 'WorkList'] as const;
export type DicomSqlLevelName = (typeof DICOM_SQL_LEVELS)[number];

/** The levels that must be defined (the worklist may be absent). */
export const REQUIRED_LEVELS: readonly DicomSqlLevelName[] = ['Patient', 'Study', 'Series', 'Image'];

/** The level each level links to with its last field (Patient and WorkList link to nothing). */
export const UPPER_LEVEL: Readonly<Partial<Record<DicomSqlLevelName, DicomSqlLevelName>>> = {
  Study: 'Patient',
  Series: 'Study',
  Image: 'Series',
};

/** SQL types: SQL_C_CHAR makes varchar(length), SQL_C_DATE makes char(8). */
export const SQL_TYPES = ['SQL_C_CHAR', 'SQL_C_DATE'] as const;
export type SqlCType = (typeof SQL_TYPES)[number];

/** The DICOM types Conquest 1.5.0c's parser knows. */
export const DICOM_TYPES = [
  'DT_STR',
  'DT_ISTR',
  'DT_MSTR',
  'DT_DATE',
  'DT_TIME',
  'DT_UI',
  'DT_UINT16',
  'DT_UINT32',
  'DT_FL',
  'DT_FD',
  'DT_STARTSEQUENCE',
  'DT_ENDSEQUENCE',
] as const;
export type DicomType = (typeof DICOM_TYPES)[number];

/** How Conquest treats a type when matching: DT_TIME is read as DT_DATE; every other type is itself. */
export function matchType(type: DicomType): Exclude<DicomType, 'DT_TIME'> {
  return type === 'DT_TIME' ? 'DT_DATE' : type;
}

export function isSequenceMarker(type: DicomType): boolean {
  return type === 'DT_STARTSEQUENCE' || type === 'DT_ENDSEQUENCE';
}

// ---------------------------------------------------------------------------------------------
// Model

/** A field as a program gives it (for setField and insertField). */
export interface DicomSqlFieldInput {
  group: number;
  element: number;
  /** The column name as written (schema.ts truncates it per TruncateFieldNames). */
  column: string;
  /** The column length as written (varchar length; ignored for SQL_C_DATE, which is char(8)). */
  length: number;
  sqlType: SqlCType;
  dicomType: DicomType;
  /** The HL7 tag (WorkList only); undefined when the field has none. */
  hl7?: string | undefined;
}

/** One field of a level, as parsed. */
export interface DicomSqlField extends Readonly<DicomSqlFieldInput> {
  /** (group << 16 | element), unsigned. */
  readonly tag: number;
  /** 1-based line of the field's opening brace. */
  readonly line: number;
}

/** One level block. */
export interface DicomSqlLevel {
  readonly name: DicomSqlLevelName;
  /** 1-based line of the marker. */
  readonly line: number;
  readonly fields: readonly DicomSqlField[];
}

/** Where a field's parts are in the text: [start, end) offsets. */
interface FieldSpans {
  entry: [number, number];
  group: [number, number];
  element: [number, number];
  /** The name inside the quotes. */
  column: [number, number];
  length: [number, number];
  sqlType: [number, number];
  dicomType: [number, number];
  /** From the comma after the DICOM type to the closing quote of the HL7 tag. */
  hl7Clause?: [number, number];
  /** The HL7 tag inside its quotes. */
  hl7?: [number, number];
}

interface ParsedLevel {
  name: DicomSqlLevelName;
  line: number;
  /** Offsets of the block's braces. */
  open: number;
  close: number;
  fields: DicomSqlField[];
  spans: FieldSpans[];
}

interface Parsed {
  levels: ParsedLevel[];
  warnings: string[];
}

/** Tag as (gggg,eeee). */
export function formatTag(tag: number): string {
  const hex = (tag >>> 0).toString(16).padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

// ---------------------------------------------------------------------------------------------
// The file

/** dicom.sql, parsed; its text is kept so that writing it back gives the same bytes. */
export class DicomSql {
  private text: string;
  private parsed: Parsed;

  private constructor(
    text: string,
    parsed: Parsed,
    /** The name errors and warnings use (the path when read from disk). */
    readonly file: string,
    /** The encoding and BOM the file had; write() keeps them. */
    public format: TextFormat,
  ) {
    this.text = text;
    this.parsed = parsed;
  }

  /** Parses dicom.sql text; throws ConfigError(file, line) where Conquest could not read it (see the module doc). */
  static parse(input: string, file = 'dicom.sql', textFormat: TextFormat = DEFAULT_TEXT_FORMAT): DicomSql {
    const { text, format } = withoutBom(input, textFormat);
    return new DicomSql(text, parseDicomSql(text, file), file, format);
  }

  static read(path: string): DicomSql {
    const { text, format } = readConfigFile(path);
    return DicomSql.parse(text, path, format);
  }

  /** Writes the file (atomically), in the encoding it was read in. */
  write(path: string = this.file): void {
    writeConfigFile(path, this.toString(), this.format);
  }

  toString(): string {
    return this.text;
  }

  /** Things that are not errors but deserve a word (a link that is not the upper level's key, ...). */
  get warnings(): readonly string[] {
    return this.parsed.warnings;
  }

  /** The level blocks in file order. */
  get levels(): readonly DicomSqlLevel[] {
    return this.parsed.levels.map((l) => ({ name: l.name, line: l.line, fields: l.fields }));
  }

  has(level: DicomSqlLevelName): boolean {
    return this.find(level) !== undefined;
  }

  /** The level's fields (sequence markers included) in order; empty when the level is not defined. */
  fields(level: DicomSqlLevelName): readonly DicomSqlField[] {
    return this.find(level)?.fields ?? [];
  }

  /** The level's key: its first field. */
  key(level: DicomSqlLevelName): DicomSqlField | undefined {
    return this.find(level)?.fields[0];
  }

  /** The link to the level above (the last field) for Study, Series and Image; undefined for the others. */
  link(level: DicomSqlLevelName): DicomSqlField | undefined {
    if (UPPER_LEVEL[level] === undefined) return undefined;
    const f = this.find(level)?.fields;
    return f && f.length > 1 ? f[f.length - 1] : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Edits: each rewrites only the text of the field it touches, then the whole file is parsed again
  // (so an edit that would make the file unreadable throws and leaves the model unchanged).

  /** Changes items of one field, keeping the spacing of the rest of its line. */
  setField(level: DicomSqlLevelName, index: number, changes: Partial<DicomSqlFieldInput>): void {
    const l = this.levelOrThrow(level);
    const f = l.fields[index];
    const s = l.spans[index];
    if (!f || !s) throw new RangeError(`${this.file}: *${level}* has no field ${index}`);
    const edits: Edit[] = [];
    const put = (span: [number, number], value: string) =>
      edits.push({ at: span[0], end: span[1], text: value });
    if (changes.group !== undefined && changes.group !== f.group) put(s.group, hex16(changes.group, 'group'));
    if (changes.element !== undefined && changes.element !== f.element)
      put(s.element, hex16(changes.element, 'element'));
    if (changes.column !== undefined && changes.column !== f.column)
      put(s.column, quotable(changes.column, 'column'));
    if (changes.length !== undefined && changes.length !== f.length) put(s.length, decimal(changes.length));
    if (changes.sqlType !== undefined && changes.sqlType !== f.sqlType)
      put(s.sqlType, oneOf(changes.sqlType, SQL_TYPES));
    if (changes.dicomType !== undefined && changes.dicomType !== f.dicomType)
      put(s.dicomType, oneOf(changes.dicomType, DICOM_TYPES));
    if ('hl7' in changes && changes.hl7 !== f.hl7) {
      if (changes.hl7 === undefined) {
        if (s.hl7Clause) put(s.hl7Clause, '');
      } else if (s.hl7) put(s.hl7, quotable(changes.hl7, 'HL7 tag'));
      else {
        const value = quotable(changes.hl7, 'HL7 tag');
        edits.push({ at: s.dicomType[1], end: s.dicomType[1], text: `, "${value}"` });
      }
    }
    this.apply(edits);
  }

  /**
   * Inserts a field at `index` (0..length) of a level, on a line of its own with the indentation of its
   * neighbour, in Conquest's layout. Inserting at the end makes the new field the level's link.
   */
  insertField(level: DicomSqlLevelName, index: number, field: DicomSqlFieldInput): void {
    const l = this.levelOrThrow(level);
    if (!Number.isInteger(index) || index < 0 || index > l.fields.length)
      throw new RangeError(
        `${this.file}: cannot insert at ${index} in *${level}* (${l.fields.length} fields)`,
      );
    const entry = renderField(field);
    const eol = dominantEol(splitLines(this.text));
    const t = this.text;
    if (l.spans.length === 0) {
      this.apply([{ at: l.open + 1, end: l.open + 1, text: `${eol}\t${entry}` }]);
      return;
    }
    if (index < l.spans.length) {
      const start = l.spans[index]!.entry[0];
      const lineStart = t.lastIndexOf('\n', start - 1) + 1;
      const indent = t.slice(lineStart, start);
      if (/^[ \t]*$/.test(indent))
        this.apply([{ at: lineStart, end: lineStart, text: `${indent}${entry},${eol}` }]);
      else this.apply([{ at: start, end: start, text: `${entry}, ` }]);
      return;
    }
    const last = l.spans[l.spans.length - 1]!.entry;
    const lineStart = t.lastIndexOf('\n', last[0] - 1) + 1;
    const indentText = t.slice(lineStart, last[0]);
    const indent = /^[ \t]*$/.test(indentText) ? indentText : '\t';
    let at = last[1];
    let comma = ',';
    const after = /^[ \t]*,/.exec(t.slice(at));
    if (after) {
      at += after[0].length;
      comma = '';
    }
    this.apply([{ at, end: at, text: `${comma}${eol}${indent}${entry}` }]);
  }

  /** Removes a field: its whole line when it is alone on it, else the field and the comma after it. */
  removeField(level: DicomSqlLevelName, index: number): void {
    const l = this.levelOrThrow(level);
    const s = l.spans[index];
    if (!s) throw new RangeError(`${this.file}: *${level}* has no field ${index}`);
    const t = this.text;
    const [start, end] = s.entry;
    const lineStart = t.lastIndexOf('\n', start - 1) + 1;
    const rest = /^[ \t]*,?[ \t]*(\r?\n|$)/.exec(t.slice(end));
    if (/^[ \t]*$/.test(t.slice(lineStart, start)) && rest) {
      this.apply([{ at: lineStart, end: end + rest[0].length, text: '' }]);
      return;
    }
    const comma = /^[ \t]*,[ \t]*/.exec(t.slice(end));
    this.apply([{ at: start, end: end + (comma ? comma[0].length : 0), text: '' }]);
  }

  private apply(edits: Edit[]): void {
    if (edits.length === 0) return;
    let text = this.text;
    for (const e of [...edits].sort((a, b) => b.at - a.at))
      text = text.slice(0, e.at) + e.text + text.slice(e.end);
    const parsed = parseDicomSql(text, this.file);
    this.text = text;
    this.parsed = parsed;
  }

  private find(level: DicomSqlLevelName): ParsedLevel | undefined {
    return this.parsed.levels.find((l) => l.name === level);
  }

  private levelOrThrow(level: DicomSqlLevelName): ParsedLevel {
    const l = this.find(level);
    if (!l) throw new RangeError(`${this.file}: no *${level}* level`);
    return l;
  }
}

interface Edit {
  at: number;
  end: number;
  text: string;
}

function hex16(n: number, what: string): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`invalid ${what}: ${n}`);
  return `0x${n.toString(16).padStart(4, '0')}`;
}

function decimal(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`invalid length: ${n}`);
  return String(n);
}

function quotable(s: string, what: string): string {
  if (s === '' || /[ \t\r\n"{},]|\/\*|\*\//.test(s)) throw new RangeError(`invalid ${what}: '${s}'`);
  return s;
}

function oneOf<T extends string>(s: T, list: readonly T[]): T {
  if (!list.includes(s)) throw new RangeError(`invalid type: '${s}'`);
  return s;
}

/** A field in Conquest's layout: `{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }`. */
export function renderField(f: DicomSqlFieldInput): string {
  const hl7 = f.hl7 === undefined ? '' : `, "${quotable(f.hl7, 'HL7 tag')}"`;
  return (
    `{ ${hex16(f.group, 'group')}, ${hex16(f.element, 'element')}, "${quotable(f.column, 'column')}", ` +
    `${decimal(f.length)}, ${oneOf(f.sqlType, SQL_TYPES)}, ${oneOf(f.dicomType, DICOM_TYPES)}${hl7} }`
  );
}

// ---------------------------------------------------------------------------------------------
// The parser

const LEVEL_MARKER = /\*(Patient|Study|Series|Image|WorkList)\*/y;
/** Conquest's lexer separates words at blanks, tabs and line ends only (not at other Unicode spaces). */
const WORD = /[^ \t\r\n{},"]+/y;
const BLANK = /[ \t\r\n]/;
const NUMBER = /^(?:0[xX]([0-9a-fA-F]+)|([0-9]+))$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

class Reader {
  pos = 0;
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  lineAt(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  fail(pos: number, detail: string): never {
    throw new ConfigError(this.file, this.lineAt(pos), detail);
  }

  skipBlanks(): void {
    while (this.pos < this.text.length && BLANK.test(this.text[this.pos]!)) this.pos++;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  /** What is at pos, for error messages. */
  found(): string {
    if (this.atEnd()) return 'the end of the file';
    const rest = this.text.slice(this.pos).split(/\r?\n/, 1)[0]!.trim();
    return `'${rest.length > 40 ? `${rest.slice(0, 40)}...` : rest}'`;
  }

  expect(ch: string, what: string): number {
    this.skipBlanks();
    if (!this.peek(ch)) this.fail(this.pos, `expected ${what}, found ${this.found()}`);
    const at = this.pos;
    this.pos += ch.length;
    return at;
  }

  word(what: string): { text: string; span: [number, number] } {
    this.skipBlanks();
    WORD.lastIndex = this.pos;
    const m = WORD.exec(this.text);
    if (!m) this.fail(this.pos, `expected ${what}, found ${this.found()}`);
    const span: [number, number] = [this.pos, this.pos + m[0].length];
    this.pos = span[1];
    return { text: m[0], span };
  }

  /** A quoted name: no blanks, quotes, braces or commas inside (Conquest's lexer would split it there). */
  quoted(what: string): { text: string; span: [number, number] } {
    this.expect('"', `'"' before the ${what}`);
    const start = this.pos;
    const close = this.text.indexOf('"', start);
    const eol = this.text.indexOf('\n', start);
    if (close < 0 || (eol >= 0 && eol < close)) this.fail(start, `the ${what} has no closing '"'`);
    const value = this.text.slice(start, close);
    if (value === '') this.fail(start, `empty ${what} ""`);
    if (/[ \t\r\n{},]|\/\*|\*\//.test(value))
      this.fail(start, `the ${what} "${value}" contains a blank, brace, comma or comment mark`);
    this.pos = close + 1;
    return { text: value, span: [start, close] };
  }

  number(what: string, max: number): { value: number; span: [number, number] } {
    const w = this.word(what);
    const m = NUMBER.exec(w.text);
    if (!m) this.fail(w.span[0], `expected ${what} (decimal or 0x-hexadecimal), found '${w.text}'`);
    const value = m[1] !== undefined ? Number.parseInt(m[1], 16) : Number.parseInt(m[2]!, 10);
    if (value > max) this.fail(w.span[0], `${what} ${w.text} is larger than ${max}`);
    return { value, span: w.span };
  }
}

function parseDicomSql(text: string, file: string): Parsed {
  const r: Reader = new Reader(text, file);
  const levels: ParsedLevel[] = [];
  const warnings: string[] = [];
  for (;;) {
    r.skipBlanks();
    if (r.atEnd()) break;
    if (r.peek('/*')) {
      const end = text.indexOf('*/', r.pos + 2);
      if (end < 0) r.fail(r.pos, "comment '/*' without a closing '*/'");
      r.pos = end + 2;
      continue;
    }
    LEVEL_MARKER.lastIndex = r.pos;
    const m = LEVEL_MARKER.exec(text);
    if (!m) {
      const hint = r.peek('#') || r.peek('//') ? ' (comments must be /* ... */ blocks)' : '';
      r.fail(
        r.pos,
        `expected a level (*Patient*, *Study*, *Series*, *Image*, *WorkList*) or a /* comment */, found ${r.found()}${hint}`,
      );
    }
    const name = m[1] as DicomSqlLevelName;
    const markerPos = r.pos;
    r.pos += m[0].length;
    const previous = levels.find((l) => l.name === name);
    if (previous) r.fail(markerPos, `*${name}* is defined twice (first on line ${previous.line})`);
    levels.push(parseLevel(r, name, markerPos));
  }
  validate(levels, file, warnings);
  return { levels, warnings };
}

function parseLevel(r: Reader, name: DicomSqlLevelName, markerPos: number): ParsedLevel {
  const open = r.expect('{', `'{' after *${name}*`);
  const level: ParsedLevel = { name, line: r.lineAt(markerPos), open, close: -1, fields: [], spans: [] };
  for (;;) {
    r.skipBlanks();
    if (r.atEnd()) r.fail(markerPos, `*${name}* is not closed with '}'`);
    if (r.peek('}')) {
      level.close = r.pos++;
      return level;
    }
    if (!r.peek('{')) {
      if (r.peek('/*'))
        r.fail(r.pos, `a comment inside *${name}* (Conquest reads comments only between levels)`);
      r.fail(
        r.pos,
        `expected a field '{ group, element, "column", length, SQL type, DICOM type }' or the '}' closing *${name}*, found ${r.found()}`,
      );
    }
    const { field, spans } = parseField(r, name);
    level.fields.push(field);
    level.spans.push(spans);
    r.skipBlanks();
    if (r.peek(',')) r.pos++;
  }
}

function parseField(r: Reader, level: DicomSqlLevelName): { field: DicomSqlField; spans: FieldSpans } {
  const start = r.expect('{', "'{'");
  const line = r.lineAt(start);
  const group = r.number('a group number', 0xffff);
  r.expect(',', "',' after the group");
  const element = r.number('an element number', 0xffff);
  r.expect(',', "',' after the element");
  const column = r.quoted('column name');
  r.expect(',', "',' after the column name");
  const length = r.number('a column length', 0xffff);
  r.expect(',', "',' after the length");
  const sqlType = r.word('an SQL type (SQL_C_CHAR or SQL_C_DATE)');
  if (!(SQL_TYPES as readonly string[]).includes(sqlType.text))
    r.fail(sqlType.span[0], `unknown SQL type '${sqlType.text}' (SQL_C_CHAR or SQL_C_DATE)`);
  r.expect(',', "',' after the SQL type");
  const dicomType = r.word('a DICOM type');
  if (!(DICOM_TYPES as readonly string[]).includes(dicomType.text))
    r.fail(dicomType.span[0], `unknown DICOM type '${dicomType.text}' (one of ${DICOM_TYPES.join(', ')})`);
  r.skipBlanks();
  let hl7: { text: string; span: [number, number] } | undefined;
  let hl7Clause: [number, number] | undefined;
  if (r.peek(',')) {
    const comma = r.pos++;
    if (level !== 'WorkList')
      r.fail(comma, `a seventh item (HL7 tag) is only read in *WorkList*, not in *${level}*`);
    hl7 = r.quoted('HL7 tag');
    hl7Clause = [comma, hl7.span[1] + 1];
  }
  const close = r.expect('}', `'}' closing the field`);
  const type = dicomType.text as DicomType;
  if (!isSequenceMarker(type) && !IDENTIFIER.test(column.text))
    r.fail(column.span[0], `column name "${column.text}" is not an SQL name (letters, digits, '_')`);
  const field: DicomSqlField = {
    group: group.value,
    element: element.value,
    tag: ((group.value << 16) | element.value) >>> 0,
    column: column.text,
    length: length.value,
    sqlType: sqlType.text as SqlCType,
    dicomType: type,
    hl7: hl7?.text,
    line,
  };
  const spans: FieldSpans = {
    entry: [start, close + 1],
    group: group.span,
    element: element.span,
    column: column.span,
    length: length.span,
    sqlType: sqlType.span,
    dicomType: dicomType.span,
  };
  if (hl7 && hl7Clause) {
    spans.hl7 = hl7.span;
    spans.hl7Clause = hl7Clause;
  }
  return { field, spans };
}

function validate(levels: ParsedLevel[], file: string, warnings: string[]): void {
  for (const name of REQUIRED_LEVELS) {
    const l = levels.find((x) => x.name === name);
    if (!l)
      throw new ConfigError(
        file,
        undefined,
        `no *${name}* level (Patient, Study, Series and Image are required)`,
      );
    if (l.fields.length === 0) throw new ConfigError(file, l.line, `*${name}* has no fields`);
  }
  for (const l of levels) {
    const fields = l.fields;
    if (fields.length === 0) continue;
    const first = fields[0]!;
    if (isSequenceMarker(first.dicomType))
      throw new ConfigError(
        file,
        first.line,
        `the first field of *${l.name}* (its key) cannot be ${first.dicomType}`,
      );
    const last = fields[fields.length - 1]!;
    if (UPPER_LEVEL[l.name] && isSequenceMarker(last.dicomType))
      throw new ConfigError(
        file,
        last.line,
        `the last field of *${l.name}* (its link) cannot be ${last.dicomType}`,
      );
    if (UPPER_LEVEL[l.name] && fields.length < 2)
      throw new ConfigError(
        file,
        first.line,
        `*${l.name}* needs a key and, as its last field, a link to *${UPPER_LEVEL[l.name]}*`,
      );
    const seen = new Map<string, DicomSqlField>();
    const open: DicomSqlField[] = [];
    for (const f of fields) {
      if (f.dicomType === 'DT_STARTSEQUENCE') {
        open.push(f);
        continue;
      }
      if (f.dicomType === 'DT_ENDSEQUENCE') {
        const s = open.pop();
        if (!s)
          throw new ConfigError(
            file,
            f.line,
            `DT_ENDSEQUENCE in *${l.name}* without a DT_STARTSEQUENCE before it`,
          );
        if (s.tag !== f.tag)
          warnings.push(
            `${file}, line ${f.line}: DT_ENDSEQUENCE ${formatTag(f.tag)} closes DT_STARTSEQUENCE ${formatTag(s.tag)} of line ${s.line}`,
          );
        continue;
      }
      if (f.length === 0) throw new ConfigError(file, f.line, `column "${f.column}" has length 0`);
      const k = f.column.toLowerCase();
      const dup = seen.get(k);
      if (dup)
        throw new ConfigError(
          file,
          f.line,
          `*${l.name}* has column "${f.column}" twice (also line ${dup.line})`,
        );
      seen.set(k, f);
      if (l.name === 'WorkList' && f.hl7 === undefined)
        warnings.push(
          `${file}, line ${f.line}: worklist field "${f.column}" has no HL7 tag (Conquest would reuse the tag of the field before it; write "---" for none)`,
        );
    }
    if (open.length > 0) {
      const s = open[open.length - 1]!;
      throw new ConfigError(
        file,
        s.line,
        `DT_STARTSEQUENCE in *${l.name}* is never closed with DT_ENDSEQUENCE`,
      );
    }
    const upperName = UPPER_LEVEL[l.name];
    const upper = upperName ? levels.find((x) => x.name === upperName) : undefined;
    if (upper && upper.fields.length > 0 && upper.fields[0]!.tag !== last.tag)
      warnings.push(
        `${file}, line ${last.line}: the last field of *${l.name}* (${formatTag(last.tag)} "${last.column}") is its link to *${upper.name}*, ` +
          `but the key of *${upper.name}* is ${formatTag(upper.fields[0]!.tag)} "${upper.fields[0]!.column}"`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// First-install default

/**
 * The dicom.sql Conquest 1.5.0c installs for its SQL drivers (SQLite, MySQL/MariaDB, PostgreSQL, ODBC):
 * the distribution's file (`linux/conf/dicom.sql.sqlite`, identical to what the web installer
 * `install/installer.lua` writes), revision 19 with QRows/QColumns, byte for byte with LF line ends. The
 * manual's listing (7.3) is the same layout but mangled by its conversion (fields out of order, two lengths
 * wrong), so it is not the source. The built-in dBase III driver's denormalised variant is not offered: that
 * driver is not implemented.
 */
export function defaultDicomSqlText(): string {
  return DEFAULT_DICOM_SQL;
}

const DEFAULT_DICOM_SQL = `/*
#       DICOM Database layout
#     Example version for all SQL servers (mostly normalized)
#
#\t(File DICOM.SQL)
#\t** DO NOT EDIT THIS FILE UNLESS YOU KNOW WHAT YOU ARE DOING **
#
#\tVersion with modality moved to the series level and EchoNumber in image table
#\tRevision 3: Patient birthday and sex, bolus agent, correct field lengths
#\tRevision 4: Studymodality, Station and Department in study
#\t            Manufacturer, Model, BodyPart and Protocol in series
#\t            Acqdate/time, coil, acqnumber, slicelocation and pixel info in images
#       Notes for revision 4:
#         InstitutionalDepartmentName in study (should officially be in series, but eFilm expects it in study)
#         StationName is in study              (should officially be in series, but more useful in study)
#\tRevision 5: Added patientID in series and images for more efficient querying
#\tRevision 6: Added frame of reference UID in series table
#\tRevision 7: Added ImageType in image table, StudyModality to 64 chars, AcqDate to SQL_C_DATE
#\tRevision 8: Denormalized study table (add patient ID, name, birthdate) to show consistency problems
#\tRevision 10: Fixed width of ReceivingCoil: to 16 chars
#\tRevision 13: Added ImageID to image database
#\tRevision 14: Added WorkList database with HL7 tags
#\tRevision 16: Moved Stationname and InstitutionalDepartmentName to series table
#\tRevision 17: EchoNumber, ReqProcDescription to 64 characters; StudyModality, EchoNumber, ImageType to DT_MSTR; use Institution instead of InstitutionalDepartmentName
#\tRevision 18: DT_STR can now be replaced by DT_ISTR to force case insensitive searches
#\tRevision 19: Use QRows and QColumns as field names
#
#
#\t5 databases need to be defined:
#
#\t\t*Patient*
#\t\t\t*Study*
#\t\t\t\t*Series*
#\t\t\t\t\t*Image*
#\t\t\t*WorkList*
#
#
# The last defined element of Study is a link back to Patient
# The last defined element of Series is a link back to Study
# The last defined element of Image is a link back to Series
#
#
# Format for DICOM databases :
#\t{ Group, Element, Column Name, Column Length, SQL-Type, DICOM-Type }
# Format for Worklist database :
#\t{ Group, Element, Column Name, Column Length, SQL-Type, DICOM-Type, HL7 tag}
#\tHL7 tags include SEQ.N, SEQ.N.M, SEQ.N.DATE, SEQ.N.TIME, *AN, *UI
*/

*Patient*
{
\t{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_STR },
        { 0x0010, 0x0030, "PatientBirthDate", 8, SQL_C_DATE, DT_DATE },
\t{ 0x0010, 0x0040, "PatientSex", 16, SQL_C_CHAR, DT_STR }
}

*Study*
{
\t{ 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI },
\t{ 0x0008, 0x0020, "StudyDate", 8, SQL_C_DATE, DT_DATE },
\t{ 0x0008, 0x0030, "StudyTime", 16, SQL_C_CHAR, DT_TIME },
\t{ 0x0020, 0x0010, "StudyID", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x1030, "StudyDescription", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x0050, "AccessionNumber", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x0090, "ReferPhysician", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0010, 0x1010, "PatientsAge", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0010, 0x1030, "PatientsWeight", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x0061, "StudyModality", 64, SQL_C_CHAR, DT_MSTR },

\t{ 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_STR },
        { 0x0010, 0x0030, "PatientBirthDate", 8, SQL_C_DATE, DT_DATE },
\t{ 0x0010, 0x0040, "PatientSex", 16, SQL_C_CHAR, DT_STR }

\t{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }
}

*Series*
{
\t{ 0x0020, 0x000e, "SeriesInstanceUID", 64, SQL_C_CHAR, DT_UI },
\t{ 0x0020, 0x0011, "SeriesNumber", 12, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x0021, "SeriesDate", 8, SQL_C_DATE, DT_DATE },
\t{ 0x0008, 0x0031, "SeriesTime", 16, SQL_C_CHAR, DT_TIME },
\t{ 0x0008, 0x103e, "SeriesDescription", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x0060, "Modality", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0018, 0x5100, "PatientPosition", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0018, 0x0010, "ContrastBolusAgent", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x0070, "Manufacturer", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x1090, "ModelName", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0018, 0x0015, "BodyPartExamined", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0018, 0x1030, "ProtocolName", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x1010, "StationName", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x0080, "Institution", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0020, 0x0052, "FrameOfReferenceUID", 64, SQL_C_CHAR, DT_UI },
\t{ 0x0010, 0x0020, "SeriesPat", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI }
}

*Image*
{
\t{ 0x0008, 0x0018, "SOPInstanceUID", 64, SQL_C_CHAR, DT_UI },
\t{ 0x0008, 0x0016, "SOPClassUID", 64, SQL_C_CHAR, DT_UI },
\t{ 0x0020, 0x0013, "ImageNumber", 12, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x0023, "ImageDate", 8, SQL_C_DATE, DT_DATE },
\t{ 0x0008, 0x0033, "ImageTime", 16, SQL_C_CHAR, DT_TIME },
\t{ 0x0018, 0x0086, "EchoNumber", 64, SQL_C_CHAR, DT_MSTR },
\t{ 0x0028, 0x0008, "NumberOfFrames", 12, SQL_C_CHAR, DT_STR },
\t{ 0x0008, 0x0022, "AcqDate", 8, SQL_C_DATE, DT_DATE },
\t{ 0x0008, 0x0032, "AcqTime", 16, SQL_C_CHAR, DT_TIME },
\t{ 0x0018, 0x1250, "ReceivingCoil", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0020, 0x0012, "AcqNumber", 12, SQL_C_CHAR, DT_STR },
\t{ 0x0020, 0x1041, "SliceLocation", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0028, 0x0002, "SamplesPerPixel", 5, SQL_C_CHAR, DT_UINT16 },
\t{ 0x0028, 0x0004, "PhotoMetricInterpretation", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0028, 0x0010, "QRows", 5, SQL_C_CHAR, DT_UINT16 },
\t{ 0x0028, 0x0011, "QColumns", 5, SQL_C_CHAR, DT_UINT16 },
\t{ 0x0028, 0x0101, "BitsStored", 5, SQL_C_CHAR, DT_UINT16 },
\t{ 0x0008, 0x0008, "ImageType", 128, SQL_C_CHAR, DT_MSTR },
\t{ 0x0054, 0x0400, "ImageID", 16, SQL_C_CHAR, DT_STR },
\t{ 0x0010, 0x0020, "ImagePat", 64, SQL_C_CHAR, DT_STR },
\t{ 0x0020, 0x000e, "SeriesInstanceUID", 64, SQL_C_CHAR, DT_UI }
}

*WorkList*
{
 \t{ 0x0008, 0x0050, "AccessionNumber",    16, SQL_C_CHAR, DT_STR,  "OBR.3" },
 \t{ 0x0010, 0x0020, "PatientID",          64, SQL_C_CHAR, DT_STR,  "PID.4" },
 \t{ 0x0010, 0x0010, "PatientName",        64, SQL_C_CHAR, DT_STR,  "PID.5" },
        { 0x0010, 0x0030, "PatientBirthDate",    8, SQL_C_DATE, DT_DATE, "PID.7" },
 \t{ 0x0010, 0x0040, "PatientSex",         16, SQL_C_CHAR, DT_STR,  "PID.8" },

 \t{ 0x0010, 0x2000, "MedicalAlerts",      64, SQL_C_CHAR, DT_STR,  "---" },
 \t{ 0x0010, 0x2110, "ContrastAllergies",  64, SQL_C_CHAR, DT_STR,  "---" },
 \t{ 0x0020, 0x000d, "StudyInstanceUID",   64, SQL_C_CHAR, DT_UI,   "---" },
 \t{ 0x0032, 0x1032, "ReqPhysician",       64, SQL_C_CHAR, DT_STR,  "OBR.16" },
 \t{ 0x0032, 0x1060, "ReqProcDescription", 64, SQL_C_CHAR, DT_STR,  "OBR.4.1" },

 \t{ 0x0040, 0x0100, "--------",   0, SQL_C_CHAR, DT_STARTSEQUENCE, "---" },
 \t{ 0x0008, 0x0060, "Modality",           16, SQL_C_CHAR, DT_STR,  "OBR.21" },
 \t{ 0x0032, 0x1070, "ReqContrastAgent",   64, SQL_C_CHAR, DT_STR,  "---" },
 \t{ 0x0040, 0x0001, "ScheduledAE",        16, SQL_C_CHAR, DT_STR,  "---" },
 \t{ 0x0040, 0x0002, "StartDate",           8, SQL_C_DATE, DT_DATE, "OBR.7.DATE" },
 \t{ 0x0040, 0x0003, "StartTime",          16, SQL_C_CHAR, DT_TIME, "OBR.7.TIME" },
 \t{ 0x0040, 0x0006, "PerfPhysician",      64, SQL_C_CHAR, DT_STR,  "---" },
 \t{ 0x0040, 0x0007, "SchedPSDescription", 64, SQL_C_CHAR, DT_STR,  "---" },
 \t{ 0x0040, 0x0009, "SchedPSID",          16, SQL_C_CHAR, DT_STR,  "OBR.4" },
 \t{ 0x0040, 0x0010, "SchedStationName",   16, SQL_C_CHAR, DT_STR,  "OBR.24" },
 \t{ 0x0040, 0x0011, "SchedPSLocation",    16, SQL_C_CHAR, DT_STR,  "---" },
 \t{ 0x0040, 0x0012, "PreMedication",      64, SQL_C_CHAR, DT_STR,  "---" },
 \t{ 0x0040, 0x0400, "SchedPSComments",    64, SQL_C_CHAR, DT_STR,  "---" },
 \t{ 0x0040, 0x0100, "---------",    0, SQL_C_CHAR, DT_ENDSEQUENCE, "---" },

        { 0x0040, 0x1001, "ReqProcID",          16, SQL_C_CHAR, DT_STR,  "OBR.4.0" },
 \t{ 0x0040, 0x1003, "ReqProcPriority",    16, SQL_C_CHAR, DT_STR,  "OBR.27" }
}
`;
