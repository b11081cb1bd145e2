/**
 * File names of stored objects on a MAG device (manual 7.2, FileNameSyntax): every numbered syntax 0–12 of
 * Conquest 1.5.0c, the flexible `%` syntax with all its tokens and `[a,b]` substrings, the `lua:` form (handed
 * to a hook), MaxFileNameLength, and the `.v2` (raw Implicit VR LE, no meta) versus `.dcm` (Part 10) decision.
 *
 * The names are those Conquest's GenerateFileName (dgatefn.cpp) makes: the same value extraction (raw value,
 * at most 64 characters, "empty" when absent), the same Cleanup of patient name/ID and the other cleaned
 * fields, the same number formats (`%04d` series, `%06d` image, `%u` seconds, `%04x` counter), the same order
 * of token matching. On top of that, every name is made safe (see safePath): no value can leave the device
 * folder or produce a name that is invalid on Linux, macOS or Windows. Where that is stricter than Conquest, or
 * where Conquest's behaviour is undefined, the comment at the place says so.
 */
import type { Dataset } from '../dicom/dataset.js';
import { tagForKeyword } from '../dicom/dictionary/index.js';
import type { DataElement } from '../dicom/element.js';
import { decodeBinaryNumbers, decodeText } from '../dicom/values.js';
import { isStringVR } from '../dicom/vr.js';

export type FileFormat = 'v2' | 'dcm';

export interface FileNameContext {
  /** Seconds since 1970 when the file is first written (`Time`, `%time`; `%date` is its local date). */
  time: number;
  /** Conquest's file counter for this name (`Counter`, `%counter`): written as 4 hex digits of its low 16 bits. */
  counter: number;
  /** Called AE title of the association (`%calledae`). */
  calledAE?: string;
  /** Calling AE title of the association (`%callingae`). */
  callingAE?: string;
  /** Transfer syntax the object will be written in; defaults to the header's (0002,0010). */
  transferSyntaxUid?: string;
}

export interface FileNameOptions {
  /** MaxFileNameLength (default 255); 0 or less means no limit. */
  maxFileNameLength?: number;
  /** Evaluates a `lua:` FileNameSyntax (the expression after `lua:`); without it such a syntax throws FileNameLuaError. */
  luaFileName?: (expression: string, header: Dataset) => string;
  /** For `%V(desc)desc`: the object of this patient with this SOP Instance UID (Conquest loads it from the archive). */
  lookupObject?: (patientId: string, sopInstanceUid: string) => Dataset | undefined;
}

export class FileNameSyntaxError extends Error {
  override readonly name: string = 'FileNameSyntaxError';
}

/** A `lua:` FileNameSyntax met without a luaFileName hook (the scripting layer provides it). */
export class FileNameLuaError extends FileNameSyntaxError {
  override readonly name = 'FileNameLuaError';
  constructor(readonly expression: string) {
    super(`FileNameSyntax lua:${expression} needs the scripting engine`);
  }
}

export type FileNameSyntax =
  | { kind: 'numbered'; syntax: number }
  | { kind: 'flexible'; template: string }
  | { kind: 'lua'; expression: string };

/**
 * How Conquest reads FileNameSyntax (dgatefn.cpp GetFileNameSyntax): `lua:` at the start wins, then any `%`
 * makes it a flexible template, else the number atoi() reads (so "4x" is 4 and "x" is 0). Numbers other than
 * 1–12 are syntax 0. Conquest would treat a literal 998 or 999 as its internal lua/flexible codes and give every
 * object the same file name; we refuse them.
 */
export function parseFileNameSyntax(syntax: string): FileNameSyntax {
  const s = syntax.trim();
  if (s.startsWith('lua:')) return { kind: 'lua', expression: s.slice(4) };
  if (s.includes('%')) {
    if (/[\\/]$/.test(s)) throw new FileNameSyntaxError(`FileNameSyntax ${s} ends in a folder separator`);
    return { kind: 'flexible', template: s };
  }
  const n = atoi(s);
  if (n === 998 || n === 999) throw new FileNameSyntaxError(`FileNameSyntax ${s} is not a valid syntax`);
  return { kind: 'numbered', syntax: n >= 1 && n <= 12 ? n : 0 };
}

/** Transfer syntaxes a `.v2` file can hold (dgatefn.cpp: anything else turns `.v2` into `.dcm`). */
const V2_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);

