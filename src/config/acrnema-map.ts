/**
 * acrnema.map (Conquest manual 7.4): the AE title → host, port and compression table of the DICOM peers
 * this server knows, one entry per line: `AE  host  port  [compression]  [extra columns...]`, separated by
 * any blanks. Comments are C-style `/* ... *\/` blocks (the header Conquest writes and asks users not to
 * change), `//`, `#` and `;` up to the end of the line. Columns after the compression are kept for the
 * Lua scripts that read them (association.lua adds some).
 *
 * Resolution is Conquest's (GetACRNema): the entries are tried in order, and the first that is either a
 * wildcard whose prefix matches (case-insensitive) or an exact, case-sensitive match wins; only when none
 * does, a case-insensitive exact match is looked for. A wildcard AE ends with '*'; the part of the
 * requested AE that the '*' stands for replaces a trailing '*' of the host and/or the port, so
 * `V*  *  1234` maps V10.0.0.7 to host 10.0.0.7, port 1234. Hence the manual's advice: normal entries
 * above wildcard entries.
 *
 * The model keeps every line as written; put() and delete() (for --put_amap, --delete_amap and
 * --write_amap) rewrite or remove only the entry's own line.
 */
import {
  ConfigError,
  DEFAULT_TEXT_FORMAT,
  insertLines,
  joinLines,
  readConfigFile,
  splitLines,
  type TextFormat,
  type TextLine,
  withoutBom,
  writeConfigFile,
} from './ini.js';

/** One entry of acrnema.map, as written (the port may be a wildcard such as '*' or '56*'). */
export interface AcrNemaEntry {
  readonly ae: string;
  readonly host: string;
  readonly port: string;
  /** The compression column; 'un' when the line has none (as Conquest does). */
  readonly compression: string;
  /** Columns after the compression, for Lua scripts. */
  readonly extra: readonly string[];
  /** 1-based line number in the file (for entries added since parsing: where they are now). */
  readonly line: number;
}

/** What an AE title resolves to. */
export interface ResolvedAddress {
  /** The AE title asked for (trailing blanks removed). */
  readonly ae: string;
  readonly host: string;
  readonly port: number;
  readonly compression: string;
  readonly extra: readonly string[];
  /** The entry that matched. */
  readonly entry: AcrNemaEntry;
}

/** An entry to write with put(). */
export interface AcrNemaEntryInput {
  ae: string;
  host: string;
  port: string | number;
  compression?: string;
  extra?: readonly string[];
}

interface MapLine extends TextLine {
  /** Present when the line holds an entry. */
  fields?: {
    ae: string;
    host: string;
    port: string;
    compression: string;
    extra: string[];
    /** Text before the first column and after the last one (indentation, trailing comments): kept on edits. */
    head: string;
    tail: string;
  };
}

const PORT = /^(?:\d+\*?|\*)$/;

function validatePort(port: string, file: string, line: number | undefined): void {
  if (!PORT.test(port))
    throw new ConfigError(
      file,
      line,
      `port '${port}' is neither a number nor a wildcard such as '*' or '56*'`,
    );
  if (!port.endsWith('*') && (Number(port) < 1 || Number(port) > 65535))
    throw new ConfigError(file, line, `port ${port} is outside 1..65535`);
}

/**
 * The columns of each line once comments are removed, keeping where they were so that head and tail
 * text can be preserved. `inBlock` carries an open /* comment over to the next line.
 */
function tokenize(text: string, inBlock: boolean): { tokens: { s: number; e: number }[]; inBlock: boolean } {
  const tokens: { s: number; e: number }[] = [];
  let i = 0;
  let start = -1;
  const end = (at: number) => {
    if (start >= 0) tokens.push({ s: start, e: at });
    start = -1;
  };
  while (i < text.length) {
    if (inBlock) {
      const close = text.indexOf('*/', i);
      if (close < 0) return { tokens, inBlock: true };
      i = close + 2;
      inBlock = false;
      continue;
    }
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '*') {
      end(i);
      inBlock = true;
      i += 2;
      continue;
    }
    if ((c === '/' && text[i + 1] === '/') || c === '#' || c === ';') {
      end(i);
      return { tokens, inBlock: false };
    }
    if (c === ' ' || c === '\t' || c === '\r') end(i);
    else if (start < 0) start = i;
    i++;
  }
  end(i);
  return { tokens, inBlock };
}

function renderFields(f: NonNullable<MapLine['fields']>): string {
  const cols = `${f.ae.padEnd(17)} ${f.host.padEnd(14)} ${f.port.padEnd(9)} ${f.compression}`;
  return f.extra.length === 0 ? cols : `${cols} ${f.extra.join(' ')}`;
}

