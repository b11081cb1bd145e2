/**
 * dgatesop.lst (Conquest manual 7.5): what incoming associations may negotiate. One entry per line,
 * `Name  UID  kind  [ignored columns]`, separated by any blanks; kind is one of (case-insensitive, as
 * Conquest's CheckedPDU_Service reads them):
 *
 * - `sop` (or its synonym `abstract`): an accepted abstract syntax (SOP class);
 * - `transfer`: an accepted transfer syntax; the order of these lines is the order of preference;
 * - `application`: an accepted application context;
 * - `LocalAE`: an AE title this server answers to as called AE;
 * - `RemoteAE`: an AE title allowed to call this server.
 *
 * For LocalAE/RemoteAE lines the second column is the AE title (the first is a free name, e.g.
 * `#None  none  RemoteAE`). An empty list of a kind means no restriction for that kind. Lines starting
 * with '#' are comments: that is how Conquest ships entries disabled (GEMRStorage, GECTStorage, most
 * transfer syntaxes when JPEG support is off). Conquest ignores columns after the third (its JPEG lines
 * carry a fourth, `LittleEndianExplicit`); they are kept.
 *
 * Conquest silently skips lines it cannot read; here a line with fewer than three columns, an unknown
 * kind or a malformed UID is a ConfigError naming the file and line.
 */
import {
  conquestSopNames,
  dictionarySource,
  lookupUid,
  storageSopClasses,
} from '../dicom/dictionary/index.js';
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

export type SopListKind = 'sop' | 'transfer' | 'application' | 'localae' | 'remoteae';

/** One enabled entry. */
export interface SopListEntry {
  /** The first column (for SOP classes and transfer syntaxes, Conquest's name). */
  readonly name: string;
  /** The second column: a UID, or the AE title for localae/remoteae. */
  readonly value: string;
  readonly kind: SopListKind;
  /** The kind as written ('sop', 'abstract', 'RemoteAE'...). */
  readonly kindText: string;
  /** Columns after the kind. */
  readonly extra: readonly string[];
  /** 1-based line number (for entries added since parsing: where they are now). */
  readonly line: number;
}

/** A named UID, for the accepted-syntax lists. */
export interface NamedUid {
  readonly uid: string;
  readonly name: string;
}

interface SopLine extends TextLine {
  entry?: Omit<SopListEntry, 'line'>;
  /** A '#' line that reads as an entry once the '#' is removed: a disabled entry. */
  disabled?: Omit<SopListEntry, 'line'>;
}

const KIND_WORDS: Readonly<Record<string, SopListKind>> = {
  sop: 'sop',
  abstract: 'sop',
  transfer: 'transfer',
  application: 'application',
  localae: 'localae',
  remoteae: 'remoteae',
};

/** How each kind is written in new lines (Conquest's spelling). */
const KIND_TEXT: Readonly<Record<SopListKind, string>> = {
  sop: 'sop',
  transfer: 'transfer',
  application: 'application',
  localae: 'LocalAE',
  remoteae: 'RemoteAE',
};

const UID = /^[0-9]+(?:\.[0-9]+)*$/;

function isUidKind(kind: SopListKind): boolean {
  return kind === 'sop' || kind === 'transfer' || kind === 'application';
}

/** Reads the columns of a non-comment line; a string says what is wrong. */
function readEntry(text: string): Omit<SopListEntry, 'line'> | string {
  const cols = text.trim().split(/[ \t\r]+/);
  if (cols.length < 3)
    return `expected 'Name  UID  kind', found only ${cols.length} column${cols.length === 1 ? '' : 's'}: ${text.trim()}`;
  const [name, value, kindText, ...extra] = cols as [string, string, string, ...string[]];
  const kind = KIND_WORDS[kindText.toLowerCase()];
  if (kind === undefined)
    return `unknown kind '${kindText}' (expected sop, abstract, transfer, application, LocalAE or RemoteAE)`;
  if (isUidKind(kind) && (!UID.test(value) || value.length > 64))
    return `'${value}' is not a valid UID for a ${kindText} line`;
  return { name, value, kind, kindText, extra };
}

function renderEntry(
  e: { name: string; value: string; kindText: string; extra: readonly string[] },
  disabled = false,
): string {
  const first = (disabled ? '#' : '') + e.name;
  const head = `${first.padEnd(53)}${first.length >= 53 ? ' ' : ''}${e.value}`;
  const sep = e.kindText.toLowerCase() === 'transfer' ? '\t' : '\t\t';
  return `${head}${sep}${e.kindText}${e.extra.map((x) => `\t${x}`).join('')}`;
}

