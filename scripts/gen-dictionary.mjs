#!/usr/bin/env node
/**
 * Generates the DICOM data dictionary and UID registry under src/dicom/dictionary/generated/ from
 *   - pydicom's generated Python tables (Debian package python3-pydicom):
 *       _dicom_dict.py   DicomDictionary  tag  -> (VR, VM, Name, Retired, Keyword)
 *                        RepeatersDictionary 'ggggeeee' mask with 'x' nibbles -> same tuple
 *       _private_dict.py private_dictionaries creator -> { 'ggggxxee' key -> (VR, VM, Name, Retired) }
 *       _uid_dict.py     UID_dictionary   uid -> (Name, Type, Info, Retired, Keyword)
 *       _version.py      __version__ and __dicom_version__ (the DICOM edition of the tables)
 *   - the Conquest 1.5.0c manual, section "7.5 dgatesop.lst" (Conquest's own SOP / transfer names).
 *
 * Usage: node scripts/gen-dictionary.mjs [--pydicom DIR] [--manual FILE] [--check]
 *   --pydicom  directory of the pydicom package (default /usr/lib/python3/dist-packages/pydicom,
 *              or $PYDICOM_DIR)
 *   --manual   the Conquest manual in Markdown (default ../shared/seed/conquest-manual-1.5.0c.md
 *              relative to the repository root, or $CONQUEST_MANUAL)
 *   --check    generate in memory and fail if the committed files differ (no writes)
 *
 * Output: generated/elements.json (elements, repeaters, provenance and counts), private.json and
 * uids.json (UIDs and the Conquest rows). They are JSON rather than TypeScript so that the
 * dictionary module can read each table synchronously on its first use instead of paying for
 * ~700 kB of string literals at import time; tsc copies them into the build because index.ts
 * refers to them with type-only imports.
 *
 * Plain Node ESM, no dependencies. The output depends only on the input files: no dates, no absolute
 * paths, stable ordering, so re-running it on the same sources gives byte-identical files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(repoRoot, 'src/dicom/dictionary/generated');

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const pydicomDir =
  argValue('--pydicom') ?? process.env.PYDICOM_DIR ?? '/usr/lib/python3/dist-packages/pydicom';
const manualPath =
  argValue('--manual') ??
  process.env.CONQUEST_MANUAL ??
  join(repoRoot, '../shared/seed/conquest-manual-1.5.0c.md');
const checkOnly = process.argv.includes('--check');

function fail(message) {
  console.error(`gen-dictionary: ${message}`);
  process.exit(1);
}

function read(path) {
  if (!existsSync(path)) fail(`missing input ${path} (apt-get install -y python3-pydicom?)`);
  return readFileSync(path, 'utf8');
}

// ---------------------------------------------------------------------------------------------
// A tiny scanner for the subset of Python literal syntax the pydicom tables use: string literals
// ('...' or "...", with backslash escapes), hex integers, ':', ',', '(', ')', '{', '}'.

class Scanner {
  constructor(text, where) {
    this.s = text;
    this.i = 0;
    this.where = where;
  }
  error(msg) {
    throw new Error(`${this.where}: ${msg} at column ${this.i + 1}: ${this.s}`);
  }
  skipSpace() {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  peek() {
    this.skipSpace();
    return this.s[this.i];
  }
  expect(ch) {
    if (this.peek() !== ch) this.error(`expected '${ch}'`);
    this.i++;
  }
  atEnd() {
    this.skipSpace();
    return this.i >= this.s.length || this.s[this.i] === '#';
  }
  hexInt() {
    this.skipSpace();
    const m = /^0x([0-9A-Fa-f]+)/.exec(this.s.slice(this.i));
    if (!m) this.error('expected a hex integer');
    this.i += m[0].length;
    return Number.parseInt(m[1], 16);
  }
  string() {
    this.skipSpace();
    const q = this.s[this.i];
    if (q !== "'" && q !== '"') this.error('expected a string literal');
    let out = '';
    this.i++;
    for (;;) {
      if (this.i >= this.s.length) this.error('unterminated string');
      const c = this.s[this.i++];
      if (c === q) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      const simple = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', 0: '\0' };
      if (e in simple) out += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + len);
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) this.error(`bad \\${e} escape`);
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.i += len;
      } else this.error(`unsupported escape \\${e}`);
    }
  }
  /** ( 'a', 'b', ... ) -> string[] */
  tuple() {
    this.expect('(');
    const items = [];
    while (this.peek() !== ')') {
      items.push(this.string());
      if (this.peek() === ',') this.i++;
      else if (this.peek() !== ')') this.error("expected ',' or ')'");
    }
    this.i++;
    return items;
  }
  /** optional trailing ',' then end of line or a comment */
  endOfEntry() {
    if (this.peek() === ',') this.i++;
    if (!this.atEnd()) this.error('trailing text');
  }
}

