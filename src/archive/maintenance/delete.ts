/**
 * Deleting from the archive (Conquest's RemoveFromPACS and NewDeleteSopFromDB): the image rows in scope
 * go, then every series, study and patient row left without children, as Conquest does; when a patient
 * row goes, that patient's worklist entries go with it (Conquest does so too). All rows of one call are
 * deleted in one transaction; the files are removed after the commit (unless keepFiles: "from db only"),
 * so that a failed delete never leaves a row without its file. The indexer's cache is cleared: it would
 * otherwise skip writing a patient, study or series row that it believes is still there.
 */
import { rmdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DbExecutor } from '../../db/driver.js';
import type { LevelMapping } from '../../db/schema.js';
import { readDicomFile } from '../../dicom/reader.js';
import type { Archive } from '../archive.js';
import {
  deviceOf,
  type IndexHandle,
  MaintenanceError,
  type MaintenanceOptions,
  requireIndex,
  rowFile,
} from './common.js';

const PATIENT_ID = 0x00100020;
const STUDY_DATE = 0x00080020;

/** What to delete: the most specific UID given decides the level; the others must match too. */
export interface DeleteTarget {
  patientId?: string;
  studyUid?: string;
  seriesUid?: string;
  sopUid?: string;
  /** StudyDate: `YYYYMMDD`, `YYYYMMDD-YYYYMMDD`, `YYYYMMDD-` or `-YYYYMMDD`. */
  studyDate?: string;
  /**
   * Upper rows to check for children even when no image row matched (--deletesopfromdb on an orphaned
   * entry): they go when empty.
   */
  alsoCheck?: { seriesUid?: string; studyUid?: string; patientId?: string };
}

export interface DeleteOptions extends MaintenanceOptions {
  /** Remove the rows only; the files stay (a regen brings them back). */
  keepFiles?: boolean;
}

export interface DeleteResult {
  images: number;
  series: number;
  studies: number;
  patients: number;
  worklist: number;
  /** Files removed. */
  files: number;
  /** Rows whose file was already gone. */
  missingFiles: number;
}

/** "12 images (12 files), 2 series, 1 study, 1 patient". */
export function deleteSummary(r: DeleteResult, keepFiles = false): string {
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  const files = keepFiles ? 'files kept' : n(r.files, 'file', 'files');
  const parts = [
    `${n(r.images, 'image', 'images')} (${files})`,
    n(r.series, 'series', 'series'),
    n(r.studies, 'study', 'studies'),
    n(r.patients, 'patient', 'patients'),
  ];
  if (r.worklist) parts.push(n(r.worklist, 'worklist entry', 'worklist entries'));
  return `deleted ${parts.join(', ')}`;
}

/** A StudyDate argument as [from, to] (inclusive, '' = open); MaintenanceError when malformed. */
export function parseDateRange(text: string): [string, string] {
  const t = text.trim();
  const m = /^(\d{8})?(-)?(\d{8})?$/.exec(t);
  if (!m || t === '' || t === '-' || (m[1] && m[3] && !m[2]))
    throw new MaintenanceError(
      `'${text}' is not a date or range (YYYYMMDD, YYYYMMDD-YYYYMMDD, YYYYMMDD-, -YYYYMMDD)`,
    );
  const from = m[1] ?? '';
  const to = m[2] ? (m[3] ?? '') : from;
  return [from, to];
}

interface ImageRow {
  key: string;
  link: string;
  device: unknown;
  file: unknown;
}

export async function deleteFromArchive(
  archive: Archive,
  target: DeleteTarget,
  options: DeleteOptions,
): Promise<DeleteResult> {
  const ix = requireIndex(archive, 'deleting');
  const range = target.studyDate !== undefined ? parseDateRange(target.studyDate) : undefined;
  if (!target.patientId && !target.studyUid && !target.seriesUid && !target.sopUid && !range)
    throw new MaintenanceError('nothing to delete: give a patient ID, a UID or a date');
  const result: DeleteResult = {
    images: 0,
    series: 0,
    studies: 0,
    patients: 0,
    worklist: 0,
    files: 0,
    missingFiles: 0,
  };
  const files: string[] = [];
  await ix.driver.transaction(async (tx) => {
    const d = new Deleter(ix, tx);
    const images = await d.images(target, range);
    for (const img of images) {
      result.images += await d.deleteRow(ix.levels.Image, img.key);
      const path = rowFile(archive, img.device, img.file);
      if (path) files.push(path);
    }
    const series = new Set([...d.seriesInScope, ...images.map((i) => i.link)]);
    if (target.alsoCheck?.seriesUid) series.add(target.alsoCheck.seriesUid);
    const studies = new Set(d.studiesInScope);
    if (target.alsoCheck?.studyUid) studies.add(target.alsoCheck.studyUid);
    for (const s of series) {
      const up = await d.linkOf(ix.levels.Series, s);
      if (up) studies.add(up);
      result.series += await d.deleteIfEmpty(ix.levels.Series, s, ix.levels.Image);
    }
    const patients = new Set(d.patientsInScope);
    if (target.alsoCheck?.patientId) patients.add(target.alsoCheck.patientId);
    for (const s of studies) {
      const up = await d.linkOf(ix.levels.Study, s);
      if (up) patients.add(up);
      result.studies += await d.deleteIfEmpty(ix.levels.Study, s, ix.levels.Series);
    }
    for (const p of patients) {
      const n = await d.deleteIfEmpty(ix.levels.Patient, p, ix.levels.Study);
      result.patients += n;
      if (n) result.worklist += await d.deleteWorklist(p);
    }
    ix.indexer.clearCache();
  });
  ix.indexer.clearCache();
  if (!options.keepFiles) removeFiles(archive, files, result);
  options.log.info(deleteSummary(result, options.keepFiles));
  return result;
}

