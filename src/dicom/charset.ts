/**
 * Specific Character Set (0008,0005): decoding and encoding of text values (PS3.3 C.12.1.1.2, PS3.5 6.1 and
 * Annexes H, I, J, K).
 *
 * - Without code extensions: one set for the whole value, no escape sequences (ISO_IR 100 … ISO_IR 13,
 *   ISO_IR 192 = UTF-8, GB18030, GBK).
 * - With code extensions (ISO 2022 terms): escape sequences designate a code element into G0 (bytes < 0x80)
 *   or G1 (bytes >= 0x80). The designations return to those of value 1 at the end of every value, before
 *   every control character other than ESC (CR, LF, FF, TAB…), before '\' in multi-valued elements and
 *   before the PN delimiters '^' and '=' (PS3.5 6.1.2.5.3).
 *
 * The code tables come from iconv-lite (ISO 8859-x, EUC-JP for JIS X 0208/0212, EUC-KR for KS X 1001,
 * GB2312, GBK, GB18030); JIS X 0201 is arithmetic. Nothing here throws on bad input: undecodable bytes
 * become U+FFFD, unencodable characters become '?' with a warning.
 */
import { createRequire } from 'node:module';

import { isSingleValuedText, usesSpecificCharacterSet, type VR } from './vr.js';

type Iconv = typeof import('iconv-lite');
let iconvModule: Iconv | undefined;
/** iconv-lite is loaded on first use: data sets in the default repertoire or UTF-8 never need it. */
function iconvLite(): Iconv {
  iconvModule ??= createRequire(import.meta.url)('iconv-lite') as Iconv;
  return iconvModule;
}

const ESC = 0x1b;
const REPLACEMENT = 0xfffd;
const QUESTION = 0x3f;
const MAX_WARNINGS = 64;

// ---------------------------------------------------------------------------------------------------------
// Code elements
// ---------------------------------------------------------------------------------------------------------

/** One graphic character set that ISO 2022 can designate (a "code element"). */
abstract class CodeElement {
  /** 1 for 94/96-character sets, 2 for 94x94 sets. */
  abstract readonly width: 1 | 2;
  private decodeTable: Uint16Array | undefined;
  private encodeTable: Map<number, number> | undefined;

  constructor(
    /** e.g. 'ISO-IR 87 (JIS X 0208)' */
    readonly name: string,
    /** The register DICOM designates it into: 0 = G0 (GL, bytes < 0x80), 1 = G1 (GR, bytes >= 0x80). */
    readonly slot: 0 | 1,
    /** The escape sequence that designates it into `slot`. */
    readonly escapeSequence: readonly number[],
    private readonly build: () => Uint16Array,
  ) {}

  /** Decoding table, U+FFFD where unassigned. Single-byte: index = byte & 0x7f; double-byte: row*94+cell. */
  get table(): Uint16Array {
    if (this.decodeTable === undefined) this.decodeTable = this.build();
    return this.decodeTable;
  }

  /** Index into `table` for a code point, or -1. */
  indexOf(codePoint: number): number {
    if (this.encodeTable === undefined) this.encodeTable = this.buildEncodeTable();
    return this.encodeTable.get(codePoint) ?? -1;
  }

  protected buildEncodeTable(): Map<number, number> {
    const map = new Map<number, number>();
    const table = this.table;
    for (let i = 0; i < table.length; i++) {
      const u = table[i]!;
      if (u !== REPLACEMENT && !map.has(u)) map.set(u, i);
    }
    return map;
  }
}

class SingleByteElement extends CodeElement {
  readonly width = 1 as const;
  constructor(
    name: string,
    slot: 0 | 1,
    escapeSequence: readonly number[],
    /** 96-character sets (ISO 8859 right-hand parts) use GR 0xA0-0xFF and pass C1 0x80-0x9F through. */
    readonly size: 94 | 96,
    /** ASCII-compatible in GL (ISO-IR 6, JIS X 0201 Romaji): the only G0 sets in which delimiters are found. */
    readonly asciiLike: boolean,
    build: () => Uint16Array,
  ) {
    super(name, slot, escapeSequence, build);
  }

  protected override buildEncodeTable(): Map<number, number> {
    const map = super.buildEncodeTable();
    if (this.size === 96) for (let i = 0; i < 0x20; i++) map.set(0x80 + i, i); // C1 controls
    return map;
  }
}

