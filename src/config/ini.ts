/**
 * dicom.ini (Conquest manual 7.2): `[section]` headers, `key = value` lines, `#` or `;` comment lines and
 * blank lines. The model keeps every line as it was written, so that an edit (`--put_param`,
 * `--delete_param`) rewrites only the line it touches and the file otherwise stays byte-identical.
 *
 * Reading follows Conquest's reader (its own GetPrivateProfileString on Linux, the Windows one on Windows):
 * - section names and keys are case-insensitive, a section may appear more than once (its lines merge),
 *   and the first occurrence of a key wins;
 * - the value is everything after the first `=`, without leading and trailing blanks; one pair of
 *   enclosing double or single quotes is removed. There are no inline comments: `#` and `;` inside a
 *   value (Lua code, converter scripts) belong to the value.
 *
 * Where Conquest silently ignores a line (neither comment, section nor `key = value`, or a `[` without
 * `]`), this module throws a ConfigError naming the file and line instead: a typo should not go unseen.
 * Indented lines are read (Windows does; Conquest's Linux reader skips them), and keys before the first
 * section are kept in the unnamed section '' with a warning (Conquest never reads them).
 *
 * This file also holds what the three configuration modules share: ConfigError and the line/encoding
 * helpers that make byte-preserving rewrites possible.
 */
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

// ---------------------------------------------------------------------------------------------
// Errors

/** A configuration file is malformed: names the file, the 1-based line (when one is to blame) and what is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(line === undefined ? `${file}: ${detail}` : `${file}, line ${line}: ${detail}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Lines and encodings, shared by ini.ts, acrnema-map.ts and dgatesop-list.ts

/** One line of a text file: its text and the line ending that followed it ('' for a last line without one). */
export interface TextLine {
  text: string;
  eol: string;
}

/** Splits text into lines, keeping each line's own ending (LF or CRLF) so that joining gives the input back. */
export function splitLines(text: string): TextLine[] {
  const lines: TextLine[] = [];
  let start = 0;
  while (start < text.length) {
    const lf = text.indexOf('\n', start);
    if (lf < 0) {
      lines.push({ text: text.slice(start), eol: '' });
      break;
    }
    const crlf = lf > start && text.charCodeAt(lf - 1) === 13;
    lines.push({ text: text.slice(start, crlf ? lf - 1 : lf), eol: crlf ? '\r\n' : '\n' });
    start = lf + 1;
  }
  return lines;
}

export function joinLines(lines: readonly TextLine[]): string {
  let out = '';
  for (const l of lines) out += l.text + l.eol;
  return out;
}