/**
 * Splits a Python module into the body lines of `NAME ... = {` ... `}` (top level, one entry a line).
 * Returns the raw lines between the braces.
 */
function dictBody(text, name, file) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${name}`) && /=\s*\{\s*$/.test(l));
  if (start < 0) fail(`${file}: no '${name} = {' found`);
  const end = lines.findIndex((l, i) => i > start && /^\}\s*$/.test(l));
  if (end < 0) fail(`${file}: '${name}' is not closed`);
  return { lines: lines.slice(start + 1, end), firstLine: start + 2 };
}

/** Python dict semantics: a repeated key keeps the last value but the first position. */
function setLastWins(map, key, value, where, duplicates) {
  if (map.has(key)) duplicates.push(`${where}: duplicate key ${key}`);
  map.set(key, value);
}

// ---------------------------------------------------------------------------------------------
// Inputs

const versionPy = read(join(pydicomDir, '_version.py'));
const pydicomVersion = /__version__\s*:?\s*(?:str\s*)?=\s*'([^']+)'/.exec(versionPy)?.[1];
const dicomEdition = /__dicom_version__\s*:?\s*(?:str\s*)?=\s*'([^']+)'/.exec(versionPy)?.[1];
if (!pydicomVersion) fail('cannot find __version__ in _version.py');

/** The Debian package version, when the tables come from an installed python3-pydicom. */
function debianVersion() {
  try {
    const status = readFileSync('/var/lib/dpkg/status', 'utf8');
    const block = status.split(/\n\n/).find((b) => /^Package: python3-pydicom$/m.test(b));
    const v = block && /^Version: (.+)$/m.exec(block)?.[1];
    return v && pydicomDir.startsWith('/usr/lib/python3/dist-packages/') ? v : undefined;
  } catch {
    return undefined;
  }
}
const debVersion = debianVersion();

const duplicates = [];

// --- _dicom_dict.py ----------------------------------------------------------------------------
const dicomDictFile = '_dicom_dict.py';
const dicomDictText = read(join(pydicomDir, dicomDictFile));

/** tag -> [VR, VM, Name, Retired, Keyword] */
const elements = new Map();
{
  const { lines, firstLine } = dictBody(dicomDictText, 'DicomDictionary', dicomDictFile);
  let candidates = 0;
  lines.forEach((line, n) => {
    if (!line.trim() || line.trim().startsWith('#')) return;
    candidates++;
    const sc = new Scanner(line, `${dicomDictFile}:${firstLine + n}`);
    const tag = sc.hexInt();
    sc.expect(':');
    const t = sc.tuple();
    sc.endOfEntry();
    if (t.length !== 5) sc.error(`expected 5 fields, got ${t.length}`);
    setLastWins(elements, tag >>> 0, t, sc.where, duplicates);
  });
  if (candidates !== elements.size + duplicates.length) fail('DicomDictionary: lines and entries disagree');
}

/** mask -> [VR, VM, Name, Retired, Keyword] */
const repeaters = new Map();
{
  const { lines, firstLine } = dictBody(dicomDictText, 'RepeatersDictionary', dicomDictFile);
  lines.forEach((line, n) => {
    if (!line.trim() || line.trim().startsWith('#')) return;
    const sc = new Scanner(line, `${dicomDictFile}:${firstLine + n}`);
    const mask = sc.string();
    sc.expect(':');
    const t = sc.tuple();
    sc.endOfEntry();
    if (t.length !== 5) sc.error(`expected 5 fields, got ${t.length}`);
    if (!/^[0-9A-Fa-fx]{8}$/.test(mask)) sc.error(`bad mask ${mask}`);
    setLastWins(repeaters, mask.toUpperCase().replace(/X/g, 'x'), t, sc.where, duplicates);
  });
}

// --- _private_dict.py --------------------------------------------------------------------------
const privateDictFile = '_private_dict.py';
/** creator -> Map(key -> [VR, VM, Name, Retired]) */
const privates = new Map();
let privateEntryCount = 0;
{
  const { lines, firstLine } = dictBody(
    read(join(pydicomDir, privateDictFile)),
    'private_dictionaries',
    privateDictFile,
  );
  let current;
  lines.forEach((line, n) => {
    const where = `${privateDictFile}:${firstLine + n}`;
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    if (/^\},?$/.test(trimmed)) {
      current = undefined;
      return;
    }
    const sc = new Scanner(line, where);
    const key = sc.string();
    sc.expect(':');
    if (sc.peek() === '{') {
      sc.i++;
      if (!sc.atEnd()) sc.error('expected one entry a line');
      if (current) sc.error('nested creator');
      if (privates.has(key)) duplicates.push(`${where}: duplicate creator ${key}`);
      current = privates.get(key) ?? new Map();
      privates.set(key, current);
      return;
    }
    if (!current) sc.error('entry outside a creator');
    const t = sc.tuple();
    sc.endOfEntry();
    if (t.length !== 4) sc.error(`expected 4 fields, got ${t.length}`);
    if (!/^[0-9A-Fa-fx]{8}$/.test(key)) sc.error(`bad private key ${key}`);
    setLastWins(current, key.toLowerCase(), t, where, duplicates);
  });
  for (const m of privates.values()) privateEntryCount += m.size;
}

// --- _uid_dict.py ------------------------------------------------------------------------------
const uidDictFile = '_uid_dict.py';
/** uid -> [Name, Type, Info, Retired, Keyword] */
const uids = new Map();
{
  const { lines, firstLine } = dictBody(read(join(pydicomDir, uidDictFile)), 'UID_dictionary', uidDictFile);
  lines.forEach((line, n) => {
    if (!line.trim() || line.trim().startsWith('#')) return;
    const sc = new Scanner(line, `${uidDictFile}:${firstLine + n}`);
    const uid = sc.string();
    sc.expect(':');
    const t = sc.tuple();
    sc.endOfEntry();
    if (t.length !== 5) sc.error(`expected 5 fields, got ${t.length}`);
    setLastWins(uids, uid, t, sc.where, duplicates);
  });
}

// --- Conquest manual, 7.5 dgatesop.lst ---------------------------------------------------------
const manualText = read(manualPath);
const manualTitle =
  /^#\s*\*?([^*\n]+?)\*?\s*$/m.exec(manualText)?.[1]?.trim() ?? 'Conquest DICOM Server manual';
/** [name, uid, kind, enabled] in the manual's order */
const conquest = [];
{
  const lines = manualText.split('\n');
  const start = lines.findIndex((l) => /^##\s+7\.5\s+dgatesop\.lst\s*$/.test(l));
  if (start < 0) fail(`${manualPath}: no '## 7.5 dgatesop.lst' section`);
  // The section ends at the next level 1 or 2 heading outside a code fence (the file's own
  // '# comment' lines sit inside one).
  let end = lines.length;
  let fenced = false;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^```/.test(lines[i])) fenced = !fenced;
    else if (!fenced && /^#{1,2}\s/.test(lines[i])) {
      end = i;
      break;
    }
  }
  // Table lines are Name<TAB>UID<TAB>kind...; a leading '#' is a row Conquest ships disabled.
  // (The file's comment header inside the code block is space separated, so it does not match.)
  for (const line of lines.slice(start + 1, end)) {
    if (!line.includes('\t')) continue;
    const m = /^(#?)([^\s#][^\t]*)\t([0-9][0-9.]*)\t\s*(\S+)/.exec(line);
    if (!m) fail(`${manualPath}: unexpected table line in 7.5: ${JSON.stringify(line)}`);
    conquest.push([m[2].trim(), m[3], m[4], m[1] === '' ? '1' : '0']);
  }
  if (conquest.length === 0) fail(`${manualPath}: no table lines in 7.5`);
}