/** acrnema.map, edited in place. */
export class AcrNemaMap {
  private readonly lines: MapLine[];
  readonly warnings: string[] = [];

  private constructor(
    lines: MapLine[],
    readonly file: string,
    public format: TextFormat,
  ) {
    this.lines = lines;
  }

  /** Parses acrnema.map text; throws ConfigError(file, line) for an entry line that is malformed. */
  static parse(
    input: string,
    file = 'acrnema.map',
    textFormat: TextFormat = DEFAULT_TEXT_FORMAT,
  ): AcrNemaMap {
    const { text, format } = withoutBom(input, textFormat);
    const lines: MapLine[] = [];
    let inBlock = false;
    const seen = new Map<string, number>();
    const warnings: string[] = [];
    splitLines(text).forEach((l, i) => {
      const lineNo = i + 1;
      const t = tokenize(l.text, inBlock);
      inBlock = t.inBlock;
      if (t.tokens.length === 0) {
        lines.push({ text: l.text, eol: l.eol });
        return;
      }
      const cols = t.tokens.map((k) => l.text.slice(k.s, k.e));
      if (cols.length < 3)
        throw new ConfigError(
          file,
          lineNo,
          `expected 'AE  host  port  [compression]', found only ${cols.length} column${cols.length === 1 ? '' : 's'}: ${cols.join(' ')}`,
        );
      const [ae, host, port, compression, ...extra] = cols as [string, string, string, ...string[]];
      validatePort(port, file, lineNo);
      if (ae.length > 16)
        warnings.push(`${file}, line ${lineNo}: AE title '${ae}' is longer than 16 characters`);
      const key = ae.toLowerCase();
      const before = seen.get(key);
      if (before !== undefined)
        warnings.push(
          `${file}, line ${lineNo}: '${ae}' is also on line ${before}; only the first entry is used`,
        );
      else seen.set(key, lineNo);
      lines.push({
        text: l.text,
        eol: l.eol,
        fields: {
          ae,
          host,
          port,
          compression: compression ?? 'un',
          extra,
          head: l.text.slice(0, t.tokens[0]!.s),
          tail: l.text.slice(t.tokens[t.tokens.length - 1]!.e),
        },
      });
    });
    if (inBlock) throw new ConfigError(file, undefined, "a '/*' comment is never closed with '*/'");
    const map = new AcrNemaMap(lines, file, format);
    map.warnings.push(...warnings);
    return map;
  }

  static read(path: string): AcrNemaMap {
    const { text, format } = readConfigFile(path);
    return AcrNemaMap.parse(text, path, format);
  }

  write(path: string = this.file): void {
    writeConfigFile(path, this.toString(), this.format);
  }

  toString(): string {
    return joinLines(this.lines);
  }

  /** The entries in file order (what --get_amaps lists; index i is what --get_amap:i shows). */
  get entries(): AcrNemaEntry[] {
    const out: AcrNemaEntry[] = [];
    this.lines.forEach((l, i) => {
      const f = l.fields;
      if (f)
        out.push({
          ae: f.ae,
          host: f.host,
          port: f.port,
          compression: f.compression,
          extra: f.extra,
          line: i + 1,
        });
    });
    return out;
  }

  get size(): number {
    return this.entryLines().length;
  }

  get(index: number): AcrNemaEntry | undefined {
    return this.entries[index];
  }

  /**
   * Resolves an AE title as Conquest does (see the module comment). Undefined when no entry matches, and
   * also when the matching entry gives no usable address (a wildcard host or port that leaves it empty or
   * not a port number): the first match decides, as in Conquest.
   */
  resolve(ae: string): ResolvedAddress | undefined {
    const wanted = ae.replace(/[ \t\r\n\0]+$/, '');
    if (wanted === '') return undefined;
    const entries = this.entries;
    let match: { entry: AcrNemaEntry; suffix: string | undefined } | undefined;
    for (const e of entries) {
      if (e.ae.endsWith('*')) {
        const prefix = e.ae.slice(0, -1);
        if (wanted.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase()) {
          match = { entry: e, suffix: wanted.slice(prefix.length) };
          break;
        }
      }
      if (e.ae === wanted) {
        match = { entry: e, suffix: undefined };
        break;
      }
    }
    if (!match) {
      const lower = wanted.toLowerCase();
      const e = entries.find((x) => x.ae.toLowerCase() === lower);
      if (e) match = { entry: e, suffix: undefined };
    }
    if (!match) return undefined;
    const { entry, suffix } = match;
    const expand = (s: string) => (suffix !== undefined && s.endsWith('*') ? s.slice(0, -1) + suffix : s);
    const host = expand(entry.host);
    const portText = expand(entry.port);
    if (host === '' || !/^\d+$/.test(portText)) return undefined;
    const port = Number(portText);
    if (port < 1 || port > 65535) return undefined;
    return { ae: wanted, host, port, compression: entry.compression, extra: entry.extra, entry };
  }