/** --deleteimagefile / --deleteimagefromdb: the object a file holds (by its SOP Instance UID). */
export async function deleteImageFile(
  archive: Archive,
  file: string,
  options: DeleteOptions,
): Promise<DeleteResult> {
  const path = resolve(file);
  const header = (await readDicomFile(path, { stopBeforeTag: 0x00080019 })).dataset;
  const sop = header.string('SOPInstanceUID');
  if (!sop) throw new MaintenanceError(`${path} has no SOP Instance UID (0008,0018)`);
  return deleteFromArchive(archive, { sopUid: sop }, options);
}

function removeFiles(archive: Archive, files: readonly string[], result: DeleteResult): void {
  for (const f of files) {
    try {
      rmSync(f);
      result.files++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') result.missingFiles++;
      else throw e;
    }
    removeEmptyParents(archive, f);
  }
}

/** The folders a delete emptied, up to (not including) the device folder. */
function removeEmptyParents(archive: Archive, file: string): void {
  const device = deviceOf(archive, file);
  if (device === undefined) return;
  const root = resolve(archive.devices[device]!);
  for (let dir = dirname(file); dir.startsWith(root) && dir !== root; dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty
    }
  }
}

/** The statements of one delete, inside its transaction; remembers the upper rows in scope. */
class Deleter {
  readonly studiesInScope: string[] = [];
  readonly seriesInScope: string[] = [];
  readonly patientsInScope: string[] = [];
  private readonly q: (n: string) => string;

  constructor(
    private readonly ix: IndexHandle,
    private readonly tx: DbExecutor,
  ) {
    this.q = ix.q;
  }

  /** The image rows in scope (and, on the way, the series/studies/patient in scope). */
  async images(t: DeleteTarget, range: [string, string] | undefined): Promise<ImageRow[]> {
    const { Image, Series } = this.ix.levels;
    if (t.sopUid) {
      const rows = await this.imageRows(`${this.q(Image.key.column)} = ?`, [t.sopUid]);
      return t.patientId || t.seriesUid || t.studyUid ? this.filterImages(rows, t) : rows;
    }
    if (t.seriesUid) {
      const series = await this.keys(Series, `${this.q(Series.key.column)} = ?`, [t.seriesUid]);
      for (const s of series) if (await this.seriesMatches(s.link, t)) this.seriesInScope.push(s.key);
    } else {
      await this.findStudies(t, range);
      for (const st of this.studiesInScope) {
        const series = await this.keys(Series, `${this.q(Series.link!.column)} = ?`, [st]);
        this.seriesInScope.push(...series.map((s) => s.key));
      }
    }
    const out: ImageRow[] = [];
    for (const s of this.seriesInScope)
      out.push(...(await this.imageRows(`${this.q(Image.link!.column)} = ?`, [s])));
    return out;
  }

  private async findStudies(t: DeleteTarget, range: [string, string] | undefined): Promise<void> {
    const { Study } = this.ix.levels;
    const where: string[] = [];
    const params: string[] = [];
    if (t.patientId) {
      where.push(`${this.q(Study.link!.column)} = ?`);
      params.push(t.patientId);
      if (!t.studyUid && !range) this.patientsInScope.push(t.patientId);
    }
    if (t.studyUid) {
      where.push(`${this.q(Study.key.column)} = ?`);
      params.push(t.studyUid);
    }
    if (range) {
      const date = Study.byTag.get(STUDY_DATE);
      if (!date) throw new MaintenanceError(`${Study.table} has no StudyDate column`);
      if (range[0]) {
        where.push(`${this.q(date.column)} >= ?`);
        params.push(range[0]);
      }
      if (range[1]) {
        where.push(`${this.q(date.column)} <= ?`);
        params.push(range[1]);
      }
    }
    const rows = await this.keys(Study, where.join(' AND '), params);
    this.studiesInScope.push(...rows.map((r) => r.key));
  }