class DoubleByteElement extends CodeElement {
  readonly width = 2 as const;
  constructor(
    name: string,
    slot: 0 | 1,
    escapeSequence: readonly number[],
    build: () => Uint16Array,
    /** Extra code points the encoder accepts for a cell (other vendors' mappings of the same character). */
    private readonly aliases: readonly (readonly [number, number])[] = [],
  ) {
    super(name, slot, escapeSequence, build);
  }

  protected override buildEncodeTable(): Map<number, number> {
    const map = super.buildEncodeTable();
    // Aliases win over vendor-extension cells that iconv-lite maps to the same character.
    for (const [codePoint, index] of this.aliases) map.set(codePoint, index);
    return map;
  }
}

const esc = (text: string): number[] => [ESC, ...Array.from(text, (c) => c.charCodeAt(0))];

function asciiTable(): Uint16Array {
  const t = new Uint16Array(128);
  for (let i = 0; i < 128; i++) t[i] = i;
  return t;
}

/** JIS X 0201 katakana: 0x21-0x5F (GR 0xA1-0xDF) → U+FF61-U+FF9F. */
function katakanaTable(): Uint16Array {
  const t = new Uint16Array(128).fill(REPLACEMENT);
  for (let i = 0x21; i <= 0x5f; i++) t[i] = 0xff61 + (i - 0x21);
  return t;
}

/** Right-hand part (GR 0xA0-0xFF) of an ISO 8859 code page, from iconv-lite; index = byte & 0x7f. */
function iso8859Table(encoding: string): () => Uint16Array {
  return () => {
    const bytes = Buffer.alloc(96);
    for (let i = 0; i < 96; i++) bytes[i] = 0xa0 + i;
    const text = iconvLite().decode(bytes, encoding);
    const t = new Uint16Array(128).fill(REPLACEMENT);
    if (text.length === 96) for (let i = 0; i < 96; i++) t[0x20 + i] = text.charCodeAt(i);
    return t;
  };
}

function isUsableCodeUnit(u: number): boolean {
  return u !== REPLACEMENT && !(u >= 0xd800 && u <= 0xdfff) && !(u >= 0xe000 && u <= 0xf8ff);
}

/**
 * A 94x94 table from an EUC-style iconv-lite codec: cell (r, c) is the byte pair (0xA1+r, 0xA1+c), optionally
 * after a prefix byte (0x8F for JIS X 0212 in EUC-JP). Private-use and unassigned cells stay U+FFFD.
 */
function eucTable(encoding: string, prefix?: number, overrides: readonly (readonly [number, number])[] = []) {
  return (): Uint16Array => {
    const table = new Uint16Array(94 * 94).fill(REPLACEMENT);
    const stride = prefix === undefined ? 3 : 4;
    const bytes = Buffer.alloc(94 * 94 * stride);
    let p = 0;
    for (let r = 0; r < 94; r++) {
      for (let c = 0; c < 94; c++) {
        if (prefix !== undefined) bytes[p++] = prefix;
        bytes[p++] = 0xa1 + r;
        bytes[p++] = 0xa1 + c;
        bytes[p++] = 0x0a;
      }
    }
    // One call, each pair followed by LF; fall back to one call per pair if the decoder ever resynchronised
    // across a separator.
    let parts = iconvLite().decode(bytes, encoding).split('\n');
    if (parts.length !== 94 * 94 + 1) {
      parts = [];
      for (let k = 0; k < 94 * 94; k++)
        parts.push(iconvLite().decode(bytes.subarray(k * stride, k * stride + stride - 1), encoding));
    }
    for (let k = 0; k < 94 * 94; k++) {
      const s = parts[k]!;
      if (s.length === 1 && isUsableCodeUnit(s.charCodeAt(0))) table[k] = s.charCodeAt(0);
    }
    for (const [index, u] of overrides) table[index] = u;
    return table;
  };
}

/** Cell index of a 7-bit JIS/ISO 2022 code such as 0x2141. */
const cell = (code: number): number => ((code >> 8) - 0x21) * 94 + ((code & 0xff) - 0x21);

/**
 * iconv-lite's EUC-JP follows Microsoft (CP932) for six JIS X 0208 cells. Decode them as JIS X 0208 /
 * Unicode's JIS0208.TXT (and glibc, Java, Python, hence dcmtk, dcm4che, pydicom) do; encode both forms.
 */