/** Numbered syntaxes that name `.dcm` (Part 10) files; the others name `.v2`. */
const DCM_SYNTAXES = new Set([4, 8, 9, 10, 11, 12]);

/**
 * The format of a file by its name, as Conquest's SaveToDisk decides it: a name ending in `.v2` (any case) is
 * a raw Implicit VR LE dump without meta header, anything else Part 10. (Conquest also writes names of four
 * characters or fewer as v2 whatever they end in, an artifact of its `len>4` test; we go by the extension.)
 */
export function fileFormatOfName(name: string): FileFormat {
  return /\.v2$/i.test(name) ? 'v2' : 'dcm';
}

/**
 * The format a syntax writes: `.dcm` for 4 and 8–12 and for `lua:` (Conquest: "dcm assumed"), `.v2` for the
 * others; a flexible template by its own ending. A `.v2` syntax writes `.dcm` when the object's transfer
 * syntax is not Implicit LE, Explicit LE or Explicit BE. objectFile() gives the authoritative answer for a
 * given object (a template's last token may itself end in `.v2`).
 */
export function objectFileFormat(syntax: string, transferSyntaxUid?: string): FileFormat {
  const parsed = parseFileNameSyntax(syntax);
  let format: FileFormat;
  if (parsed.kind === 'lua') format = 'dcm';
  else if (parsed.kind === 'flexible') format = fileFormatOfName(parsed.template);
  else format = DCM_SYNTAXES.has(parsed.syntax) ? 'dcm' : 'v2';
  if (format === 'v2' && transferSyntaxUid !== undefined && !V2_SYNTAXES.has(transferSyntaxUid.trim()))
    format = 'dcm';
  return format;
}

/** The path of a new object relative to its MAG device (`/`-separated), and the format to write it in. */
export function objectFile(
  syntax: string,
  header: Dataset,
  ctx: FileNameContext,
  options: FileNameOptions = {},
): { name: string; format: FileFormat } {
  const parsed = parseFileNameSyntax(syntax);
  let path: string;
  let root: string | undefined;
  let mayBecomeDcm: boolean;
  if (parsed.kind === 'numbered') {
    ({ path, root } = numberedName(parsed.syntax, fieldsOf(header, ctx), ctx));
    mayBecomeDcm = !DCM_SYNTAXES.has(parsed.syntax);
  } else if (parsed.kind === 'flexible') {
    path = expandTemplate(parsed.template, header, fieldsOf(header, ctx), ctx, options);
    mayBecomeDcm = true;
  } else {
    if (!options.luaFileName) throw new FileNameLuaError(parsed.expression);
    // Conquest uses the script's result unchecked; here it goes through safePath like everything else.
    path = options.luaFileName(parsed.expression, header).replace(/\\/g, '/');
    mayBecomeDcm = true; // Conquest 1.5.0c mangled the lua: text itself here (fixed in 2024); we fix the result
  }
  // Overrule .v2 when the object cannot be written as v2. Conquest replaces whatever follows the last '.' of
  // the whole name, even inside a UID when a template has no extension (so two objects could get one name);
  // we only ever change a .v2 extension, the one case where the format changes.
  const ts = ctx.transferSyntaxUid ?? header.string(TRANSFER_SYNTAX_UID);
  if (mayBecomeDcm && ts !== undefined && !V2_SYNTAXES.has(ts.trim()) && /\.v2$/i.test(path))
    path = `${path.slice(0, -3)}.dcm`;
  path = truncateToMaxLength(path, root, options.maxFileNameLength ?? 255);
  const name = safePath(path);
  return { name, format: fileFormatOfName(name) };
}

/** The path of a new object relative to its MAG device, by FileNameSyntax (`/`-separated). */
export function objectFileName(
  syntax: string,
  header: Dataset,
  ctx: FileNameContext,
  options: FileNameOptions = {},
): string {
  return objectFile(syntax, header, ctx, options).name;
}

// ---- values as Conquest takes them ------------------------------------------------------------------