if (duplicates.length)
  for (const d of duplicates) console.warn(`gen-dictionary: warning: ${d} (last one kept)`);

// ---------------------------------------------------------------------------------------------
// Output: JSON files (see README.md: they are read on first use, so importing the dictionary
// costs nothing until a lookup needs a table). A table is a string of '\n'-separated lines of
// '|'-separated fields, per group or per creator: one JSON string parses far faster than
// thousands of small ones, and one line of JSON per group keeps regenerations diffable.

const SEP = '|';

/** Field values must not break the line/field structure. */
function field(value, where) {
  if (/[|\t\n\r]/.test(value)) fail(`${where}: '|', tab or newline in ${JSON.stringify(value)}`);
  return value;
}

const hex8 = (n) => n.toString(16).toUpperCase().padStart(8, '0');
const byCodePoint = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const retiredFlag = (r, where) => {
  if (r !== '' && r !== 'Retired') fail(`${where}: unexpected retired field ${JSON.stringify(r)}`);
  return r === 'Retired' ? 'R' : '';
};
/** pydicom's private tables (from GDCM) spell one VR 'OB_OW'; PS3.6 writes 'OB or OW'. */
const normaliseVr = (vr) => vr.replace(/_/g, ' or ');

const pydicomSource =
  `pydicom ${pydicomVersion}` +
  (debVersion ? ` (Debian python3-pydicom ${debVersion})` : '') +
  (dicomEdition ? `, whose standard tables reflect DICOM ${dicomEdition}` : '');