const JIS0208_STANDARD: readonly (readonly [number, number])[] = [
  [cell(0x2141), 0x301c], // WAVE DASH (CP932: FULLWIDTH TILDE U+FF5E)
  [cell(0x2142), 0x2016], // DOUBLE VERTICAL LINE (CP932: PARALLEL TO U+2225)
  [cell(0x215d), 0x2212], // MINUS SIGN (CP932: FULLWIDTH HYPHEN-MINUS U+FF0D)
  [cell(0x2171), 0x00a2], // CENT SIGN (CP932: U+FFE0)
  [cell(0x2172), 0x00a3], // POUND SIGN (CP932: U+FFE1)
  [cell(0x224c), 0x00ac], // NOT SIGN (CP932: U+FFE2)
];
const JIS0208_ALIASES: readonly (readonly [number, number])[] = [
  [0xff5e, cell(0x2141)],
  [0x2225, cell(0x2142)],
  [0xff0d, cell(0x215d)],
  [0xffe0, cell(0x2171)],
  [0xffe1, cell(0x2172)],
  [0xffe2, cell(0x224c)],
  [0x2014, cell(0x213d)], // EM DASH (glibc) for JIS 0x213D, which iconv-lite maps to HORIZONTAL BAR U+2015
];

const ASCII = new SingleByteElement('ISO-IR 6 (ASCII)', 0, esc('(B'), 94, true, asciiTable);
/**
 * JIS X 0201 Romaji. It differs from ASCII only at 0x5C (YEN SIGN) and 0x7E (OVERLINE); we read those as
 * '\' and '~' like most toolkits, since 0x5C is the DICOM value delimiter in every repertoire (PS3.5 6.1.2.5.3).
 */
const ROMAJI = new SingleByteElement('ISO-IR 14 (JIS X 0201 Romaji)', 0, esc('(J'), 94, true, asciiTable);
const KATAKANA = new SingleByteElement(
  'ISO-IR 13 (JIS X 0201 Katakana)',
  1,
  esc(')I'),
  94,
  false,
  katakanaTable,
);
/** Katakana designated into G0 (ESC ( I): not used by DICOM, decoded for robustness. */
const KATAKANA_G0 = new SingleByteElement(
  'ISO-IR 13 (JIS X 0201 Katakana) in G0',
  0,
  esc('(I'),
  94,
  false,
  katakanaTable,
);

const latin = (ir: number, final: string, encoding: string): SingleByteElement =>
  new SingleByteElement(
    `ISO-IR ${ir} (${encoding.toUpperCase()})`,
    1,
    esc(`-${final}`),
    96,
    false,
    iso8859Table(encoding),
  );

const IR100 = latin(100, 'A', 'iso-8859-1');
const IR101 = latin(101, 'B', 'iso-8859-2');
const IR109 = latin(109, 'C', 'iso-8859-3');
const IR110 = latin(110, 'D', 'iso-8859-4');
const IR144 = latin(144, 'L', 'iso-8859-5');
const IR127 = latin(127, 'G', 'iso-8859-6');
const IR126 = latin(126, 'F', 'iso-8859-7');
const IR138 = latin(138, 'H', 'iso-8859-8');
const IR148 = latin(148, 'M', 'iso-8859-9');
/** TIS 620-2533 as the 96-set of ISO 8859-11 (NBSP at 0xA0; iconv-lite's 'tis620' leaves 0xA0 unassigned). */
const IR166 = latin(166, 'T', 'iso-8859-11');

const JIS0208 = new DoubleByteElement(
  'ISO-IR 87 (JIS X 0208)',
  0,
  esc('$B'),
  eucTable('eucjp', undefined, JIS0208_STANDARD),
  JIS0208_ALIASES,
);
const JIS0212 = new DoubleByteElement('ISO-IR 159 (JIS X 0212)', 0, esc('$(D'), eucTable('eucjp', 0x8f));
const KSX1001 = new DoubleByteElement('ISO-IR 149 (KS X 1001)', 1, esc('$)C'), eucTable('euc-kr'));
const GB2312 = new DoubleByteElement('ISO-IR 58 (GB 2312)', 1, esc('$)A'), eucTable('gb2312'));

interface Designation {
  readonly element: CodeElement;
  readonly slot: 0 | 1;
}