const PATIENT_NAME = 0x00100010;
const PATIENT_ID = 0x00100020;
const MODALITY = 0x00080060;
const STUDY_DATE = 0x00080020;
const STUDY_DESCRIPTION = 0x00081030;
const SOP_INSTANCE_UID = 0x00080018;
const STUDY_INSTANCE_UID = 0x0020000d;
const SERIES_INSTANCE_UID = 0x0020000e;
const STUDY_ID = 0x00200010;
const SERIES_NUMBER = 0x00200011;
const INSTANCE_NUMBER = 0x00200013;
const IMAGE_ID = 0x00540400;
const TRANSFER_SYNTAX_UID = 0x00020010;

/** The fields GenerateFileName computes once, already cleaned (or made safe) as they go into names. */
interface Fields {
  name: string;
  id: string;
  studyId: string;
  modality: string;
  /** Series number as text, cleaned (Series# in syntax 12, %seriesid). */
  series: string;
  /** Image number as text, cleaned (%imagenum). */
  imageNum: string;
  imageId: string;
  studyDesc: string;
  /** Not cleaned by Conquest; made safe here. */
  studyDate: string;
  seriesUid: string;
  studyUid: string;
  sopUid: string;
  calledAE: string;
  callingAE: string;
  /** atoi() of the raw series and image numbers (0 when absent). */
  seriesNumber: number;
  imageNumber: number;
}

function fieldsOf(h: Dataset, ctx: FileNameContext): Fields {
  const cleaned = (tag: number): string => {
    const raw = rawValue(h, tag);
    return raw === undefined ? 'empty' : conquestCleanup(raw);
  };
  const uid = (tag: number): string => {
    const raw = rawValue(h, tag);
    // Conquest keeps a (non-conformant) trailing space of a UID in the name; we drop UI padding.
    return raw === undefined ? 'empty' : safeValue(raw.replace(/ +$/, ''));
  };
  const seriesRaw = rawValue(h, SERIES_NUMBER);
  const imageRaw = rawValue(h, INSTANCE_NUMBER);
  const studyDate = rawValue(h, STUDY_DATE);
  return {
    name: cleaned(PATIENT_NAME),
    id: cleaned(PATIENT_ID),
    studyId: cleaned(STUDY_ID),
    modality: cleaned(MODALITY),
    series: seriesRaw === undefined ? 'empty' : conquestCleanup(seriesRaw),
    imageNum: imageRaw === undefined ? 'empty' : conquestCleanup(imageRaw),
    imageId: cleaned(IMAGE_ID),
    studyDesc: cleaned(STUDY_DESCRIPTION),
    studyDate: studyDate === undefined ? 'empty' : safeValue(studyDate.replace(/ $/, '')),
    seriesUid: uid(SERIES_INSTANCE_UID),
    studyUid: uid(STUDY_INSTANCE_UID),
    sopUid: uid(SOP_INSTANCE_UID),
    calledAE: safeValue((ctx.calledAE ?? '').replace(/ +$/, '')),
    callingAE: safeValue((ctx.callingAE ?? '').replace(/ +$/, '')),
    seriesNumber: seriesRaw === undefined ? 0 : atoi(seriesRaw),
    imageNumber: imageRaw === undefined ? 0 : atoi(imageRaw),
  };
}

/**
 * An element's value as Conquest copies it (strncpy of at most 64 bytes): all values with their backslashes,
 * leading and trailing spaces kept, cut at the first NUL; undefined when the element is absent. We count 64
 * characters of the decoded text where Conquest counts 64 bytes of the encoded one.
 */
function rawValue(h: Dataset, tag: number): string | undefined {
  const el = h.get(tag);
  if (!el) return undefined;
  return takeChars(cutAtNul(textOf(h, el)), 64);
}

function textOf(h: Dataset, el: DataElement): string {
  const b = el.bytes;
  if (!b || b.length === 0) return '';
  return isStringVR(el.vr) ? decodeText(b, el.vr, h.characterSet) : b.toString('latin1');
}