const NOTICE =
  'GENERATED FILE - DO NOT EDIT. Regenerate with `npm run gen:dictionary` (scripts/gen-dictionary.mjs).';

/**
 * Serialises a flat object: one top-level key a line; arrays with one item a line; objects of
 * strings with one key a line, in code point order; other values inline.
 */
function toJson(obj) {
  const out = ['{'];
  const keys = Object.keys(obj);
  const block = (open, items, close, comma) => {
    out.push(
      open,
      ...items.map((item, i) => `${item}${i < items.length - 1 ? ',' : ''}`),
      `${close}${comma}`,
    );
  };
  keys.forEach((key, k) => {
    const value = obj[key];
    const comma = k < keys.length - 1 ? ',' : '';
    const name = `  ${JSON.stringify(key)}: `;
    if (Array.isArray(value)) {
      block(
        `${name}[`,
        value.map((v) => JSON.stringify(v)),
        '  ]',
        comma,
      );
    } else if (
      value !== null &&
      typeof value === 'object' &&
      Object.values(value).every((v) => typeof v === 'string')
    ) {
      // Sorted here: JS objects enumerate integer-like keys ('2000') before the others ('0008').
      const names = Object.keys(value).sort(byCodePoint);
      block(
        `${name}{`,
        names.map((n) => `${JSON.stringify(n)}: ${JSON.stringify(value[n])}`),
        '  }',
        comma,
      );
    } else {
      out.push(`${name}${JSON.stringify(value)}${comma}`);
    }
  });
  out.push('}', '');
  return out.join('\n');
}

/** group (4 upper-case hex digits) -> its elements' lines, in tag order */
const elementGroups = {};
let elementRowCount = 0;
for (const [tag, [vr, vm, name, retired, keyword]] of [...elements.entries()].sort((a, b) => a[0] - b[0])) {
  const w = `element ${hex8(tag)}`;
  const group = hex8(tag).slice(0, 4);
  const line = [
    hex8(tag),
    field(keyword, w),
    field(vr, w),
    field(vm, w),
    retiredFlag(retired, w),
    field(name, w),
  ].join(SEP);
  elementGroups[group] = elementGroups[group] === undefined ? line : `${elementGroups[group]}\n${line}`;
  elementRowCount++;
}

const repeaterRows = [...repeaters.entries()]
  .sort((a, b) => byCodePoint(a[0], b[0]))
  .map(([mask, [vr, vm, name, retired, keyword]]) => {
    const w = `repeater ${mask}`;
    return [
      mask,
      field(keyword, w),
      field(vr, w),
      field(vm, w),
      retiredFlag(retired, w),
      field(name, w),
    ].join(SEP);
  });