/** Escape sequences recognised when decoding: intermediate bytes + final byte → designation. */
const ESCAPES: ReadonlyMap<string, Designation> = new Map<string, Designation>([
  ['(B', { element: ASCII, slot: 0 }],
  ['(J', { element: ROMAJI, slot: 0 }],
  ['(I', { element: KATAKANA_G0, slot: 0 }],
  [')I', { element: KATAKANA, slot: 1 }],
  ...[IR100, IR101, IR109, IR110, IR144, IR127, IR126, IR138, IR148, IR166].map(
    (e): [string, Designation] => [
      String.fromCharCode(...e.escapeSequence.slice(1)),
      { element: e, slot: 1 },
    ],
  ),
  ['$@', { element: JIS0208, slot: 0 }], // JIS C 6226-1978, read as JIS X 0208
  ['$B', { element: JIS0208, slot: 0 }],
  ['$(@', { element: JIS0208, slot: 0 }],
  ['$(B', { element: JIS0208, slot: 0 }],
  ['$)B', { element: JIS0208, slot: 1 }],
  ['$(D', { element: JIS0212, slot: 0 }],
  ['$)D', { element: JIS0212, slot: 1 }],
  ['$)C', { element: KSX1001, slot: 1 }],
  ['$(C', { element: KSX1001, slot: 0 }],
  ['$)A', { element: GB2312, slot: 1 }],
  ['$A', { element: GB2312, slot: 0 }],
  ['$(A', { element: GB2312, slot: 0 }],
]);

// ---------------------------------------------------------------------------------------------------------
// Defined terms
// ---------------------------------------------------------------------------------------------------------

type TermDef =
  | {
      readonly kind: 'single';
      readonly g0: SingleByteElement;
      readonly g1: SingleByteElement | null;
      readonly ext: boolean;
    }
  | { readonly kind: 'multi'; readonly element: DoubleByteElement }
  | { readonly kind: 'utf8' | 'gb18030' | 'gbk' };

const TERMS = new Map<string, TermDef>();
TERMS.set('', { kind: 'single', g0: ASCII, g1: null, ext: false });
TERMS.set('ISO 2022 IR 6', { kind: 'single', g0: ASCII, g1: null, ext: true });
for (const [ir, element] of [
  [100, IR100],
  [101, IR101],
  [109, IR109],
  [110, IR110],
  [144, IR144],
  [127, IR127],
  [126, IR126],
  [138, IR138],
  [148, IR148],
  [166, IR166],
] as const) {
  TERMS.set(`ISO_IR ${ir}`, { kind: 'single', g0: ASCII, g1: element, ext: false });
  TERMS.set(`ISO 2022 IR ${ir}`, { kind: 'single', g0: ASCII, g1: element, ext: true });
}
TERMS.set('ISO_IR 13', { kind: 'single', g0: ROMAJI, g1: KATAKANA, ext: false });
TERMS.set('ISO 2022 IR 13', { kind: 'single', g0: ROMAJI, g1: KATAKANA, ext: true });
TERMS.set('ISO 2022 IR 87', { kind: 'multi', element: JIS0208 });
TERMS.set('ISO 2022 IR 159', { kind: 'multi', element: JIS0212 });
TERMS.set('ISO 2022 IR 149', { kind: 'multi', element: KSX1001 });
TERMS.set('ISO 2022 IR 58', { kind: 'multi', element: GB2312 });
TERMS.set('ISO_IR 192', { kind: 'utf8' });
TERMS.set('GB18030', { kind: 'gb18030' });
TERMS.set('GBK', { kind: 'gbk' });

/** Known non-standard spellings seen in the wild, compared without case, spaces, '_' and '-'. */
function lenientTerm(term: string): string | undefined {
  const squashed = term.toUpperCase().replace(/[\s_-]+/g, '');
  if (squashed === 'UTF8' || squashed === 'ISOIR192') return 'ISO_IR 192';
  if (squashed === 'ISOIR6' || squashed === 'ASCII' || squashed === 'ISO646') return '';
  let m = /^ISO2022IR(\d+)$/.exec(squashed);
  if (m && TERMS.has(`ISO 2022 IR ${m[1]}`)) return `ISO 2022 IR ${m[1]}`;
  m = /^ISOIR(\d+)$/.exec(squashed);
  if (m && TERMS.has(`ISO_IR ${m[1]}`)) return `ISO_IR ${m[1]}`;
  if (m && TERMS.has(`ISO 2022 IR ${m[1]}`)) return `ISO 2022 IR ${m[1]}`;
  if (squashed === 'GB18030' || squashed === 'GBK') return squashed;
  return undefined;
}