function cutAtNul(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** Characters Conquest's Cleanup replaces by '_' (dgatefn.cpp). */
const CLEANUP_REPLACED = new Set(['/', '\\', ';', '>', '<', '|', ',', '.', ' ', ':', '?', '*', '"']);

/**
 * Conquest's Cleanup (dgatefn.cpp) of patient name, patient ID and the other cleaned fields: `/ \ ; > < | , .
 * space : ? * "` become `_`; the value ends at CR, LF or any other character below 33 (NUL, TAB, ...) and after
 * 65 characters; trailing `_` are removed; an empty result is "unknown". Characters from 128 up are kept.
 */
export function conquestCleanup(value: string): string {
  let out = '';
  let n = 0;
  for (const ch of value) {
    const c = CLEANUP_REPLACED.has(ch) ? '_' : ch;
    if (c.codePointAt(0)! < 33) break;
    out += c;
    if (++n > 64) break;
  }
  out = out.replace(/_+$/, '');
  return out.length ? out : 'unknown';
}

/**
 * A value Conquest puts into names without Cleanup (UIDs, study date, AE titles, `lua:` results): anything
 * that could change the path's structure or is invalid in a name on some system becomes `_`, one character for
 * one (so `[a,b]` substrings keep their positions). Stricter than Conquest, which copies these as they are.
 */
function safeValue(value: string): string {
  return value.replace(/[/\\\x00-\x1f\x7f-\x9f<>:"|?*]/g, '_');
}

// ---- the numbered syntaxes --------------------------------------------------------------------------

function numberedName(syntax: number, f: Fields, ctx: FileNameContext): { path: string; root: string } {
  const tc = `${ctx.time >>> 0}${hex4(ctx.counter)}`;
  const s4 = cInt(f.seriesNumber, 4);
  const i6 = cInt(f.imageNumber, 6);
  // Conquest's code joins Name[8]_ID[8], where the manual says ID[8]_Name[8]; the code is what users have.
  const nameId8 = `${takeChars(f.name, 8)}_${takeChars(f.id, 8)}`;
  switch (syntax) {
    case 1:
      return { root: nameId8, path: `${nameId8}/${s4}_${i6}_${tc}.v2` };
    case 2:
      return { root: nameId8, path: `${nameId8}/${f.seriesUid}_${s4}_${i6}_${tc}.v2` };
    case 3:
    case 4: {
      const id16 = takeChars(f.id, 16);
      return { root: id16, path: `${id16}/${f.seriesUid}_${s4}_${i6}_${tc}.${syntax === 3 ? 'v2' : 'dcm'}` };
    }
    case 5:
      return { root: f.name, path: `${f.name}/${f.seriesUid}_${s4}_${i6}_${tc}.v2` };
    case 6:
    case 8: {
      const id32 = takeChars(f.id, 32);
      const ext = syntax === 6 ? 'v2' : 'dcm';
      return { root: id32, path: `${id32}/${f.studyUid}/${f.seriesUid}/${f.sopUid}.${ext}` };
    }
    case 7:
    case 9:
      return {
        root: f.studyUid,
        path: `${f.studyUid}/${f.seriesUid}/${f.sopUid}.${syntax === 7 ? 'v2' : 'dcm'}`,
      };
    case 10:
      // Conquest's root here is "" (so MaxFileNameLength would keep one character of "Images" and write the
      // rest at the device root); "Images" keeps truncated names in their folder.
      return { root: 'Images', path: `Images/${f.sopUid}.dcm` };
    case 11:
      return { root: f.name, path: `${f.name}/${f.studyUid}/${f.seriesUid}/${f.sopUid}.dcm` };
    case 12: {
      const root = `${f.name}_${f.id}`;
      return { root, path: `${root}/${f.modality}_${f.studyId}/${f.series}/${f.sopUid}.dcm` };
    }
    default:
      // 0 (original): no zero padding, no counter: "%d_%d_%u.v2".
      return { root: nameId8, path: `${nameId8}/${f.seriesNumber}_${f.imageNumber}_${ctx.time >>> 0}.v2` };
  }
}

// ---- the flexible % syntax --------------------------------------------------------------------------

/**
 * Expands a `%` template the way GenerateFileName does: tokens are matched as prefixes in Conquest's order (so
 * `%idx` is `%id` then `x`), an unknown token drops its `%` and leaves the rest as text, `[a,b]` after a
 * token keeps characters a..b (inclusive). Both `/` and `\` in the template are folder separators (Conquest
 * takes only its own platform's; accepting both lets a Windows dicom.ini work here).
 */
function expandTemplate(
  t: string,
  header: Dataset,
  f: Fields,
  ctx: FileNameContext,
  options: FileNameOptions,
): string {
  let out = '';
  let counters = 0;
  let i = 0;
  const tokens: [string, () => string][] = [
    ['name', () => f.name],
    ['id', () => f.id],
    ['modality', () => f.modality],
    ['studyid', () => f.studyId],
    ['studyuid', () => f.studyUid],
    ['seriesid', () => f.series],
    ['seriesuid', () => f.seriesUid],
    ['sopuid', () => f.sopUid],
    ['imageid', () => f.imageId],
    ['imagenum', () => f.imageNum],
    ['image', () => cInt(f.imageNumber, 6)],
    ['series', () => cInt(f.seriesNumber, 4)],
    ['time', () => String(ctx.time >>> 0)],
    ['date', () => localDate(ctx.time)],
    // Each %counter takes the next counter value, as Conquest's gl_iFileCounter++ does.
    ['counter', () => hex4(ctx.counter + counters++)],
    ['calledae', () => f.calledAE],
    ['callingae', () => f.callingAE],
    ['studydate', () => f.studyDate],
    ['studydesc', () => f.studyDesc],
  ];
  while (i < t.length) {
    if (t[i] !== '%') {
      out += t[i] === '\\' ? '/' : t[i];
      i++;
      continue;
    }
    i++;
    const start = out.length;
    const token = tokens.find(([word]) => t.startsWith(word, i));
    if (token) {
      i += token[0].length;
      out += token[1]();
    } else if (t[i] === 'v' || t[i] === 'V') {
      const found = searchObject(header, t, i + 1, options);
      i += 1 + found.length;
      out += conquestCleanup(found.value);
    }
    if (t[i] === '[') {
      const { a, b } = scanRange(t, i);
      const close = t.indexOf(']', i);
      i = close < 0 ? t.length : close + 1;
      out = out.slice(0, start) + substring(out.slice(start), a, b);
    }
  }
  return out;
}

/** sscanf(s, "[%d,%d]", &a, &b) with a=0, b=-1 for what it cannot read. */
function scanRange(t: string, at: number): { a: number; b: number } {
  const m = /^\[[ \t\n\v\f\r]*([+-]?\d+)(?:,[ \t\n\v\f\r]*([+-]?\d+))?/.exec(t.slice(at));
  return { a: m ? Number(m[1]) : 0, b: m?.[2] !== undefined ? Number(m[2]) : -1 };
}

/**
 * Conquest's substring: characters a..b inclusive, both clamped to the length; nothing changes when b < a
 * (so `[3]` and `[,2]` keep the whole value). A negative a makes Conquest copy bytes from before the value;
 * we take it as 0.
 */
function substring(value: string, a: number, b: number): string {
  const chars = Array.from(value);
  let lo = Math.min(a, chars.length);
  const hi = Math.min(b, chars.length);
  if (lo < 0) lo = 0;
  return hi >= lo ? chars.slice(lo, hi + 1).join('') : value;
}

function localDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

// ---- %V: Conquest's SearchDICOMObject -----------------------------------------------------------------

/**
 * Reads `%V` descriptions (manual: ImportConverters) from t at `at`, as dgate.cpp SearchDICOMObject does:
 * `gggg,eeee`, a dictionary keyword, `*gggg,eeee` (first match in any sequence), `/gggg,eeee[.N]/...` (item N,
 * default 0, of a sequence), `(desc)desc` (desc in the object whose SOP Instance UID desc gives, through
 * options.lookupObject). Returns how many characters it read and the value ("" when not found).
 */
function searchObject(
  ds: Dataset | undefined,
  t: string,
  at: number,
  options: FileNameOptions,
): { length: number; value: string } {
  const c = (k: number): string => t[at + k] ?? '';
  let i = 0;
  if (c(0) === '(') {
    i++;
    const patient = ds ? searchObject(ds, '0010,0020', 0, options).value : '';
    const inner = searchObject(ds, t, at + i, options);
    i += inner.length;
    if (c(i) === ')') i++;
    const other = ds && options.lookupObject ? options.lookupObject(patient, inner.value) : undefined;
    const found = searchObject(other, t, at + i, options);
    return { length: i + found.length, value: found.value };
  }
  let seq = false;
  let wild = false;
  if (c(i) === '/') {
    i++;
    seq = true;
  }
  if (c(i) === '*') {
    i++;
    seq = false;
    wild = true;
  }
  let tag: number;
  if (/^[0-9a-fA-F]{4},[0-9a-fA-F]{4}/.test(t.slice(at + i, at + i + 9))) {
    tag =
      Number.parseInt(t.slice(at + i, at + i + 4), 16) * 0x10000 +
      Number.parseInt(t.slice(at + i + 5, at + i + 9), 16);
    i += 9;
  } else if (/[A-Za-z]/.test(c(i))) {
    let j = 0;
    while (/[A-Za-z0-9]/.test(c(i + j))) j++;
    const found = tagForKeyword(t.slice(at + i, at + i + j));
    if (found === undefined) return { length: i, value: '' };
    tag = found;
    i += j;
  } else return { length: i, value: '' };

  if (!seq && !wild) {
    const el = ds?.get(tag);
    return { length: i, value: ds && el ? elementText(ds, el, true) : '' };
  }
  if (seq) {
    let index = 0;
    if (c(i) === '.') {
      i++;
      index = atoi(t.slice(at + i)) >>> 0;
      while (/[0-9]/.test(c(i))) i++;
    }
    const el = ds?.get(tag);
    let j = 0;
    let value = '';
    if (ds && el) {
      if (el.items) {
        if (c(i) === '') value = '(sequence)';
        else if (index < el.items.length) {
          const found = searchObject(el.items[index], t, at + i, options);
          j = found.length;
          value = found.value;
        }
      } else value = elementText(ds, el, false);
    } else j = searchObject(ds, t, at + i, options).length; // absent: the rest of the description is skipped
    return { length: i + j, value };
  }
  let value = '';
  if (ds) {
    for (const el of ds.elements()) {
      if (value) break;
      if (el.items) {
        for (const item of el.items) {
          value = searchObject(item, t, at, options).value;
          if (value) break;
        }
      } else if (el.tag === tag) value = elementText(ds, el, false);
    }
  }
  return { length: i, value };
}

/**
 * An element's text as SearchDICOMObject gives it: "(sequence)", "(too long)" past 255 bytes, binary numbers
 * as decimals (all values joined by `\` for a plain element, the first value inside sequences), text up to a
 * NUL with trailing spaces removed (all but the first character).
 */
function elementText(ds: Dataset, el: DataElement, plain: boolean): string {
  if (el.items) return '(sequence)';
  if (el.fragments || el.bulk) return '(too long)';
  const b = el.bytes;
  if (!b || b.length === 0) return '';
  if (b.length > 255) return '(too long)';
  const numeric = plain
    ? ['UL', 'US', 'SL', 'SS', 'FD', 'OF', 'FL', 'OW'].includes(el.vr)
    : ['UL', 'US', 'SL', 'SS'].includes(el.vr);
  let s: string;
  if (numeric) {
    let values = decodeBinaryNumbers(b, el.vr, ds.littleEndian);
    if (!plain) values = values.slice(0, 1);
    if (el.vr === 'OW') values = values.map((v) => (v > 0x7fff ? v - 0x10000 : v));
    const float = el.vr === 'FD' || el.vr === 'FL' || el.vr === 'OF';
    s = values.map((v) => (float ? cFloat(v) : String(v))).join('\\');
  } else {
    const text = textOf(ds, el);
    s = cutAtNul(text);
    if (s.length === text.length) s = s.replace(/(?<=.) +$/s, '');
  }
  if (plain && s.endsWith('\\')) s = s.slice(0, -1);
  return s;
}

// ---- MaxFileNameLength and safety ---------------------------------------------------------------------

/**
 * MaxFileNameLength as Conquest applies it: the part after the root folder keeps only its last `max`
 * characters ("removing the starting characters, typically of the series instance UID"). For the `%` and
 * `lua:` forms Conquest's root is undefined (it reads uninitialised memory); we take the first folder.
 */
function truncateToMaxLength(path: string, root: string | undefined, max: number): string {
  if (!(max > 0)) return path;
  const chars = Array.from(path);
  let keep: number;
  if (root !== undefined) keep = Array.from(root).length + 1;
  else {
    const slash = chars.indexOf('/');
    keep = slash < 0 ? 0 : slash + 1;
  }
  if (chars.length <= keep + max) return path;
  return chars.slice(0, keep).join('') + chars.slice(chars.length - max).join('');
}

/** Windows device names (also with an extension, e.g. `CON.dcm`): never a file or folder name. */
const RESERVED =
  /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$)$/i;
const MAX_COMPONENT_BYTES = 255;

/**
 * A `/`-separated relative path whose every component is safe: control characters (C0, DEL, C1), lone
 * surrogates and `\ < > : " | ? *` become `_`; a leading dot gets a `_` prefix and trailing dots and spaces
 * become `_` (so never `.` or `..`, no hidden names, no names Windows would silently change); reserved Windows
 * device names get a `_` prefix; a component longer than 255 UTF-8 bytes is cut (a file name from the start, so that extension and
 * unique tail stay, a folder at the end); empty folders (`a//b`, a leading `/`) are dropped; an empty file name
 * is "unknown". Such a path always stays inside the folder it is resolved against.
 */
export function safePath(path: string): string {
  const parts = path.split(/[\\/]/);
  const file = parts.pop() ?? '';
  const dirs = parts.filter((p) => p.length > 0).map((p) => safeComponent(p, false));
  const name = file.length ? safeComponent(file, true) : 'unknown';
  return [...dirs, name].join('/');
}

/** One path component made safe (see safePath); `fromStart` cuts an over-long one at its start. */
function safeComponent(component: string, fromStart: boolean): string {
  let c = component;
  for (let round = 0; round < 4; round++) {
    const before = c;
    c = c
      .replace(/[\x00-\x1f\x7f-\x9f\\<>:"|?*]/g, '_')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '_');
    if (RESERVED.test(c.split('.')[0]!.trimEnd())) c = `_${c}`;
    if (Buffer.byteLength(c, 'utf8') > MAX_COMPONENT_BYTES) c = keepBytes(c, MAX_COMPONENT_BYTES, fromStart);
    if (c.startsWith('.')) c = `_${c}`; // a prefix, so that `...v2` keeps its extension
    c = c.replace(/[. ]+$/, (m) => '_'.repeat(m.length));
    if (c === before) break;
  }
  return c;
}

/** The longest tail (fromStart) or head of s that fits in max UTF-8 bytes, never splitting a character. */
function keepBytes(s: string, max: number, fromStart: boolean): string {
  const chars = Array.from(s);
  let bytes = 0;
  if (fromStart) {
    let k = chars.length;
    while (k > 0 && bytes + Buffer.byteLength(chars[k - 1]!, 'utf8') <= max)
      bytes += Buffer.byteLength(chars[--k]!, 'utf8');
    return chars.slice(k).join('');
  }
  let k = 0;
  while (k < chars.length && bytes + Buffer.byteLength(chars[k]!, 'utf8') <= max)
    bytes += Buffer.byteLength(chars[k++]!, 'utf8');
  return chars.slice(0, k).join('');
}

/**
 * A value as one safe path component: made safe as safePath does, at most `max` characters, `fallback` when
 * empty. For callers outside the FileNameSyntax (e.g. folder names built from a patient ID).
 */
export function cleanPathComponent(value: string | undefined, max: number, fallback = 'unknown'): string {
  const s = takeChars(safeValue((value ?? '').trim()), max);
  return s.length ? safeComponent(s, false) : fallback;
}

// ---- C-like helpers ---------------------------------------------------------------------------------

/** The first n characters (code points) of s. */
function takeChars(s: string, n: number): string {
  if (s.length <= n) return s;
  return Array.from(s).slice(0, n).join('');
}

/** C atoi (glibc: strtol saturating at 64 bits, then cut to int). */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  let v = BigInt(m[1]!);
  const LONG_MAX = (1n << 63n) - 1n;
  if (v > LONG_MAX) v = LONG_MAX;
  if (v < -LONG_MAX - 1n) v = -LONG_MAX - 1n;
  return Number(BigInt.asIntN(32, v));
}

/** printf("%0<width>d", n): the sign counts in the width. */
function cInt(n: number, width: number): string {
  const digits = Math.abs(n).toString();
  return n < 0 ? `-${digits.padStart(width - 1, '0')}` : digits.padStart(width, '0');
}

/** printf("%f", v) for the values a DICOM float holds. */
function cFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v < 0 ? '-inf' : 'inf';
  return v.toFixed(6);
}

/** printf("%04x", n & 0xffff). */
function hex4(n: number): string {
  return (n & 0xffff).toString(16).padStart(4, '0');
}
