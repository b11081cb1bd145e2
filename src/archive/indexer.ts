/**
 * Indexing on store: every stored object inserts or updates its image, series, study and patient rows in
 * the tables dicom.sql describes, as Conquest 1.5.0c's SaveToDataBase / UpdateOrAddToTable (dbsql.cpp) do:
 *
 * - the rows are written bottom-up (image, series, study, patient), each from the object's header through
 *   the level's tag ↔ column map: every dicom.sql column of the level, the denormalised copies (PatientNam
 *   in DICOMStudies, SeriesPat, ImagePat...) and the link to the level above all take the value of their tag
 *   in the header; multiple values joined with `\`; values cut to the column length (Conquest logs
 *   "Truncated ..."); DT_DATE columns as YYYYMMDD (ACR-NEMA `YYYY.MM.DD` converted);
 * - only non-empty values are written: an insert leaves the other columns NULL, an update leaves them as
 *   they are (so a later object with fewer attributes does not blank a row);
 * - AccessTime is the current time in seconds rounded down to a multiple of 32 (Conquest's CurrentTime());
 *   the image row also gets ObjectFile (the path relative to its MAG device, with this system's separator,
 *   as Conquest writes it) and DeviceName (`MAG0`, `MAG1`...);
 * - a row that exists is updated; a row whose link column already holds another non-empty value (an image
 *   of another series, a series of another study, a study of another patient) is refused — Conquest's
 *   "***Refused to enter inconsistent link" — here a UidClashError, and nothing of that object is written
 *   (Conquest could leave the rows it had already updated; a savepoint per object undoes them here);
 * - the study's modality column (0008,0061) gets the image's Modality (0008,0060) merged in front of the
 *   ones already there (`CT\MR`), unless already listed;
 * - FixImage: unless AllowEmptyPatientID, a missing PatientName becomes `NO NAME`, a missing or empty
 *   PatientID `00000000`, FixPhilips strips two or three leading zeros of a 10-character ID starting with
 *   `00` whose number exceeds 1000000, FixKodak one leading zero of an 8-character ID whose number exceeds
 *   1000000 (lengths counted with DICOM's even padding, as Conquest counts them), a missing Study or Series
 *   Instance UID is taken from (0021,1070) / (0021,1071) or becomes `undefined`;
 * - AllowEmptyPatientID: an object without PatientID takes the one its study already has in the database;
 *   when there is none, no patient row is written; when a study without PatientID later gets one, its
 *   series and image copies (SeriesPat, ImagePat) are filled in too.
 *
 * Writing is a single writer with group commit: `index()` queues the request; the writer takes everything
 * queued (up to `maxBatch`) and writes it in one transaction, one savepoint per object; each caller's
 * promise resolves when that transaction has committed (or rejects with that object's error). An in-memory
 * cache remembers, per patient/study/series key, a hash of the values last written; an upper-level row
 * whose values are the same is not written again (Conquest's UpdateCache, without its AccessTime in the
 * hash: AccessTime of upper rows is refreshed only when their values change). Image rows are never cached.
 * Whoever deletes rows (delete commands, regen) must call `clearCache()`.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve } from 'node:path';
import type { DicomSqlLevelName } from '../db/dicom-sql.js';
import type { DbDriver, DbExecutor, SqlValue } from '../db/driver.js';
import {
  type DicomSchema,
  type IndexedTag,
  type LevelMapping,
  quoteIdentifier,
  type SqlDialect,
} from '../db/schema.js';
import type { Dataset } from '../dicom/dataset.js';
import type { Logger } from '../logging/logger.js';
import { asDeviceFolders, objectFilePath } from '../storage/device-names.js';

const PATIENT_ID = 0x00100020;
const PATIENT_NAME = 0x00100010;
const STUDY_UID = 0x0020000d;
const SERIES_UID = 0x0020000e;
const MODALITY = 0x00080060;
const MODALITIES_IN_STUDY = 0x00080061;

export class IndexError extends Error {
  override name = 'IndexError';
}

/** An object whose image, series or study row is already linked to another series, study or patient. */
export class UidClashError extends IndexError {
  override name = 'UidClashError';
  constructor(
    readonly level: DicomSqlLevelName,
    readonly table: string,
    readonly column: string,
    readonly key: string,
    readonly existing: string,
    readonly refused: string,
    readonly patientId: string,
  ) {
    super(
      `UID clash: refused to enter inconsistent link ${column} into ${table}: PatientID = '${patientId}' ` +
        `${key}, Old='${existing}', Refused='${refused}'`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// FixImage

export interface FixOptions {
  /** dicom.ini FixPhilips. */
  fixPhilips?: boolean;
  /** dicom.ini FixKodak. */
  fixKodak?: boolean;
  /** dicom.ini AllowEmptyPatientID. */
  allowEmptyPatientID?: boolean;
}

/** The identifying values after Conquest's FixImage; a value is set only where it differs from the header. */
export interface FixedIdentity {
  patientId?: string;
  patientName?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  /** What was changed, for the log. */
  changes: string[];
}

function firstString(header: Dataset, tag: number): string {
  try {
    return header.strings(tag).join('\\');
  } catch {
    return '';
  }
}

/** Leading digits as C's atoi reads them. */
function atoi(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m ? Number.parseInt(m[0], 10) : 0;
}

/** Conquest's FixImage (dbsql.cpp), computed without changing the header. */
export function fixIdentity(header: Dataset, options: FixOptions = {}): FixedIdentity {
  const out: FixedIdentity = { changes: [] };
  if (options.allowEmptyPatientID) return out;
  if (!header.has(PATIENT_NAME)) {
    out.patientName = 'NO NAME';
    out.changes.push('added patient name');
  }
  const hasId = header.has(PATIENT_ID);
  const id = firstString(header, PATIENT_ID);
  const padded = id.length + (id.length % 2);
  if (!hasId || id === '') {
    out.patientId = '00000000';
    out.changes.push(hasId ? 'fixed empty patient ID' : 'added patient ID');
  } else if (padded === 10 && options.fixPhilips) {
    if (id[0] === '0' && id[1] === '0' && atoi(id) > 1000000) {
      out.patientId = id[2] === '0' ? id.slice(3) : id.slice(2);
      out.changes.push('fixed Philips patient ID');
    }
  } else if (padded === 8 && options.fixKodak) {
    if (id[0] === '0' && atoi(id) > 1000000) {
      out.patientId = id.slice(1);
      out.changes.push('fixed Kodak patient ID');
    }
  }
  if (!header.has(STUDY_UID)) {
    out.studyInstanceUid = firstString(header, 0x00211070) || 'undefined';
    out.changes.push('added study instance UID');
  }
  if (!header.has(SERIES_UID)) {
    out.seriesInstanceUid = firstString(header, 0x00211071) || 'undefined';
    out.changes.push('added series instance UID');
  }
  return out;
}

/** Applies FixImage to a header in place (for the store pipeline, before the file is written). */
export function fixImage(header: Dataset, options: FixOptions = {}): string[] {
  const f = fixIdentity(header, options);
  if (f.patientName !== undefined) header.setStrings(PATIENT_NAME, f.patientName, 'PN');
  if (f.patientId !== undefined) header.setStrings(PATIENT_ID, f.patientId, 'LO');
  if (f.studyInstanceUid !== undefined) header.setStrings(STUDY_UID, f.studyInstanceUid, 'UI');
  if (f.seriesInstanceUid !== undefined) header.setStrings(SERIES_UID, f.seriesInstanceUid, 'UI');
  return f.changes;
}

// ---------------------------------------------------------------------------------------------
// Rows

/** One level's row as written: columns with non-empty values. */
interface LevelRow {
  readonly mapping: LevelMapping;
  readonly key: string;
  readonly columns: string[];
  readonly values: SqlValue[];
  /** The link value (level above's key), '' when absent. */
  readonly link: string;
  /** Index in columns of the modality column (study only), -1 otherwise. */
  readonly modalityAt: number;
}

/** DT_DATE: Conquest's MakeSafeDate keeps YYYYMMDD; old ACR-NEMA dates YYYY.MM.DD are converted. */
function safeDate(v: string): string {
  return v.replace(/^(\d{4})\.(\d{2})\.(\d{2})/, '$1$2$3').slice(0, 8);
}

function cut(v: string, length: number): string {
  if (v.length <= length) return v;
  const cps = Array.from(v);
  return cps.length <= length ? v : cps.slice(0, length).join('');
}

function valueInSequence(header: Dataset, t: IndexedTag): string {
  let ds: Dataset | undefined = header;
  for (const seq of t.sequence) ds = ds?.sequence(seq)[0];
  return ds ? firstString(ds, t.tag) : '';
}

export interface IndexRequest {
  /** The header of the stored object (read up to Pixel Data). */
  header: Dataset;
  /** Where the file is (absolute, or relative to the working directory); inside one of the MAG devices. */
  path?: string;
  /** Instead of path: the device name (MAG0...) and the file relative to it. */
  deviceName?: string;
  objectFile?: string;
}

export interface IndexResult {
  readonly sopInstanceUid: string;
  readonly patientId: string;
  /** The image row was new (false: an existing row was updated). */
  readonly added: boolean;
  /**
   * The file the image row named before this update, when it was another one (absolute; undefined when the
   * same, or on a device this server does not have). Another server sharing the database stored the same
   * instance at the same moment under its own file name: the caller that stored the new file removes it.
   */
  readonly replacedFile?: string;
  /** Upper-level rows not written because the cache knew them. */
  readonly cached: number;
}

export interface IndexerStats {
  /** Objects indexed (committed). */
  indexed: number;
  /** Objects refused (clash, missing keys). */
  rejected: number;
  /** Transactions committed. */
  transactions: number;
  /** Upper-level upserts skipped thanks to the cache. */
  cacheHits: number;
  /** Upper-level rows written (inserted or updated). */
  upperWrites: number;
  /** Transactions run again after a deadlock or a lost connection. */
  retries: number;
}

export interface IndexerOptions extends FixOptions {
  schema: DicomSchema;
  driver: DbDriver;
  /** MAGDevice0..N folders (resolved), to turn a file path into DeviceName and ObjectFile. */
  devices: readonly string[];
  /** Most objects per transaction (default 500). */
  maxBatch?: number;
  /** Cache of known patient/study/series rows (default true). */
  cache?: boolean;
  /** Most cache entries kept (default 100000; the oldest go first). */
  cacheLimit?: number;
  log?: Logger;
  /** The clock (ms), for tests. */
  now?: () => number;
}

/** An object's identifying values after FixImage, where its file is, and its column values. */
interface ObjectIdentity {
  readonly patientId: string;
  readonly where: { device: string; file: string };
  readonly modality: string;
  readonly value: (t: IndexedTag) => string;
}

interface Pending {
  readonly request: IndexRequest;
  readonly resolve: (r: IndexResult) => void;
  readonly reject: (e: Error) => void;
}

const LEVELS_BOTTOM_UP: readonly ('Image' | 'Series' | 'Study' | 'Patient')[] = [
  'Image',
  'Series',
  'Study',
  'Patient',
];

/** The single writer of the index. */
export class ArchiveIndexer {
  readonly stats: IndexerStats = {
    indexed: 0,
    rejected: 0,
    transactions: 0,
    cacheHits: 0,
    upperWrites: 0,
    retries: 0,
  };
  private readonly queue: Pending[] = [];
  private running = false;
  private closing = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private readonly cache = new Map<string, string>();
  private readonly devices: string[];
  private readonly levels: Record<'Patient' | 'Study' | 'Series' | 'Image', LevelMapping>;
  private readonly q: (name: string) => string;

  constructor(private readonly options: IndexerOptions) {
    const { levels } = options.schema;
    if (!levels.Patient || !levels.Study || !levels.Series || !levels.Image)
      throw new IndexError('dicom.sql must define the Patient, Study, Series and Image levels');
    this.levels = {
      Patient: levels.Patient,
      Study: levels.Study,
      Series: levels.Series,
      Image: levels.Image,
    };
    this.devices = options.devices.map((d) => resolve(d));
    const dialect = options.driver.dialect;
    this.q = (name) => quoteIdentifier(dialect, name);
  }

  /** Queues an object; resolves when the transaction holding its rows has committed. */
  index(request: IndexRequest): Promise<IndexResult> {
    if (this.closing) return Promise.reject(new IndexError('the indexer is closed'));
    return new Promise<IndexResult>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.running) {
        this.running = true;
        this.idle = new Promise<void>((r) => {
          this.markIdle = r;
        });
        // setImmediate, not a microtask: requests from every socket read in this turn join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Waits until everything queued so far is committed. */
  flush(): Promise<void> {
    return this.running ? this.idle : Promise.resolve();
  }

  /** Finishes what is queued and refuses more (the driver stays open: its owner closes it). */
  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
  }

  /** Forgets the known rows (after deletes, regen, or anything else that writes the tables). */
  clearCache(): void {
    this.cache.clear();
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
        await this.writeBatch(batch);
      }
    } finally {
      this.running = false;
      this.markIdle();
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    let outcomes: (IndexResult | Error)[] = [];
    /** Cache entries written in this transaction: applied after commit. */
    let pendingCache = new Map<string, string>();
    const driver = this.options.driver;
    // A savepoint per object lets one refused object (a UID clash) leave the others of its transaction
    // alone. In-process (SQLite) it costs nothing; on a networked database it is two round trips per object
    // — more than the object's own rows. There the batch is written without them, and only when an object
    // is refused is the transaction rolled back and the batch written again with them.
    let savepoints = driver.dialect === 'sqlite';
    for (let attempt = 1; ; attempt++) {
      outcomes = [];
      pendingCache = new Map<string, string>();
      try {
        await driver.transaction(async (tx) => {
          const ids = new Map<Pending, ObjectIdentity>();
          let inserted: Set<Pending> | undefined;
          if (!savepoints && driver.dialect === 'postgres' && !this.options.allowEmptyPatientID) {
            try {
              inserted = await this.insertImageRows(tx, batch, ids);
            } catch (e) {
              if (driver.isRetryable?.(e)) throw e;
              throw new NeedsSavepoints();
            }
          }
          for (const p of batch) {
            const local = new Map<string, string>();
            if (!savepoints) {
              const identity = ids.get(p);
              const known = identity && inserted ? { identity, imageInserted: inserted.has(p) } : undefined;
              try {
                outcomes.push(await this.writeObject(tx, p.request, pendingCache, local, known));
              } catch (e) {
                if (driver.isRetryable?.(e)) throw e;
                throw new NeedsSavepoints();
              }
              for (const [k, v] of local) pendingCache.set(k, v);
              continue;
            }
            await tx.run('SAVEPOINT cqts_obj');
            try {
              const r = await this.writeObject(tx, p.request, pendingCache, local);
              await tx.run('RELEASE SAVEPOINT cqts_obj');
              for (const [k, v] of local) pendingCache.set(k, v);
              outcomes.push(r);
            } catch (e) {
              // A deadlock or a lost connection dooms the whole transaction: run it again (below).
              if (driver.isRetryable?.(e)) throw e;
              await tx.run('ROLLBACK TO SAVEPOINT cqts_obj');
              await tx.run('RELEASE SAVEPOINT cqts_obj');
              outcomes.push(e instanceof Error ? e : new Error(String(e)));
            }
          }
        });
        break;
      } catch (e) {
        if (e instanceof NeedsSavepoints) {
          savepoints = true;
          continue;
        }
        const err = e instanceof Error ? e : new Error(String(e));
        const wait = retryDelayMs(attempt);
        if (driver.isRetryable?.(e) && wait !== undefined) {
          // Another server holds rows this batch needs (deadlock), or the database restarts: the stores
          // wait (their senders see a slower answer, not a failure) for up to RETRY_BUDGET_MS.
          this.stats.retries++;
          this.options.log?.warn(
            `index transaction of ${batch.length} objects: ${err.message}; retrying (attempt ${attempt + 1})`,
          );
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        // The commit itself failed: nothing of the batch is in the database.
        this.options.log?.error(`index transaction of ${batch.length} objects failed: ${err.message}`);
        for (const p of batch) {
          this.stats.rejected++;
          p.reject(err);
        }
        return;
      }
    }
    this.stats.transactions++;
    if (this.options.cache ?? true) {
      const limit = this.options.cacheLimit ?? 100_000;
      for (const [k, v] of pendingCache) {
        this.cache.delete(k);
        this.cache.set(k, v);
      }
      while (this.cache.size > limit) this.cache.delete(this.cache.keys().next().value as string);
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o instanceof Error) {
        this.stats.rejected++;
        this.options.log?.warn(`not indexed: ${o.message}`);
        p.reject(o);
      } else {
        this.stats.indexed++;
        p.resolve(o);
      }
    });
  }

  /** Where a file is: DeviceName and ObjectFile. */
  private location(req: IndexRequest): { device: string; file: string } {
    if (req.objectFile !== undefined) return { device: req.deviceName ?? 'MAG0', file: req.objectFile };
    if (req.path === undefined) throw new IndexError('an index request needs path or objectFile');
    const abs = resolve(req.path);
    for (let i = 0; i < this.devices.length; i++) {
      const rel = relative(this.devices[i]!, abs);
      if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return { device: `MAG${i}`, file: rel };
    }
    throw new IndexError(`${abs} is not on a MAG device`);
  }

  /** DeviceName + ObjectFile → absolute path (MAG folders only, as the locator); undefined elsewhere. */
  private devicePath(device: string, file: string): string | undefined {
    const path = objectFilePath(device, file, asDeviceFolders(this.devices));
    return path === undefined ? undefined : resolve(path);
  }

  private accessTime(): number {
    const s = Math.floor((this.options.now ?? Date.now)() / 1000);
    return s - (s % 32);
  }

  /** What FixImage and the database make of an object's identifying values, and its column values. */
  private async identity(tx: DbExecutor, req: IndexRequest): Promise<ObjectIdentity> {
    const { header } = req;
    const fixed = fixIdentity(header, this.options);
    const overrides = new Map<number, string>();
    if (fixed.patientId !== undefined) overrides.set(PATIENT_ID, fixed.patientId);
    if (fixed.patientName !== undefined) overrides.set(PATIENT_NAME, fixed.patientName);
    if (fixed.studyInstanceUid !== undefined) overrides.set(STUDY_UID, fixed.studyInstanceUid);
    if (fixed.seriesInstanceUid !== undefined) overrides.set(SERIES_UID, fixed.seriesInstanceUid);
    const where = this.location(req);
    const modality = firstString(header, MODALITY).trim();

    let patientId = overrides.get(PATIENT_ID) ?? firstString(header, PATIENT_ID);
    const studyUid = overrides.get(STUDY_UID) ?? firstString(header, STUDY_UID);
    if (patientId === '' && this.options.allowEmptyPatientID && studyUid !== '') {
      const col = this.levels.Study.byTag.get(PATIENT_ID);
      if (col) {
        const row = await tx.get<Record<string, unknown>>(
          `SELECT ${this.q(col.column)} AS v FROM ${this.q(this.levels.Study.table)} WHERE ${this.q(this.levels.Study.key.column)} = ?`,
          [studyUid],
        );
        const found = typeof row?.['v'] === 'string' ? (row['v'] as string) : '';
        if (found) {
          patientId = found;
          this.options.log?.info(`Empty patient ID in object, but database will use: ${found}`);
        }
      }
    }
    if (patientId !== '') overrides.set(PATIENT_ID, patientId);

    const value = (t: IndexedTag): string => {
      const o = overrides.get(t.tag);
      let v = o ?? (t.sequence.length ? valueInSequence(header, t) : firstString(header, t.tag));
      if (t.sqlType === 'SQL_C_DATE') v = safeDate(v);
      if (v.length > t.length) {
        const c = cut(v, t.length);
        if (c !== v)
          this.options.log?.debug(
            `Truncated ${t.column} from ${Array.from(v).length} to ${t.length} chars in file: ${where.file}`,
          );
        v = c;
      }
      return v;
    };
    return { patientId, where, modality, value };
  }

  /** The image row of an object, with its ObjectFile and DeviceName. */
  private imageRow(id: ObjectIdentity): LevelRow {
    const row = this.buildRow(this.levels.Image, id.value, '');
    row.columns.push('ObjectFile', 'DeviceName');
    row.values.push(id.where.file, id.where.device);
    return row;
  }

  /**
   * PostgreSQL, writing a batch without savepoints: the image rows of all its objects in one INSERT … ON
   * CONFLICT DO NOTHING RETURNING — one round trip for the batch instead of one per object (an image row is
   * almost always new). Returns which objects' rows went in; the others (already there, or a second copy of
   * an instance in the same batch) go through the ordinary upsert.
   */
  private async insertImageRows(
    tx: DbExecutor,
    batch: readonly Pending[],
    ids: Map<Pending, ObjectIdentity>,
  ): Promise<Set<Pending>> {
    const rows: { p: Pending; row: LevelRow }[] = [];
    const keys = new Set<string>();
    for (const p of batch) {
      const id = await this.identity(tx, p.request);
      ids.set(p, id);
      const row = this.imageRow(id);
      if (row.key === '' || keys.has(row.key)) continue;
      keys.add(row.key);
      rows.push({ p, row });
    }
    const done = new Set<Pending>();
    if (rows.length === 0) return done;
    const columns = [...new Set(rows.flatMap((r) => r.row.columns)), 'AccessTime'];
    const now = this.accessTime();
    const params: SqlValue[] = [];
    const tuples = rows.map(({ row }) => {
      for (const c of columns) {
        const i = row.columns.indexOf(c);
        params.push(c === 'AccessTime' ? now : i >= 0 ? row.values[i]! : null);
      }
      return `(${columns.map(() => '?').join(', ')})`;
    });
    const image = this.levels.Image;
    const keyCol = this.q(image.key.column);
    const inserted = await tx.all<{ k: string }>(
      `INSERT INTO ${this.q(image.table)} (${columns.map(this.q).join(', ')}) VALUES ${tuples.join(', ')} ` +
        `ON CONFLICT (${keyCol}) DO NOTHING RETURNING ${keyCol} AS k`,
      params,
    );
    const got = new Set(inserted.map((r) => String(r.k)));
    for (const { p, row } of rows) if (got.has(row.key)) done.add(p);
    return done;
  }

  private async writeObject(
    tx: DbExecutor,
    req: IndexRequest,
    pendingCache: Map<string, string>,
    local: Map<string, string>,
    known?: { identity: ObjectIdentity; imageInserted: boolean },
  ): Promise<IndexResult> {
    const { patientId, where, modality, value } = known?.identity ?? (await this.identity(tx, req));
    const sop = value(this.levels.Image.key);
    let added = false;
    let replacedFile: string | undefined;
    let cached = 0;
    const useCache = this.options.cache ?? true;
    for (const name of LEVELS_BOTTOM_UP) {
      const m = this.levels[name];
      const row = this.buildRow(m, value, name === 'Study' ? modality : '');
      if (row.key === '') {
        if (name === 'Patient' && this.options.allowEmptyPatientID) continue;
        throw new IndexError(
          `object ${sop || '(no SOP Instance UID)'} has no ${m.key.column} for ${m.table}`,
        );
      }
      if (name === 'Image') {
        row.columns.push('ObjectFile', 'DeviceName');
        row.values.push(where.file, where.device);
        if (known?.imageInserted) {
          added = true;
          continue;
        }
        const before: { device?: string; file?: string } = {};
        added = await this.upsert(tx, row, patientId, before);
        if (!added && before.file && (before.file !== where.file || before.device !== where.device))
          replacedFile = this.devicePath(before.device ?? '', before.file);
        continue;
      }
      const cacheKey = `${name}\u0000${row.key}`;
      const hash = useCache ? rowHash(row) : '';
      if (
        useCache &&
        (local.get(cacheKey) ?? pendingCache.get(cacheKey) ?? this.cache.get(cacheKey)) === hash
      ) {
        cached++;
        this.stats.cacheHits++;
        continue;
      }
      await this.upsert(tx, row, patientId);
      this.stats.upperWrites++;
      if (useCache) local.set(cacheKey, hash);
    }
    return { sopInstanceUid: sop, patientId, added, cached, ...(replacedFile ? { replacedFile } : {}) };
  }

  private buildRow(m: LevelMapping, value: (t: IndexedTag) => string, modality: string): LevelRow {
    const columns: string[] = [];
    const values: SqlValue[] = [];
    let modalityAt = -1;
    for (const t of m.tags) {
      let v: string;
      if (t.tag === MODALITIES_IN_STUDY && m.level === 'Study') {
        v = cut(modality, t.length);
        if (v !== '') modalityAt = columns.length;
      } else v = value(t);
      if (v === '') continue;
      columns.push(t.column);
      values.push(v);
    }
    return {
      mapping: m,
      key: value(m.key),
      columns,
      values,
      link: m.link ? value(m.link) : '',
      modalityAt,
    };
  }

  /**
   * Insert or update one row; true when inserted.
   *
   * SQLite (one writer at a time, BEGIN IMMEDIATE): read the row, then insert or update — also on tables
   * made without primary keys (InitializeTables mode 1).
   * PostgreSQL and MySQL, where other servers write the same tables at the same time: the insert goes
   * first and does nothing when the key is there (one statement for a new row, the common case); only then
   * is the row read, locked (FOR UPDATE) so that no other server changes it between this read and the
   * update. Two servers inserting the same patient at once: the second one's insert waits for the first's
   * commit, does nothing, and updates. This needs the primary keys dicom.sql's tables are made with.
   */
  private async upsert(
    tx: DbExecutor,
    row: LevelRow,
    patientId: string,
    /** For image rows: filled with the DeviceName and ObjectFile the row had. */
    before?: { device?: string; file?: string },
  ): Promise<boolean> {
    const m = row.mapping;
    const q = this.q;
    const table = q(m.table);
    const keyCol = q(m.key.column);
    const now = this.accessTime();
    const cols = [...row.columns, 'AccessTime'];
    const shared = tx.dialect !== 'sqlite';
    if (shared) {
      const inserted = await tx.run(insertIfAbsent(tx.dialect, table, cols.map(q), keyCol), [
        ...row.values,
        now,
      ]);
      if (inserted.changes > 0) return true;
    }
    const wanted: string[] = [m.key.column];
    if (m.link) wanted.push(m.link.column);
    const modCol = row.modalityAt >= 0 ? row.columns[row.modalityAt]! : undefined;
    if (modCol) wanted.push(modCol);
    const pidCol =
      this.options.allowEmptyPatientID && m.level === 'Study' ? m.byTag.get(PATIENT_ID)?.column : undefined;
    if (pidCol && !wanted.includes(pidCol)) wanted.push(pidCol);
    if (before) wanted.push('ObjectFile', 'DeviceName');
    const existing = await tx.get<Record<string, unknown>>(
      `SELECT ${wanted.map((c, i) => `${q(c)} AS c${i}`).join(', ')} FROM ${table} WHERE ${keyCol} = ?${shared ? ' FOR UPDATE' : ''}`,
      [row.key],
    );
    if (!existing) {
      if (shared)
        throw new IndexError(
          `${m.table}: the row ${m.key.column} = '${row.key}' was neither inserted nor found`,
        );
      await tx.run(
        `INSERT INTO ${table} (${cols.map(q).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
        [...row.values, now],
      );
      return true;
    }
    const old = (c: string): string => {
      const v = existing[`c${wanted.indexOf(c)}`];
      return v === null || v === undefined ? '' : String(v).trimEnd();
    };
    if (before) {
      before.file = old('ObjectFile');
      before.device = old('DeviceName');
    }
    if (m.link && row.link !== '') {
      const was = old(m.link.column);
      if (was !== '' && was.toLowerCase() !== row.link.toLowerCase())
        throw new UidClashError(
          m.level,
          m.table,
          m.link.column,
          `${m.key.column} = '${row.key}'`,
          was,
          row.link,
          patientId,
        );
    }
    const values = [...row.values];
    if (modCol) {
      const was = old(modCol);
      const mod = String(values[row.modalityAt]);
      if (was !== '' && !`\\${was}\\`.includes(`\\${mod}\\`))
        values[row.modalityAt] = cut(`${mod}\\${was}`, m.byColumn.get(modCol.toLowerCase())?.length ?? 64);
      else if (was !== '') values[row.modalityAt] = was;
    }
    await tx.run(
      `UPDATE ${table} SET ${[...row.columns, 'AccessTime'].map((c) => `${q(c)} = ?`).join(', ')} WHERE ${keyCol} = ?`,
      [...values, now, row.key],
    );
    if (pidCol && patientId !== '' && old(pidCol) === '')
      await this.fillPatientCopies(tx, row.key, patientId);
    return false;
  }

  /** AllowEmptyPatientID: a study got its PatientID; fill SeriesPat and ImagePat of what is below. */
  private async fillPatientCopies(tx: DbExecutor, studyUid: string, patientId: string): Promise<void> {
    const q = this.q;
    const series = this.levels.Series;
    const image = this.levels.Image;
    const sPat = series.byTag.get(PATIENT_ID);
    const iPat = image.byTag.get(PATIENT_ID);
    if (!series.link) return;
    if (sPat)
      await tx.run(`UPDATE ${q(series.table)} SET ${q(sPat.column)} = ? WHERE ${q(series.link.column)} = ?`, [
        patientId,
        studyUid,
      ]);
    if (iPat && image.link)
      await tx.run(
        `UPDATE ${q(image.table)} SET ${q(iPat.column)} = ? WHERE ${q(image.link.column)} IN ` +
          `(SELECT ${q(series.key.column)} FROM ${q(series.table)} WHERE ${q(series.link.column)} = ?)`,
        [patientId, studyUid],
      );
  }
}

/**
 * INSERT that does nothing when the key exists, reporting 0 changes then: ON CONFLICT DO NOTHING (SQLite,
 * PostgreSQL); INSERT IGNORE on MySQL (which ignores only the duplicate here: values are already cut to
 * their column lengths).
 */
function insertIfAbsent(dialect: SqlDialect, table: string, columns: string[], keyColumn: string): string {
  const values = `VALUES (${columns.map(() => '?').join(', ')})`;
  if (dialect === 'mysql') return `INSERT IGNORE INTO ${table} (${columns.join(', ')}) ${values}`;
  return `INSERT INTO ${table} (${columns.join(', ')}) ${values} ON CONFLICT (${keyColumn}) DO NOTHING`;
}

/** An object of a batch written without savepoints was refused: write the batch again with them. */
class NeedsSavepoints extends Error {}

/** Backoff before attempt n+1 of a transaction (ms), or undefined once RETRY_BUDGET_MS is spent. */
function retryDelayMs(attempt: number): number | undefined {
  let total = 0;
  for (let i = 1; i < attempt; i++) total += Math.min(2000, 25 * 2 ** i);
  const next = Math.min(2000, 25 * 2 ** attempt);
  if (total + next > RETRY_BUDGET_MS) return undefined;
  return next / 2 + Math.random() * (next / 2);
}

const RETRY_BUDGET_MS = 20_000;

function rowHash(row: LevelRow): string {
  const h = createHash('sha1');
  for (let i = 0; i < row.columns.length; i++) h.update(`${row.columns[i]}\u0000${row.values[i]}\u0001`);
  return h.digest('base64');
}