type Mode = 'default' | 'latin1' | 'engine' | 'utf8' | 'gb18030' | 'gbk';

const trimTerm = (t: string): string => t.replace(/^[ \0]+|[ \0]+$/g, '');

const cache = new Map<string, SpecificCharacterSet>();
const CACHE_LIMIT = 512;

type Latin1Sliceable = Buffer & { latin1Slice?: (start: number, end: number) => string };

/** Bytes → string, one character per byte (ISO 8859-1), through a Buffer view (no copy). */
function latin1(bytes: Uint8Array): string {
  const buffer = asBuffer(bytes) as Latin1Sliceable;
  return typeof buffer.latin1Slice === 'function'
    ? buffer.latin1Slice(0, buffer.length)
    : buffer.toString('latin1');
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** Delimiters at which ISO 2022 designations return to the initial ones: 0 none, 1 '\', 2 '\' '^' '='. */
function delimiterClass(vr: VR): 0 | 1 | 2 {
  if (vr === 'PN') return 2;
  return isSingleValuedText(vr) ? 0 : 1;
}

const isDelimiter = (c: number, cls: 0 | 1 | 2): boolean =>
  cls !== 0 && (c === 0x5c || (cls === 2 && (c === 0x5e || c === 0x3d)));

function fromCodes(codes: Uint16Array, length: number): string {
  let s = '';
  for (let i = 0; i < length; i += 8192) {
    s += String.fromCharCode.apply(
      null,
      codes.subarray(i, Math.min(length, i + 8192)) as unknown as number[],
    );
  }
  return s;
}

/** Reused output buffer of decodeEngine (one character per byte at most). */
let scratch = new Uint16Array(1024);
const SCRATCH_LIMIT = 65536;

/** Lone surrogates cannot be encoded by any set. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

// ---------------------------------------------------------------------------------------------------------
// SpecificCharacterSet
// ---------------------------------------------------------------------------------------------------------

export class SpecificCharacterSet {
  /** No (0008,0005): the default repertoire, ISO-IR 6. */
  static readonly DEFAULT: SpecificCharacterSet = new SpecificCharacterSet(undefined);

  /** From the raw (0008,0005) value, e.g. '\\ISO 2022 IR 87' or 'ISO_IR 192'; trims spaces of each term. */
  static fromValue(value: string | undefined): SpecificCharacterSet {
    if (value === undefined) return SpecificCharacterSet.DEFAULT;
    let cs = cache.get(value);
    if (cs === undefined) {
      cs = trimTerm(value) === '' ? SpecificCharacterSet.DEFAULT : new SpecificCharacterSet(value);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(value, cs);
    }
    return cs;
  }

  /** The terms as given (trimmed); the first may be '' (ISO-IR 6). Empty for the default repertoire. */
  readonly terms: readonly string[];
  /** True when (0008,0005) is absent/empty/ISO-IR 6 (or unusable): bytes are read as ISO 8859-1. */
  readonly isDefault: boolean;
  /** True when escape sequences are interpreted (ISO 2022 terms). */
  readonly isIso2022: boolean;

  private readonly mode: Mode;
  private readonly initialG0: SingleByteElement;
  private readonly initialG1: CodeElement | null;
  /** Used for GR bytes when no G1 set is designated (lenient): the first G1 set declared. */
  private readonly fallbackG1: CodeElement | null;
  /** Encoder preference: initial G0, initial G1, then the other declared sets in term order. */
  private readonly order: readonly CodeElement[];
  private readonly warningList: string[] = [];
  private readonly warningSet = new Set<string>();

  private constructor(value: string | undefined) {
    const raw = value === undefined ? [] : value.split('\\').map(trimTerm);
    const terms = raw.length === 1 && raw[0] === '' ? [] : raw;
    this.terms = Object.freeze(terms);

    // Resolve each term, leniently.
    const defs: (TermDef | undefined)[] = terms.map((term, i) => {
      let def = TERMS.get(term);
      if (def === undefined) {
        const alias = lenientTerm(term);
        if (alias !== undefined) {
          this.warn(`non-standard Specific Character Set term '${term}' read as '${alias || 'ISO_IR 6'}'`);
          def = TERMS.get(alias);
        } else {
          this.warn(
            `unknown Specific Character Set term '${term}'` +
              (i === 0 ? ': using the default repertoire' : ': ignored'),
          );
        }
      }
      return def;
    });

    let mode: Mode = 'engine';
    let iso2022 = terms.length > 1;
    let initialG0: SingleByteElement = ASCII;
    let initialG1: CodeElement | null = null;
    const usable: TermDef[] = [];
    const first = defs[0];

    if (first !== undefined && (first.kind === 'utf8' || first.kind === 'gb18030' || first.kind === 'gbk')) {
      // Multi-byte without code extensions: stands alone.
      if (terms.length > 1) this.warn(`'${terms[0]}' does not allow code extensions: further values ignored`);
      mode = first.kind;
      iso2022 = false;
    } else if (
      terms.length <= 1 &&
      (first === undefined || (first.kind === 'single' && first.g1 === null && !first.ext))
    ) {
      mode = 'default';
    } else {
      defs.forEach((def, i) => {
        if (def === undefined) return;
        if (def.kind === 'utf8' || def.kind === 'gb18030' || def.kind === 'gbk') {
          this.warn(`'${terms[i]}' cannot be used with code extensions: ignored`);
          return;
        }
        if (def.kind === 'single' && def.ext) iso2022 = true;
        if (def.kind === 'multi') iso2022 = true;
        if (terms.length > 1 && def.kind === 'single' && !def.ext && terms[i] !== '') {
          this.warn(`'${terms[i]}' in a multi-valued Specific Character Set read as its ISO 2022 form`);
        }
        usable.push(def);
      });
      if (first?.kind === 'single') {
        initialG0 = first.g0;
        initialG1 = first.g1;
        if (!iso2022 && first.g1 === IR100) mode = 'latin1';
      } else if (first?.kind === 'multi') {
        this.warn(`'${terms[0]}' is only defined as value 2 or later of Specific Character Set`);
        if (first.element.slot === 1) initialG1 = first.element;
      }
    }

    const order: CodeElement[] = [initialG0];
    if (initialG1) order.push(initialG1);
    for (const def of usable) {
      const elements = def.kind === 'single' ? [def.g0, def.g1] : def.kind === 'multi' ? [def.element] : [];
      for (const e of elements) if (e && !order.includes(e)) order.push(e);
    }
    this.mode = mode;
    this.isDefault = mode === 'default';
    this.isIso2022 = iso2022;
    this.initialG0 = initialG0;
    this.initialG1 = initialG1;
    this.order = order;
    this.fallbackG1 = initialG1 ?? order.find((e) => e.slot === 1) ?? null;
  }

  /** Warnings about the terms, and (deduplicated, at most 64) about characters that could not be encoded. */
  get warnings(): readonly string[] {
    return this.warningList;
  }

  private warn(message: string): void {
    if (this.warningSet.has(message) || this.warningList.length >= MAX_WARNINGS) return;
    this.warningSet.add(message);
    this.warningList.push(message);
  }

  /**
   * Bytes of a text value (whole value: all its values with their '\' separators) → string. Padding is
   * not stripped. VRs that Specific Character Set does not apply to are read as ISO 8859-1.
   */
  decode(bytes: Uint8Array, vr: VR): string {
    if (this.mode === 'default' || this.mode === 'latin1' || !usesSpecificCharacterSet(vr))
      return latin1(bytes);
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      const b = bytes[i]!;
      if (b >= 0x80 || b === ESC) break;
      i++;
    }
    if (i === n) return latin1(bytes);
    switch (this.mode) {
      case 'utf8':
        return asBuffer(bytes).toString('utf8');
      case 'gb18030':
      case 'gbk':
        return iconvLite().decode(asBuffer(bytes), this.mode, { stripBOM: false });
      default:
        return this.decodeEngine(bytes, delimiterClass(vr));
    }
  }

  private decodeEngine(bytes: Uint8Array, delimiters: 0 | 1 | 2): string {
    const n = bytes.length;
    if (n > scratch.length && n <= SCRATCH_LIMIT) scratch = new Uint16Array(SCRATCH_LIMIT);
    const out = n <= scratch.length ? scratch : new Uint16Array(n);
    let k = 0;
    const iso2022 = this.isIso2022;
    const initialG0 = this.initialG0;
    const initialG1 = this.initialG1;
    let g0: CodeElement = initialG0;
    let g1: CodeElement | null = initialG1;
    let lastG1: CodeElement | null = this.fallbackG1;
    let i = 0;
    while (i < n) {
      const b = bytes[i]!;
      if (b < 0x80) {
        if (b === ESC && iso2022) {
          let j = i + 1;
          while (j < n && bytes[j]! >= 0x20 && bytes[j]! <= 0x2f) j++;
          if (j > i + 1 && j < n && bytes[j]! >= 0x30 && bytes[j]! <= 0x7e) {
            let key = '';
            for (let m = i + 1; m <= j; m++) key += String.fromCharCode(bytes[m]!);
            const designation = ESCAPES.get(key);
            if (designation !== undefined) {
              if (designation.slot === 0) g0 = designation.element;
              else g1 = lastG1 = designation.element;
            } else {
              out[k++] = REPLACEMENT; // unknown escape sequence: skipped
            }
            i = j + 1;
          } else {
            out[k++] = REPLACEMENT; // not an escape sequence
            i++;
          }
          continue;
        }
        if (b < 0x20) {
          // Control character: back to the initial designations.
          g0 = initialG0;
          g1 = initialG1;
          out[k++] = b;
          i++;
          continue;
        }
        if (g0.width === 2) {
          if (b === 0x20 || b === 0x7f) {
            out[k++] = b;
            i++;
            continue;
          }
          const b2 = i + 1 < n ? bytes[i + 1]! : 0;
          if (b2 >= 0x21 && b2 <= 0x7e) {
            out[k++] = g0.table[(b - 0x21) * 94 + (b2 - 0x21)]!;
            i += 2;
          } else {
            out[k++] = REPLACEMENT;
            i++;
          }
          continue;
        }
        if ((g0 as SingleByteElement).asciiLike && isDelimiter(b, delimiters)) {
          g0 = initialG0;
          g1 = initialG1;
        }
        out[k++] = b === 0x20 || b === 0x7f ? b : g0.table[b]!;
        i++;
        continue;
      }
      // GR
      const set = g1 ?? lastG1;
      if (set === null) {
        out[k++] = b; // nothing designated, nothing declared: ISO 8859-1, nothing lost
        i++;
      } else if (set.width === 2) {
        const b2 = i + 1 < n ? bytes[i + 1]! : 0;
        if (b >= 0xa1 && b <= 0xfe && b2 >= 0xa1 && b2 <= 0xfe) {
          out[k++] = set.table[(b - 0xa1) * 94 + (b2 - 0xa1)]!;
          i += 2;
        } else {
          out[k++] = REPLACEMENT;
          i++;
        }
      } else {
        out[k++] =
          b < 0xa0 ? ((set as SingleByteElement).size === 96 ? b : REPLACEMENT) : set.table[b & 0x7f]!;
        i++;
      }
    }
    return fromCodes(out, k);
  }

  /**
   * String → bytes (no padding added). In ISO 2022 each character goes through the initial set if it has it,
   * else through the first declared set that does, with the escape sequences the standard requires.
   * Characters no declared set has become '?' and a warning (on this object, and in `warnings` if given).
   */
  encode(text: string, vr: VR, warnings?: string[]): Buffer {
    const report = (message: string): void => {
      this.warn(message);
      warnings?.push(message);
    };
    if (this.mode === 'default' || !usesSpecificCharacterSet(vr)) return this.encodeDefault(text, vr, report);
    // Fast path: ASCII (no ESC) is the same bytes in every supported set.
    if (/^[\x00-\x1a\x1c-\x7f]*$/.test(text)) return Buffer.from(text, 'latin1');
    switch (this.mode) {
      case 'utf8':
        return Buffer.from(this.replaceLoneSurrogates(text, report), 'utf8');
      case 'gb18030':
      case 'gbk':
        return this.encodeIconv(this.replaceLoneSurrogates(text, report), this.mode, report);
      default:
        return this.encodeEngine(text, delimiterClass(vr), report);
    }
  }

  /** True when every character of `text` can be encoded (for a text VR that follows this character set). */
  canEncode(text: string): boolean {
    let ok = true;
    const fail = (): void => {
      ok = false;
    };
    if (this.mode === 'default') return /^[\x00-\x7f]*$/.test(text);
    if (/^[\x00-\x1a\x1c-\x7f]*$/.test(text)) return true;
    if (LONE_SURROGATE.test(text)) return false;
    if (this.mode === 'utf8' || this.mode === 'gb18030') return true;
    if (this.mode === 'gbk') this.encodeIconv(text, 'gbk', fail);
    else this.encodeEngine(text, 1, fail);
    return ok;
  }

  private encodeDefault(text: string, vr: VR, report: (m: string) => void): Buffer {
    if (/^[\x00-\x7f]*$/.test(text)) return Buffer.from(text, 'latin1');
    const out: number[] = [];
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x80) out.push(cp);
      else if (cp <= 0xff) {
        report(`${hex(cp)} is not in the default repertoire (${vr}): written as its ISO 8859-1 byte`);
        out.push(cp);
      } else {
        report(`cannot encode ${hex(cp)} in the default repertoire (${vr}): replaced by '?'`);
        out.push(QUESTION);
      }
    }
    return Buffer.from(out);
  }

  private replaceLoneSurrogates(text: string, report: (m: string) => void): string {
    if (!LONE_SURROGATE.test(text)) return text;
    return text.replace(/[\uD800-\uDFFF]/gu, (s) => {
      report(`cannot encode lone surrogate ${hex(s.charCodeAt(0))}: replaced by '?'`);
      return '?';
    });
  }

  private encodeIconv(text: string, encoding: 'gbk' | 'gb18030', report: (m: string) => void): Buffer {
    const bytes = iconvLite().encode(text, encoding);
    // iconv-lite writes '?' for what it cannot encode; 0x3F is never a trail byte in GBK/GB18030.
    let expected = 0;
    for (let i = text.indexOf('?'); i >= 0; i = text.indexOf('?', i + 1)) expected++;
    let found = 0;
    for (const b of bytes) if (b === QUESTION) found++;
    if (found !== expected) {
      for (const ch of text) {
        if (ch !== '?' && ch.codePointAt(0)! >= 0x80) {
          const one = iconvLite().encode(ch, encoding);
          if (one.length === 1 && one[0] === QUESTION) {
            report(`cannot encode ${hex(ch.codePointAt(0)!)} in ${this.terms.join('\\')}: replaced by '?'`);
          }
        }
      }
    }
    return bytes;
  }

  private encodeEngine(text: string, delimiters: 0 | 1 | 2, report: (m: string) => void): Buffer {
    const out: number[] = [];
    const initialG0 = this.initialG0;
    const initialG1 = this.initialG1;
    let g0: CodeElement = initialG0;
    let g1: CodeElement | null = initialG1;
    const reset = (): void => {
      if (g0 !== initialG0) {
        out.push(...initialG0.escapeSequence);
        g0 = initialG0;
      }
      if (g1 !== initialG1) {
        if (initialG1 !== null) out.push(...initialG1.escapeSequence);
        g1 = initialG1; // with no initial G1 there is nothing to announce: the reset is implicit
      }
    };
    for (const ch of text) {
      let cp = ch.codePointAt(0)!;
      if (cp === ESC && this.isIso2022) {
        report(`cannot encode ESC in an ISO 2022 value: replaced by '?'`);
        cp = QUESTION;
      } else if (cp < 0x20 || isDelimiter(cp, delimiters)) {
        reset();
        out.push(cp);
        continue;
      }
      let element: CodeElement | undefined;
      let index = -1;
      for (const candidate of this.order) {
        index = candidate.indexOf(cp);
        if (index >= 0) {
          element = candidate;
          break;
        }
      }
      if (element === undefined) {
        report(`cannot encode ${hex(cp)} in ${this.terms.join('\\')}: replaced by '?'`);
        element = initialG0;
        index = QUESTION;
      }
      if (element.slot === 0) {
        if (g0 !== element) {
          out.push(...element.escapeSequence);
          g0 = element;
        }
        if (element.width === 2) out.push(0x21 + Math.floor(index / 94), 0x21 + (index % 94));
        else out.push(index);
      } else {
        if (g1 !== element) {
          out.push(...element.escapeSequence);
          g1 = element;
        }
        if (element.width === 2) out.push(0xa1 + Math.floor(index / 94), 0xa1 + (index % 94));
        else out.push(0x80 | index);
      }
    }
    reset();
    return Buffer.from(out);
  }
}