const privateCreators = {};
for (const creator of [...privates.keys()].sort(byCodePoint)) {
  const w = `private creator ${JSON.stringify(creator)}`;
  const entries = privates.get(creator);
  privateCreators[field(creator, w)] = [...entries.keys()]
    .sort(byCodePoint)
    .map((key) => {
      const [vr, vm, name, retired] = entries.get(key);
      return [key, field(normaliseVr(vr), w), field(vm, w), retiredFlag(retired, w), field(name, w)].join(
        SEP,
      );
    })
    .join('\n');
}

const uidRows = [...uids.entries()].map(([uid, [name, type, , retired, keyword]]) => {
  const w = `uid ${uid}`;
  if (!/^[0-9.]+$/.test(uid)) fail(`${w}: not a UID`);
  return [uid, field(keyword, w), field(type, w), retiredFlag(retired, w), field(name, w)].join(SEP);
});

const conquestRows = conquest.map((r) => r.map((v) => field(v, `Conquest row ${r[0]}`)).join(SEP));
const conquestEnabled = conquest.filter((r) => r[3] === '1').length;

const files = new Map();

files.set(
  'elements.json',
  toJson({
    $comment: NOTICE,
    source: `${pydicomSource}: pydicom/${dicomDictFile} (DicomDictionary, RepeatersDictionary)`,
    pydicomVersion,
    debianPackageVersion: debVersion ?? null,
    dicomEdition: dicomEdition ?? null,
    conquestManual: manualTitle,
    counts: {
      elements: elementRowCount,
      repeaters: repeaterRows.length,
      privateCreators: privates.size,
      privateElements: privateEntryCount,
      uids: uidRows.length,
      conquestSopRows: conquestRows.length,
    },
    format:
      "groups: group (4 upper-case hex digits) -> lines TAG (8 upper-case hex digits)|Keyword|VR|VM|R if retired|Name, in tag order. repeaters: MASK ('x' = any nibble)|Keyword|VR|VM|R|Name.",
    groups: elementGroups,
    repeaters: repeaterRows,
  }),
);

files.set(
  'private.json',
  toJson({
    $comment: NOTICE,
    source: `${pydicomSource}: pydicom/${privateDictFile} (private_dictionaries, which pydicom takes from GDCM)`,
    pydicomVersion,
    format:
      "creators: creator -> lines KEY|VR|VM|R if retired|Name, sorted. KEY: 8 lower-case hex digits gggg,eeee; 'xx' for the element's high byte = any block (gggg,xxee), 'xxxx' = the group's low byte too.",
    creators: privateCreators,
  }),
);

files.set(
  'uids.json',
  toJson({
    $comment: NOTICE,
    source: `${pydicomSource}: pydicom/${uidDictFile} (UID_dictionary)`,
    pydicomVersion,
    dicomEdition: dicomEdition ?? null,
    format: 'uids: UID|Keyword|Type|R if retired|Name, in PS3.6 Table A-1 order.',
    uids: uidRows,
    conquestSource: `${manualTitle}, section "7.5 dgatesop.lst" (${conquestRows.length} rows, ${conquestEnabled} enabled, ${conquestRows.length - conquestEnabled} shipped commented out)`,
    conquestFormat:
      "conquest: Name|UID|kind (sop or transfer)|1 enabled or 0 commented out with '#', in the manual's order.",
    conquest: conquestRows,
  }),
);

let stale = 0;
if (!checkOnly) mkdirSync(outDir, { recursive: true });
for (const [name, text] of files) {
  const path = join(outDir, name);
  if (checkOnly) {
    const old = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (old !== text) {
      console.error(`gen-dictionary: ${name} is out of date`);
      stale++;
    }
  } else {
    writeFileSync(path, text);
  }
}
for (const name of readdirSync(outDir)) {
  if (!files.has(name))
    console.warn(`gen-dictionary: warning: ${name} in ${outDir} is not generated by this script`);
}
console.log(
  `gen-dictionary: pydicom ${pydicomVersion} (DICOM ${dicomEdition ?? '?'}): ${elements.size} elements, ` +
    `${repeaters.size} repeaters, ${privates.size} private creators / ${privateEntryCount} private elements, ` +
    `${uids.size} UIDs, ${conquest.length} Conquest dgatesop.lst rows` +
    (checkOnly ? (stale ? ` - ${stale} file(s) stale` : ' - up to date') : ` -> ${outDir}`),
);
if (stale) process.exit(1);