  /**
   * Sets entry `index` (0-based, in file order): an existing entry's line is rewritten (its indentation
   * and trailing comment kept); index >= size appends a new entry after the last one (or at the end of
   * the file when there is none).
   */
  put(index: number, input: AcrNemaEntryInput): void {
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`invalid acrnema.map index ${index}`);
    const port = String(input.port);
    for (const [name, v] of [
      ['AE', input.ae],
      ['host', input.host],
      ['compression', input.compression ?? 'un'],
      ...(input.extra ?? []).map((x) => ['extra column', x] as const),
    ] as const)
      if (v === '' || /[\s#;]|\/\/|\/\*/.test(v))
        throw new ConfigError(this.file, undefined, `invalid ${name}: '${v}'`);
    validatePort(port, this.file, undefined);
    const at = this.entryLines();
    const fields = {
      ae: input.ae,
      host: input.host,
      port,
      compression: input.compression ?? 'un',
      extra: [...(input.extra ?? [])],
      head: '',
      tail: '',
    };
    if (index < at.length) {
      const i = at[index]!;
      const old = this.lines[i]!;
      const f = { ...fields, head: old.fields!.head, tail: old.fields!.tail };
      this.lines[i] = { text: f.head + renderFields(f) + f.tail, eol: old.eol, fields: f };
      return;
    }
    const after = at.length > 0 ? at[at.length - 1]! + 1 : this.lines.length;
    insertLines(this.lines, after, [{ text: renderFields(fields), eol: '', fields }]);
  }

  /** Removes entry `index`; false when there is no such entry. */
  delete(index: number): boolean {
    const at = this.entryLines();
    if (!Number.isInteger(index) || index < 0 || index >= at.length) return false;
    const i = at[index]!;
    this.lines.splice(i, 1);
    return true;
  }

  /**
   * Takes over another map's lines, warnings and text format, so that every holder of this object sees
   * the other's entries (--read_amap in a running server: the map is re-read into the same object).
   */
  replaceWith(other: AcrNemaMap): void {
    this.lines.splice(0, this.lines.length, ...other.lines.map((l) => ({ ...l })));
    this.warnings.splice(0, this.warnings.length, ...other.warnings);
    this.format = { ...other.format };
  }

  private entryLines(): number[] {
    const out: number[] = [];
    this.lines.forEach((l, i) => {
      if (l.fields) out.push(i);
    });
    return out;
  }
}

/** The header Conquest writes at the top of acrnema.map (manual 7.4), which it asks users not to change. */
export const ACRNEMA_MAP_HEADER = `/* *****
*
* DICOM AE (Application entity) -> IP address / Port map
* (This is file ACRNEMA.MAP)
*
* All DICOM systems that want to retrieve images from the
* Conquest DICOM server must be listed here with correct
* AE name, (IP address or hostname) and port number. The
* first entry is the Conquest server itself. The last ones
* with * show wildcard mechanism. Add new entries above.
*
* The syntax for each entry is :
*   AE   <IP address|Host name>   port number   compression
*
* For compression see manual. Values are un=uncompressed;
* ul=littleendianexplicit,ub=bigendianexplicit,ue=both
* j2=lossless jpeg;j3..j6=lossy jpeg;n1..n4=nki private
* js   =lossless jpegLS; j7=lossy jpegLS
* jk   =lossless jpeg2000;jl=lossy jpeg2000
* J3NN..j6NN, JLNN or J7NN overrides quality factor to NN%
*
***** */
`;

/**
 * The acrnema.map a first start writes: the manual's file (7.4), whose first entry is this server itself
 * (its AE title and port from dicom.ini), followed by the wildcard examples V*, W* and S*.
 */
export function defaultAcrNemaMapText(ae = 'CONQUESTSRV1', port: number | string = 5678): string {
  const self = renderFields({
    ae,
    host: '127.0.0.1',
    port: String(port),
    compression: 'un',
    extra: [],
    head: '',
    tail: '',
  });
  return `${ACRNEMA_MAP_HEADER}
${self}

V*                *                1234      un
W*                *                666       un
S*                *                5678      un
`;
}