/** dgatesop.lst, edited in place. */
export class DgatesopList {
  private readonly lines: SopLine[];
  readonly warnings: string[] = [];

  private constructor(
    lines: SopLine[],
    readonly file: string,
    public format: TextFormat,
  ) {
    this.lines = lines;
  }

  static parse(
    input: string,
    file = 'dgatesop.lst',
    textFormat: TextFormat = DEFAULT_TEXT_FORMAT,
  ): DgatesopList {
    const { text, format } = withoutBom(input, textFormat);
    const lines: SopLine[] = [];
    const seen = new Map<string, number>();
    const warnings: string[] = [];
    splitLines(text).forEach((l, i) => {
      const t = l.text.trim();
      if (t === '') {
        lines.push({ text: l.text, eol: l.eol });
      } else if (t[0] === '#') {
        const d = readEntry(t.replace(/^#+/, ''));
        lines.push(
          typeof d === 'string' ? { text: l.text, eol: l.eol } : { text: l.text, eol: l.eol, disabled: d },
        );
      } else {
        const e = readEntry(t);
        if (typeof e === 'string') throw new ConfigError(file, i + 1, e);
        const id = `${e.kind} ${e.value}`;
        const before = seen.get(id);
        if (before !== undefined)
          warnings.push(`${file}, line ${i + 1}: ${e.kindText} ${e.value} is also listed on line ${before}`);
        else seen.set(id, i + 1);
        lines.push({ text: l.text, eol: l.eol, entry: e });
      }
    });
    const list = new DgatesopList(lines, file, format);
    list.warnings.push(...warnings);
    return list;
  }

  static read(path: string): DgatesopList {
    const { text, format } = readConfigFile(path);
    return DgatesopList.parse(text, path, format);
  }

  write(path: string = this.file): void {
    writeConfigFile(path, this.toString(), this.format);
  }

  toString(): string {
    return joinLines(this.lines);
  }

  /** The enabled entries (of one kind), in file order. */
  entries(kind?: SopListKind): SopListEntry[] {
    const out: SopListEntry[] = [];
    this.lines.forEach((l, i) => {
      if (l.entry && (kind === undefined || l.entry.kind === kind)) out.push({ ...l.entry, line: i + 1 });
    });
    return out;
  }

  /** The '#' lines that would be entries without their '#' (shipped disabled), in file order. */
  disabledEntries(kind?: SopListKind): SopListEntry[] {
    const out: SopListEntry[] = [];
    this.lines.forEach((l, i) => {
      if (l.disabled && (kind === undefined || l.disabled.kind === kind))
        out.push({ ...l.disabled, line: i + 1 });
    });
    return out;
  }

  /** Accepted abstract syntaxes: UID → name (the first name when a UID is listed twice). */
  abstractSyntaxes(): ReadonlyMap<string, string> {
    const out = new Map<string, string>();
    for (const e of this.entries('sop')) if (!out.has(e.value)) out.set(e.value, e.name);
    return out;
  }

  /** Accepted transfer syntaxes, in order of preference (file order, duplicates dropped). */
  transferSyntaxes(): NamedUid[] {
    return this.uniqueUids('transfer');
  }

  applicationContexts(): NamedUid[] {
    return this.uniqueUids('application');
  }

  /** AE titles this server answers to (empty: any). */
  localAEs(): string[] {
    return this.entries('localae').map((e) => e.value);
  }

  /** AE titles allowed to call this server (empty: any). */
  remoteAEs(): string[] {
    return this.entries('remoteae').map((e) => e.value);
  }

  acceptsAbstractSyntax(uid: string): boolean {
    const list = this.abstractSyntaxes();
    return list.size === 0 || list.has(cleanUid(uid));
  }

  acceptsTransferSyntax(uid: string): boolean {
    const list = this.entries('transfer');
    const u = cleanUid(uid);
    return list.length === 0 || list.some((e) => e.value === u);
  }

  acceptsApplicationContext(uid: string): boolean {
    const list = this.entries('application');
    const u = cleanUid(uid);
    return list.length === 0 || list.some((e) => e.value === u);
  }

  /** The called AE title is acceptable (LocalAE lines; compared case-sensitively, as Conquest does). */
  acceptsCalledAE(ae: string): boolean {
    const list = this.localAEs();
    return list.length === 0 || list.includes(cleanAe(ae));
  }

  /** The calling AE title is acceptable (RemoteAE lines; compared case-sensitively, as Conquest does). */
  acceptsCallingAE(ae: string): boolean {
    const list = this.remoteAEs();
    return list.length === 0 || list.includes(cleanAe(ae));
  }

  /** Entry `index` of a kind (what --get_sop:index, --get_transfer:index... show). */
  get(kind: SopListKind, index: number): SopListEntry | undefined {
    return this.entries(kind)[index];
  }

  /**
   * Sets entry `index` of a kind (--put_sop:index,UID,name and its siblings): an existing entry's line is
   * rewritten (its kind spelling and extra columns kept); index >= count adds a line after the last entry
   * of that kind (or at the end of the file).
   */
  put(kind: SopListKind, index: number, value: string, name: string): void {
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`invalid ${kind} index ${index}`);
    if (isUidKind(kind) && !UID.test(value))
      throw new ConfigError(this.file, undefined, `'${value}' is not a UID`);
    for (const v of [value, name])
      if (v === '' || /[\s]/.test(v) || v.startsWith('#'))
        throw new ConfigError(this.file, undefined, `invalid ${kind} column: '${v}'`);
    const at = this.indexesOf(kind);
    if (index < at.length) {
      const i = at[index]!;
      const old = this.lines[i]!;
      const e = { ...old.entry!, name, value };
      this.lines[i] = { text: renderEntry(e), eol: old.eol, entry: e };
      return;
    }
    const e = { name, value, kind, kindText: KIND_TEXT[kind], extra: [] as string[] };
    const lastEntry = this.lines.reduce((acc, l, i) => (l.entry ? i : acc), -1);
    const after = at.length > 0 ? at[at.length - 1]! + 1 : lastEntry >= 0 ? lastEntry + 1 : this.lines.length;
    insertLines(this.lines, after, [{ text: renderEntry(e), eol: '', entry: e }]);
  }

  /** Removes entry `index` of a kind; false when there is none. */
  delete(kind: SopListKind, index: number): boolean {
    const at = this.indexesOf(kind);
    if (!Number.isInteger(index) || index < 0 || index >= at.length) return false;
    this.lines.splice(at[index]!, 1);
    return true;
  }

  /** Takes over another list's lines, warnings and text format (a re-read into the same object). */
  replaceWith(other: DgatesopList): void {
    this.lines.splice(0, this.lines.length, ...other.lines.map((l) => ({ ...l })));
    this.warnings.splice(0, this.warnings.length, ...other.warnings);
    this.format = { ...other.format };
  }

  /** The number of enabled entries of a kind (what --get_sop:index and its siblings index into). */
  count(kind: SopListKind): number {
    return this.indexesOf(kind).length;
  }

  private indexesOf(kind: SopListKind): number[] {
    const out: number[] = [];
    this.lines.forEach((l, i) => {
      if (l.entry?.kind === kind) out.push(i);
    });
    return out;
  }

  private uniqueUids(kind: SopListKind): NamedUid[] {
    const seen = new Set<string>();
    const out: NamedUid[] = [];
    for (const e of this.entries(kind)) {
      if (seen.has(e.value)) continue;
      seen.add(e.value);
      out.push({ uid: e.value, name: e.name });
    }
    return out;
  }
}

function cleanUid(uid: string): string {
  return uid.replace(/[\0 ]+$/, '');
}

/** An AE title as Conquest compares it: leading blanks off, cut at the first blank (titles are space-padded). */
function cleanAe(ae: string): string {
  return ae.replace(/^[ \t]+/, '').split(/[ \t\0]/, 1)[0]!;
}

// ---------------------------------------------------------------------------------------------
// The default list

/**
 * The transfer syntaxes Conquest's GUI enables when it writes dgatesop.lst with JPEG support on (its
 * CreateDGATESOP_LST; the Linux distribution's dgatesop.lst is the same): the three native syntaxes,
 * JPEG processes 1, 2&4, 6&8, 10&12, 14 and 14 SV1, JPEG-LS lossless and near-lossless, JPEG 2000
 * lossless and lossy — plus RLE Lossless and Deflated Explicit VR LE, which Conquest leaves disabled but
 * this server stores as received. The other JPEG processes stay listed but disabled with '#'.
 */
export const CONQUEST_ENABLED_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set([
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.53',
  '1.2.840.10008.1.2.4.55',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.91',
  // Not enabled by Conquest's GUI, which could not decode them; stored as received here (issue 3: every
  // syntax we can store), and decoded by src/codecs.
  '1.2.840.10008.1.2.5',
  '1.2.840.10008.1.2.1.99',
]);

/** The non-storage services of Conquest's list, in its order, with its names (used if the table lacks them). */
const SERVICE_CLASSES: readonly [uid: string, name: string][] = [
  ['1.2.840.10008.5.1.4.1.2.1.1', 'PatientRootQuery'],
  ['1.2.840.10008.5.1.4.1.2.1.2', 'PatientRootRetrieve'],
  ['1.2.840.10008.5.1.4.1.2.1.3', 'PatientRootGet'],
  ['1.2.840.10008.5.1.4.1.2.2.1', 'StudyRootQuery'],
  ['1.2.840.10008.5.1.4.1.2.2.2', 'StudyRootRetrieve'],
  ['1.2.840.10008.5.1.4.1.2.2.3', 'StudyRootGet'],
  ['1.2.840.10008.5.1.4.1.2.3.1', 'PatientStudyOnlyQuery'],
  ['1.2.840.10008.5.1.4.1.2.3.2', 'PatientStudyOnlyRetrieve'],
  ['1.2.840.10008.5.1.4.1.2.3.3', 'PatientStudyOnlyGet'],
  ['1.2.840.10008.5.1.4.31', 'FindModalityWorkList'],
  ['1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.1.2', 'PatientRootRetrieveNKI'],
  ['1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.2.2', 'StudyRootRetrieveNKI'],
  ['1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.3.2', 'PatientStudyOnlyRetrieveNKI'],
  ['1.2.840.10008.5.1.1.9', 'BasicGrayscalePrintManagementMeta'],
  ['1.2.840.10008.5.1.1.18', 'BasicColorPrintManagementMeta'],
  ['1.2.840.10008.5.1.1.1', 'BasicFilmSession'],
  ['1.2.840.10008.5.1.1.2', 'BasicFilmBox'],
  ['1.2.840.10008.5.1.1.4', 'BasicGrayscaleImageBox'],
  ['1.2.840.10008.5.1.1.4.1', 'BasicColorImageBox'],
  ['1.2.840.10008.5.1.1.16', 'BasicPrinter'],
];

const VERIFICATION = '1.2.840.10008.1.1';
/** Storage classes by name only: Media Storage Directory (DICOMDIR) exists on media, never over the network. */
const NOT_NETWORK_STORAGE: ReadonlySet<string> = new Set(['1.2.840.10008.1.3.10']);
const DICOM_ROOT = '1.2.840.10008.';
const NKI_ROOT = '1.2.826.0.1.3680043.2.135.';

function compareUids(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Conquest reads names into a 64-byte buffer: longer PS3.6 keywords are shortened the way its own list does. */
function fitName(name: string): string {
  return name.length <= 63 ? name : `${name.slice(0, 62)}.`;
}

interface DefaultRow {
  name: string;
  uid: string;
  kind: 'sop' | 'transfer';
  enabled: boolean;
  extra: string[];
}

function defaultRows(): DefaultRow[] {
  const manual = conquestSopNames();
  const manualSops = manual.filter((r) => r.kind === 'sop');
  const byUid = new Map<string, (typeof manual)[number]>();
  for (const r of manualSops) if (!byUid.has(r.uid)) byUid.set(r.uid, r);
  const services = new Set(SERVICE_CLASSES.map(([uid]) => uid));

  // Rows of the manual under the DICOM root whose UID the registry does not have: either UIDs the
  // manual misprints (RETIRED_StoredPrintStorage as 1.2.840.10008.5.1.1.1.27 for ...5.1.1.27), whose
  // name is then given to the real UID below, or classes long gone from the standard (kept, as Conquest does).
  const unregistered = new Map<string, (typeof manual)[number]>();
  for (const r of manualSops)
    if (r.uid.startsWith(DICOM_ROOT) && lookupUid(r.uid) === undefined) unregistered.set(r.name, r);

  const storage: DefaultRow[] = [];
  const listed = new Set<string>([VERIFICATION, ...services]);
  for (const u of storageSopClasses()) {
    if (NOT_NETWORK_STORAGE.has(u.uid)) continue;
    let row = byUid.get(u.uid);
    if (!row) {
      const renamed = unregistered.get(`RETIRED_${u.keyword}`) ?? unregistered.get(u.keyword);
      if (renamed) {
        unregistered.delete(renamed.name);
        row = { ...renamed, uid: u.uid };
      }
    }
    storage.push({
      name: fitName(row?.name ?? u.keyword),
      uid: u.uid,
      kind: 'sop',
      enabled: row?.enabled ?? true,
      extra: [],
    });
    listed.add(u.uid);
  }
  for (const r of manualSops) {
    if (listed.has(r.uid) || !r.uid.startsWith(DICOM_ROOT)) continue;
    if (lookupUid(r.uid) === undefined && !unregistered.has(r.name)) continue; // misprinted, renamed above
    storage.push({ name: r.name, uid: r.uid, kind: 'sop', enabled: r.enabled, extra: [] });
    listed.add(r.uid);
  }
  storage.sort((a, b) => compareUids(a.uid, b.uid));

  const vendor: DefaultRow[] = manualSops
    .filter((r) => !r.uid.startsWith(DICOM_ROOT) && !r.uid.startsWith(NKI_ROOT) && !listed.has(r.uid))
    .map((r) => ({ name: r.name, uid: r.uid, kind: 'sop', enabled: r.enabled, extra: [] }));

  const serviceRows: DefaultRow[] = SERVICE_CLASSES.map(([uid, fallback]) => ({
    name: byUid.get(uid)?.name ?? fallback,
    uid,
    kind: 'sop',
    enabled: true,
    extra: [],
  }));

  const native = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);
  const transfers: DefaultRow[] = manual
    .filter((r) => r.kind === 'transfer')
    .map((r) => ({
      name: r.name,
      uid: r.uid,
      kind: 'transfer',
      enabled: CONQUEST_ENABLED_TRANSFER_SYNTAXES.has(r.uid),
      extra: native.has(r.uid) ? [] : ['LittleEndianExplicit'],
    }));

  const verification: DefaultRow = {
    name: byUid.get(VERIFICATION)?.name ?? 'Verification',
    uid: VERIFICATION,
    kind: 'sop',
    enabled: true,
    extra: [],
  };
  return [verification, ...storage, ...vendor, ...serviceRows, ...transfers];
}

/** The text of the default dgatesop.lst (see defaultDgatesopList). */
export function defaultDgatesopText(): string {
  const edition = dictionarySource().dicomEdition ?? 'the dictionary';
  const header = [
    '#',
    '# DICOM Application / sop / transfer UID list.',
    '#',
    '# This list is used by the CheckedPDU_Service ( "filename" ) service',
    '# class.  All incoming associations will be verified against this',
    '# file.',
    '#',
    '# Revision 2: disabled GEMRStorage and GECTStorage',
    '# Revision 3: extended with new sops and with JPEG transfer syntaxes',
    '# Revision 4: added Modality Worklist query',
    '# Revision 5: Erdenay added UIDS for CTImageStorageEnhanced, RawDataStorage,',
    '#             SpatialRegistrationStorage, SpatialFiducialsStorage, DeformableSpatialRegistrationStorage,',
    '#             SegmentationStorage, SurfaceSegmentationStorage, RTIonPlanStorage, RTIonBeamsTreatmentRecordStorage',
    '# Revision 6: X-RayRadiationDoseSR, BreastTomosynthesisImageStorage and others',
    '# Revision 7: JpegLS and BigEndianExplicit enabled',
    '# Revision 8: Added C-GET',
    `# Conquest TS: every storage SOP class of DICOM ${edition}, named as in Conquest 1.5.0c where it lists`,
    '#             the UID and by its PS3.6 keyword otherwise; transfer syntaxes as Conquest enables them',
    '#             with JPEG support, in order of preference. Remove the # of a line to enable it.',
    '#',
    '#None\t\t\t\tnone\t\t\t\tRemoteAE',
    '#None\t\t\t\tnone\t\t\t\tLocalAE',
    '#DICOM\t\t\t\t1.2.840.10008.3.1.1.1\t\tapplication',
  ];
  const body = defaultRows().map((r) =>
    renderEntry({ name: r.name, value: r.uid, kindText: r.kind, extra: r.extra }, !r.enabled),
  );
  return `${[...header, ...body].join('\n')}\n`;
}

/**
 * What a first start writes as dgatesop.lst: Conquest's header, Verification, every storage SOP class of
 * the current standard (retired ones included, as Conquest lists them) in UID order — Conquest's name
 * when its manual lists the UID, else the PS3.6 keyword — then Conquest's vendor classes (GEMRStorage and
 * GECTStorage disabled with '#', as Conquest ships them), query/retrieve FIND/MOVE/GET for the patient
 * root, study root and patient/study only models, modality worklist FIND, NKI's private retrieve classes,
 * the print management classes, and the transfer syntaxes: Implicit VR Little Endian first, then the
 * ones Conquest enables with JPEG support (CONQUEST_ENABLED_TRANSFER_SYNTAXES), the others disabled.
 */
export function defaultDgatesopList(): DgatesopList {
  return DgatesopList.parse(defaultDgatesopText(), 'dgatesop.lst');
}