  /** A series found by UID belongs to the given study / patient (when given). */
  private async seriesMatches(studyUid: string, t: DeleteTarget): Promise<boolean> {
    if (t.studyUid && studyUid.toLowerCase() !== t.studyUid.toLowerCase()) return false;
    if (!t.patientId) return true;
    return (await this.linkOf(this.ix.levels.Study, studyUid)) === t.patientId;
  }

  private async filterImages(rows: ImageRow[], t: DeleteTarget): Promise<ImageRow[]> {
    const out: ImageRow[] = [];
    for (const r of rows) {
      if (t.seriesUid && r.link !== t.seriesUid) continue;
      if (t.patientId || t.studyUid) {
        const study = await this.linkOf(this.ix.levels.Series, r.link);
        if (t.studyUid && study !== t.studyUid) continue;
        if (t.patientId && !(await this.imageOfPatient(r.key, study, t.patientId))) continue;
      }
      out.push(r);
    }
    return out;
  }

  /** Through the study's link, or the image's own PatientID copy (ImagePat) when its series is orphaned. */
  private async imageOfPatient(sop: string, study: string | undefined, patientId: string): Promise<boolean> {
    if (study && (await this.linkOf(this.ix.levels.Study, study)) === patientId) return true;
    const { Image } = this.ix.levels;
    const pat = Image.byTag.get(PATIENT_ID);
    if (!pat) return false;
    const row = await this.tx.get<Record<string, unknown>>(
      `SELECT ${this.q(pat.column)} AS p FROM ${this.q(Image.table)} WHERE ${this.q(Image.key.column)} = ?`,
      [sop],
    );
    return row?.['p'] === patientId;
  }

  private async imageRows(where: string, params: string[]): Promise<ImageRow[]> {
    const { Image } = this.ix.levels;
    const q = this.q;
    const rows = await this.tx.all<Record<string, unknown>>(
      `SELECT ${q(Image.key.column)} AS k, ${q(Image.link!.column)} AS l, ${q('DeviceName')} AS d, ${q('ObjectFile')} AS f ` +
        `FROM ${q(Image.table)} WHERE ${where}`,
      params,
    );
    return rows.map((r) => ({
      key: String(r['k']),
      link: String(r['l'] ?? ''),
      device: r['d'],
      file: r['f'],
    }));
  }

  private async keys(
    m: LevelMapping,
    where: string,
    params: string[],
  ): Promise<{ key: string; link: string }[]> {
    const q = this.q;
    const link = m.link ? `, ${q(m.link.column)} AS l` : '';
    const rows = await this.tx.all<Record<string, unknown>>(
      `SELECT ${q(m.key.column)} AS k${link} FROM ${q(m.table)}${where ? ` WHERE ${where}` : ''}`,
      params,
    );
    return rows.map((r) => ({ key: String(r['k']), link: String(r['l'] ?? '') }));
  }

  /** The level-above key a row links to (undefined when the row or its link is missing). */
  async linkOf(m: LevelMapping, key: string): Promise<string | undefined> {
    if (!m.link) return undefined;
    const row = await this.tx.get<Record<string, unknown>>(
      `SELECT ${this.q(m.link.column)} AS l FROM ${this.q(m.table)} WHERE ${this.q(m.key.column)} = ?`,
      [key],
    );
    const v = row?.['l'];
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  async deleteRow(m: LevelMapping, key: string): Promise<number> {
    const r = await this.tx.run(`DELETE FROM ${this.q(m.table)} WHERE ${this.q(m.key.column)} = ?`, [key]);
    return r.changes;
  }

  /** Deletes the row when no row of the level below links to it. */
  async deleteIfEmpty(m: LevelMapping, key: string, below: LevelMapping): Promise<number> {
    const child = await this.tx.get(
      `SELECT 1 AS x FROM ${this.q(below.table)} WHERE ${this.q(below.link!.column)} = ? LIMIT 1`,
      [key],
    );
    return child ? 0 : this.deleteRow(m, key);
  }

  async deleteWorklist(patientId: string): Promise<number> {
    const wl = this.ix.schema.levels.WorkList;
    const col = wl?.byTag.get(PATIENT_ID);
    if (!wl || !col) return 0;
    const r = await this.tx.run(`DELETE FROM ${this.q(wl.table)} WHERE ${this.q(col.column)} = ?`, [
      patientId,
    ]);
    return r.changes;
  }
}