/** The line ending most lines use ('\n' when there are none): what new lines get. */
export function dominantEol(lines: readonly TextLine[]): string {
  let crlf = 0;
  let lf = 0;
  for (const l of lines) {
    if (l.eol === '\r\n') crlf++;
    else if (l.eol === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/**
 * Appends lines at the end (or at `index`), giving a last line that had no line ending one first, so
 * that the new lines do not run into it.
 */
export function insertLines<T extends TextLine>(lines: T[], index: number, added: readonly T[]): void {
  if (added.length === 0) return;
  const eol = dominantEol(lines);
  if (index > 0 && lines[index - 1]!.eol === '') lines[index - 1]!.eol = eol;
  for (const a of added) if (a.eol === '') a.eol = eol;
  lines.splice(index, 0, ...added);
}

/**
 * How a file's bytes became text, so that writing it back gives the same bytes: Conquest's files are
 * usually ANSI (Windows-1252/Latin-1) but may be UTF-8; both are read losslessly.
 */
export interface TextFormat {
  /** 'utf8' when the bytes are valid UTF-8 (ASCII included), else 'latin1' (one char per byte). */
  encoding: 'utf8' | 'latin1';
  /** The file started with a UTF-8 byte order mark. */
  bom: boolean;
}

export const DEFAULT_TEXT_FORMAT: Readonly<TextFormat> = Object.freeze({ encoding: 'utf8', bom: false });

/** Text that still starts with U+FEFF (a byte order mark decoded as text) loses it; the format records it. */
export function withoutBom(text: string, format: TextFormat): { text: string; format: TextFormat } {
  return text.charCodeAt(0) === 0xfeff
    ? { text: text.slice(1), format: { ...format, bom: true } }
    : { text, format: { ...format } };
}

export function decodeConfigBytes(bytes: Uint8Array): { text: string; format: TextFormat } {
  let body = bytes;
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  if (bom) body = bytes.subarray(3);
  try {
    return {
      text: new TextDecoder('utf-8', { fatal: true }).decode(body),
      format: { encoding: 'utf8', bom },
    };
  } catch {
    return { text: Buffer.from(body).toString('latin1'), format: { encoding: 'latin1', bom } };
  }
}

export function encodeConfigText(text: string, format: TextFormat = DEFAULT_TEXT_FORMAT): Buffer {
  const body = Buffer.from(text, format.encoding);
  return format.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

/** Reads a configuration file; a file that cannot be read becomes a ConfigError naming it. */
export function readConfigFile(path: string): { text: string; format: TextFormat } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ConfigError(path, undefined, `cannot be read: ${(e as Error).message}`);
  }
  return decodeConfigBytes(bytes);
}

/**
 * Writes a configuration file atomically (a temporary file in the same folder, then a rename), so that a
 * server reading it concurrently sees the old or the new file, never half of one.
 */
export function writeConfigFile(path: string, text: string, format: TextFormat = DEFAULT_TEXT_FORMAT): void {
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    writeFileSync(tmp, encodeConfigText(text, format));
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new ConfigError(path, undefined, `cannot be written: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// dicom.ini

export type IniLineKind = 'blank' | 'comment' | 'section' | 'entry';

/** One line of dicom.ini as parsed. */
export interface IniLine extends TextLine {
  readonly kind: IniLineKind;
  /** The section the line is in, as written in its header ('' before the first header); a header's own name. */
  readonly section: string;
  /** For entries: the key as written (trimmed). */
  readonly key?: string;
  /** For entries: the value as Conquest reads it (trimmed, one pair of enclosing quotes removed). */
  readonly value?: string;
}

/** A `key = value` line. */
export interface IniEntry {
  /** The section as written in the header the line is under. */
  readonly section: string;
  /** The key as written. */
  readonly key: string;
  readonly value: string;
  /** 1-based line number. */
  readonly line: number;
}

const BLANKS = /^[ \t]+|[ \t]+$/g;

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The value after '=' as Conquest reads it: trimmed, and one pair of enclosing " or ' removed. */
export function iniValue(afterEquals: string): string {
  const v = afterEquals.replace(BLANKS, '');
  if (v.length >= 2) {
    const q = v[0];
    if ((q === '"' || q === "'") && v[v.length - 1] === q) return v.slice(1, -1);
  }
  return v;
}

/** How a value is written so that iniValue() reads it back unchanged. */
export function renderIniValue(value: string): string {
  const needsQuotes =
    value !== value.replace(BLANKS, '') ||
    (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]);
  return needsQuotes ? `"${value}"` : value;
}

/** `key = value` in the layout Conquest writes: the '=' in column 26, or one space after a longer key. */
export function renderIniEntry(key: string, value: string): string {
  const rendered = renderIniValue(value);
  return `${key.padEnd(Math.max(25, key.length + 1))}=${rendered === '' ? '' : ` ${rendered}`}`;
}

function classify(text: string, section: string, file: string, lineNo: number): Omit<IniLine, 'eol'> {
  const t = text.replace(BLANKS, '');
  if (t === '') return { kind: 'blank', text, section };
  if (t[0] === '#' || t[0] === ';') return { kind: 'comment', text, section };
  if (t[0] === '[') {
    const close = t.indexOf(']');
    if (close < 0) throw new ConfigError(file, lineNo, `section header without ']': ${t}`);
    const name = t.slice(1, close).replace(BLANKS, '');
    if (name === '') throw new ConfigError(file, lineNo, 'empty section name: []');
    return { kind: 'section', text, section: name };
  }
  const eq = text.indexOf('=');
  if (eq < 0)
    throw new ConfigError(
      file,
      lineNo,
      `expected 'key = value', a [section] header or a '#' comment, found: ${t.length > 60 ? `${t.slice(0, 60)}...` : t}`,
    );
  const key = text.slice(0, eq).replace(BLANKS, '');
  if (key === '') throw new ConfigError(file, lineNo, `'=' without a key before it: ${t}`);
  return { kind: 'entry', text, section, key, value: iniValue(text.slice(eq + 1)) };
}

/** dicom.ini (or any Conquest-style ini file), edited in place. */
export class IniFile {
  private readonly lines: IniLine[];
  /** Things that are not errors but deserve a word: duplicate keys, keys before any section. */
  readonly warnings: string[] = [];

  private constructor(
    lines: IniLine[],
    /** The name errors and warnings use (the path when read from disk). */
    readonly file: string,
    /** The encoding and BOM the file had; write() keeps them. */
    public format: TextFormat,
  ) {
    this.lines = lines;
  }

  /** Parses ini text; throws ConfigError(file, line) for a line that is neither comment, section nor key = value. */
  static parse(input: string, file = 'dicom.ini', textFormat: TextFormat = DEFAULT_TEXT_FORMAT): IniFile {
    const { text, format } = withoutBom(input, textFormat);
    const lines: IniLine[] = [];
    let section = '';
    splitLines(text).forEach((l, i) => {
      const parsed = classify(l.text, section, file, i + 1);
      if (parsed.kind === 'section') section = parsed.section;
      lines.push({ ...parsed, eol: l.eol });
    });
    const ini = new IniFile(lines, file, format);
    ini.checkDuplicates();
    return ini;
  }

  /** Reads and parses a file from disk. */
  static read(path: string): IniFile {
    const { text, format } = readConfigFile(path);
    return IniFile.parse(text, path, format);
  }

  /** Writes the file (atomically), in the encoding it was read in. */
  write(path: string = this.file): void {
    writeConfigFile(path, this.toString(), this.format);
  }

  toString(): string {
    return joinLines(this.lines);
  }

  /** Every line as parsed, in order (line n is at index n - 1). */
  allLines(): readonly IniLine[] {
    return this.lines;
  }

  /** The distinct section names in order of first appearance, as first written ('' only if it has entries). */
  sections(): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const l of this.lines) {
      if (l.kind !== 'section' && !(l.kind === 'entry' && l.section === '')) continue;
      const k = l.section.toLowerCase();
      if (!seen.has(k)) {
        seen.add(k);
        out.push(l.section);
      }
    }
    return out;
  }

  hasSection(section: string): boolean {
    return this.lines.some((l) => (l.kind === 'section' || l.kind === 'entry') && same(l.section, section));
  }

  /** Every entry (of one section, all its headers merged, when given), in file order, duplicates included. */
  entries(section?: string): IniEntry[] {
    const out: IniEntry[] = [];
    this.lines.forEach((l, i) => {
      if (l.kind === 'entry' && (section === undefined || same(l.section, section)))
        out.push({ section: l.section, key: l.key!, value: l.value!, line: i + 1 });
    });
    return out;
  }

  /** The entry Conquest reads for a key: the first one in the section (case-insensitive). */
  entry(section: string, key: string): IniEntry | undefined {
    const i = this.indexOf(section, key);
    if (i < 0) return undefined;
    const l = this.lines[i]!;
    return { section: l.section, key: l.key!, value: l.value!, line: i + 1 };
  }

  /** The value Conquest reads for a key, or undefined when the key is absent. */
  get(section: string, key: string): string | undefined {
    const i = this.indexOf(section, key);
    return i < 0 ? undefined : this.lines[i]!.value;
  }

  has(section: string, key: string): boolean {
    return this.indexOf(section, key) >= 0;
  }

  /**
   * Sets a key. An existing key has only its value replaced on its (first) line, keeping the user's
   * spelling of the key and the spacing around '='; a new key goes after the section's last entry, in
   * Conquest's layout; a new section is appended at the end. Nothing else in the file changes.
   */
  set(section: string, key: string, value: string): void {
    if (key.replace(BLANKS, '') === '' || /[=\r\n]/.test(key)) throw new Error(`invalid ini key: '${key}'`);
    if (/[\r\n]/.test(value)) throw new Error(`an ini value cannot contain a line break (key ${key})`);
    const i = this.indexOf(section, key);
    if (i >= 0) {
      const l = this.lines[i]!;
      if (l.value === value) return;
      const eq = l.text.indexOf('=');
      const prefix = l.text.slice(0, eq + 1);
      const after = l.text.slice(eq + 1);
      let ws = /^[ \t]*/.exec(after)![0];
      if (after.replace(BLANKS, '') === '') ws = /[ \t]$/.test(l.text.slice(0, eq)) ? ' ' : '';
      const rendered = renderIniValue(value);
      const text = rendered === '' ? prefix : prefix + ws + rendered;
      this.lines[i] = { ...l, text, value };
      return;
    }
    const key_ = key.replace(BLANKS, '');
    const entry = (sectionName: string): IniLine => ({
      kind: 'entry',
      text: renderIniEntry(key_, value),
      eol: '',
      section: sectionName,
      key: key_,
      value,
    });
    let last = -1;
    let header = -1;
    this.lines.forEach((l, j) => {
      if (!same(l.section, section)) return;
      if (l.kind === 'entry') last = j;
      else if (l.kind === 'section') header = j;
    });
    const at = Math.max(last, header);
    if (at >= 0 && (section !== '' || last >= 0)) {
      insertLines(this.lines, at + 1, [entry(this.lines[at]!.section)]);
      return;
    }
    if (section === '') {
      // The unnamed section is the top of the file, before any header.
      insertLines(this.lines, 0, [entry('')]);
      return;
    }
    const added: IniLine[] = [];
    const end = this.lines.length;
    if (end > 0 && this.lines[end - 1]!.kind !== 'blank')
      added.push({ kind: 'blank', text: '', eol: '', section: this.lines[end - 1]!.section });
    added.push({ kind: 'section', text: `[${section}]`, eol: '', section });
    added.push(entry(section));
    insertLines(this.lines, end, added);
  }

  /** Removes a key (every line that sets it in that section); false when it was not there. */
  delete(section: string, key: string): boolean {
    let removed = false;
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i]!;
      if (l.kind === 'entry' && same(l.section, section) && same(l.key!, key)) {
        this.lines.splice(i, 1);
        removed = true;
      }
    }
    return removed;
  }

  private indexOf(section: string, key: string): number {
    const s = section.toLowerCase();
    const k = key.replace(BLANKS, '').toLowerCase();
    return this.lines.findIndex(
      (l) => l.kind === 'entry' && l.section.toLowerCase() === s && l.key!.toLowerCase() === k,
    );
  }

  private checkDuplicates(): void {
    const first = new Map<string, number>();
    this.lines.forEach((l, i) => {
      if (l.kind !== 'entry') return;
      if (l.section === '')
        this.warnings.push(
          `${this.file}, line ${i + 1}: '${l.key}' is before any [section] header; Conquest never reads it`,
        );
      const id = `${l.section.toLowerCase()}\u0000${l.key!.toLowerCase()}`;
      const at = first.get(id);
      if (at === undefined) first.set(id, i + 1);
      else
        this.warnings.push(
          `${this.file}, line ${i + 1}: '${l.key}' in [${l.section}] is also set on line ${at}; the first one is used`,
        );
    });
  }
}
