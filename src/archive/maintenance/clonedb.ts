/**
 * --clonedb:AE (Conquest's CloneDB in dgate.cpp, "clone db from server for testing"): copies another
 * server's index into this one over DICOM queries — records only, no files. It is how the manual's
 * Appendix 1 benchmark loads 4.375 million image records into a test server.
 *
 * Conquest asks the other server for every patient (Patient Root, PATIENT level), then per patient for
 * every image (Study Root, IMAGE level, with every study, series and image column of dicom.sql asked), and
 * enters each answer with SaveToDataBase under the file name GenerateFileName gives it (FileNameSyntax,
 * called AE = this server, calling AE = the other) on device `MAG0.0` — the virtual-server device name
 * (`MAGn.N`: on MAG n of VirtualServerFor N; CloneDB uses N = 0). Images already in this index are left
 * as they are (GenerateFileName finds them and SaveToDataBase is skipped).
 *
 * Here the walk goes level by level — patients, then each patient's studies, each study's series, each
 * series' images — each level asking the dicom.sql columns of its own table, so that every row gets the
 * values of the answer at its own level (Conquest takes the study and series columns from the image
 * answers, which a Conquest peer fills from the same rows). The header handed to the indexer is the image
 * answer merged with the answers above it (an upper level's value wins where both have one).
 *
 * Memory: the patient list (one small data set per patient) is held, and at any time one patient's
 * studies, one study's series and one series' images — never the whole remote index. Up to `window`
 * index requests are in flight, so that the indexer's group commit writes them in large transactions
 * while the next series is being queried.
 */
import { sep } from 'node:path';
import type { IndexedTag, LevelMapping } from '../../db/schema.js';
import { Dataset, defaultVR } from '../../dicom/dataset.js';
import { DataElement } from '../../dicom/element.js';
import { isStringVR } from '../../dicom/vr.js';
import { formatStatus } from '../../net/dimse/status.js';
import { objectFileName } from '../../storage/file-names.js';
import type { Archive } from '../archive.js';
import {
  every,
  type IndexHandle,
  MaintenanceError,
  type MaintenanceOptions,
  reason,
  requireIndex,
} from './common.js';

export const PATIENT_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';
export const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

/** The device cloned rows name: MAG0 of virtual server 0, as Conquest's CloneDB enters them. */
export const CLONED_DEVICE = 'MAG0.0';

const T = {
  SpecificCharacterSet: 0x00080005,
  QueryRetrieveLevel: 0x00080052,
  RetrieveAETitle: 0x00080054,
  InstanceAvailability: 0x00080056,
  SOPInstanceUID: 0x00080018,
  PatientID: 0x00100020,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
} as const;

/** Elements of an answer that describe the answer, not the object: never copied into the header. */
const NOT_COPIED = new Set<number>([
  T.SpecificCharacterSet,
  T.QueryRetrieveLevel,
  T.RetrieveAETitle,
  T.InstanceAvailability,
]);

/** Where the records come from: C-FIND, each match handed over as it arrives (DicomClient does this). */
export interface FindSource {
  find(sopClassUid: string, identifier: Dataset, onMatch: (response: Dataset) => void): Promise<number>;
}

/** The other server answered a C-FIND with a failure: the clone stops (what was entered stays). */
export class CloneError extends MaintenanceError {}

export interface CloneDbOptions extends MaintenanceOptions {
  /** The other server's AE title: for messages, and `%callingae` in FileNameSyntax. */
  remoteAE: string;
  /** This server's AE title: `%calledae` in FileNameSyntax. */
  ourAE: string;
  /** How often progress is logged (default 2000 ms). */
  progressEveryMs?: number;
  /** Most index requests in flight (default 1000: two of the indexer's 500-object transactions). */
  window?: number;
  /** The clock (ms), for tests. */
  now?: () => number;
}

export interface CloneDbResult {
  patients: number;
  studies: number;
  series: number;
  /** Image answers received. */
  images: number;
  /** Entered through the indexer (new rows, or rows of other images updated). */
  indexed: number;
  /** Already in this index: left as they are. */
  present: number;
  /** Refused by the indexer (UID clash, missing keys) or not nameable. */
  failed: number;
  /** Answers left out: a patient without PatientID, or an answer that does not belong to its parent. */
  skipped: number;
  ms: number;
}

/** The progress and summary line. */
export function cloneSummary(ae: string, r: CloneDbResult, done = true): string {
  const rate = r.ms > 0 ? Math.round(r.indexed / (r.ms / 1000)) : 0;
  return (
    `clonedb from ${ae}${done ? ' done' : ''}: ${r.patients} patients, ${r.studies} studies, ${r.series} series, ` +
    `${r.images} images (${r.indexed} indexed, ${r.present} already here, ${r.failed} failed` +
    `${r.skipped ? `, ${r.skipped} answers skipped` : ''}) in ${(r.ms / 1000).toFixed(1)} s, ${rate} img/s`
  );
}

/** Clones the index of the server behind `source` into this archive's index. */
export async function cloneDb(
  archive: Archive,
  source: FindSource,
  options: CloneDbOptions,
): Promise<CloneDbResult> {
  const ix = requireIndex(archive, '--clonedb');
  return new CloneRun(archive, ix, source, options).run();
}

// ---------------------------------------------------------------------------------------------

type Level = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** At most `max` tasks running; `slot()` waits for room, `idle()` for all to finish. */
class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async slot(): Promise<void> {
    while (this.count >= this.max) await this.wait();
    this.count++;
  }

  done(): void {
    this.count--;
    // Only the walker waits (for a slot, or for the end): waking it to re-check is cheap.
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }

  async idle(): Promise<void> {
    while (this.count > 0) await this.wait();
  }

  private wait(): Promise<void> {
    return new Promise<void>((r) => this.waiters.push(r));
  }
}

class CloneRun {
  private readonly result: CloneDbResult = {
    patients: 0,
    studies: 0,
    series: 0,
    images: 0,
    indexed: 0,
    present: 0,
    failed: 0,
    skipped: 0,
    ms: 0,
  };
  private readonly inFlight: InFlight;
  private readonly now: () => number;
  private readonly started: number;
  private counter = 0;

  constructor(
    private readonly archive: Archive,
    private readonly ix: IndexHandle,
    private readonly source: FindSource,
    private readonly options: CloneDbOptions,
  ) {
    this.inFlight = new InFlight(Math.max(1, options.window ?? 1000));
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  async run(): Promise<CloneDbResult> {
    const { log, remoteAE } = this.options;
    const progress = every(this.options.progressEveryMs ?? 2000, () =>
      log.info(cloneSummary(remoteAE, this.snapshot(), false)),
    );
    try {
      log.info(`clonedb: cloning the index of ${remoteAE} into ${this.ix.file}`);
      // The patient list is the one list held whole: a C-FIND on this association cannot run while
      // another one is still answering.
      const patients = await this.query(PATIENT_ROOT_FIND, 'PATIENT', new Map());
      for (const patient of patients) await this.clonePatient(patient);
    } finally {
      // Whatever happens, the requests already handed over are waited for (and counted).
      await this.inFlight.idle();
      progress.stop();
    }
    const r = this.snapshot();
    log.info(cloneSummary(remoteAE, r));
    return r;
  }

  private snapshot(): CloneDbResult {
    return { ...this.result, ms: this.now() - this.started };
  }

  private async clonePatient(patient: Dataset): Promise<void> {
    const patientId = patient.string(T.PatientID) ?? '';
    if (patientId === '') {
      // An empty PatientID would match every study of the other server.
      this.result.skipped++;
      this.options.log.warn(`clonedb: a patient without PatientID on ${this.options.remoteAE} is left out`);
      return;
    }
    this.result.patients++;
    const studies = await this.query(STUDY_ROOT_FIND, 'STUDY', new Map([[T.PatientID, patientId]]));
    for (const study of studies) {
      if (!this.belongs(study, T.PatientID, patientId)) continue;
      const studyUid = study.string(T.StudyInstanceUID) ?? '';
      if (studyUid === '') {
        this.result.skipped++;
        continue;
      }
      this.result.studies++;
      const series = await this.query(STUDY_ROOT_FIND, 'SERIES', new Map([[T.StudyInstanceUID, studyUid]]));
      for (const s of series) {
        if (!this.belongs(s, T.StudyInstanceUID, studyUid)) continue;
        const seriesUid = s.string(T.SeriesInstanceUID) ?? '';
        if (seriesUid === '') {
          this.result.skipped++;
          continue;
        }
        this.result.series++;
        await this.cloneSeries(mergeAnswers([patient, study, s]), studyUid, seriesUid);
      }
    }
  }

  private async cloneSeries(upper: Dataset, studyUid: string, seriesUid: string): Promise<void> {
    const here = await this.imagesHere(seriesUid);
    const images = await this.query(
      STUDY_ROOT_FIND,
      'IMAGE',
      new Map([
        [T.StudyInstanceUID, studyUid],
        [T.SeriesInstanceUID, seriesUid],
      ]),
    );
    for (const image of images) {
      if (!this.belongs(image, T.SeriesInstanceUID, seriesUid)) continue;
      const sop = image.string(T.SOPInstanceUID) ?? '';
      this.result.images++;
      if (here.has(sop)) {
        this.result.present++;
        continue;
      }
      const header = copyOf(upper);
      mergeInto(header, image);
      await this.enter(header, sop);
    }
  }

  /** Hands one record to the indexer without waiting for its commit (only for room in the window). */
  private async enter(header: Dataset, sop: string): Promise<void> {
    let objectFile: string;
    try {
      objectFile = this.fileName(header);
    } catch (e) {
      this.result.failed++;
      this.options.log.warn(`clonedb: ${sop}: no file name: ${reason(e)}`);
      return;
    }
    await this.inFlight.slot();
    this.ix.indexer.index({ header, objectFile, deviceName: CLONED_DEVICE }).then(
      () => {
        this.result.indexed++;
        this.inFlight.done();
      },
      (e: unknown) => {
        this.result.failed++;
        this.options.log.warn(`clonedb: ${sop} not entered: ${reason(e)}`);
        this.inFlight.done();
      },
    );
  }

  /** ObjectFile as this server would name the object (Conquest's GenerateFileName for cloned records). */
  private fileName(header: Dataset): string {
    const server = this.archive.config.server;
    const name = objectFileName(
      String(server.fileNameSyntax),
      header,
      {
        time: Math.floor(this.now() / 1000),
        counter: this.counter++,
        calledAE: this.options.ourAE,
        callingAE: this.options.remoteAE,
      },
      { maxFileNameLength: server.maxFileNameLength },
    );
    // As the store writes ObjectFile: with this system's separator.
    return name.split('/').join(sep);
  }

  /** SOP Instance UIDs of the series already in this index. */
  private async imagesHere(seriesUid: string): Promise<Set<string>> {
    const image = this.ix.levels.Image;
    if (!image.link) return new Set();
    const q = this.ix.q;
    const rows = await this.ix.driver.all<{ k: unknown }>(
      `SELECT ${q(image.key.column)} AS k FROM ${q(image.table)} WHERE ${q(image.link.column)} = ?`,
      [seriesUid],
    );
    return new Set(rows.map((r) => String(r.k ?? '').trimEnd()));
  }

  /**
   * An answer whose link value is another parent's (a peer that matched more than asked, or a PatientID
   * with wildcard characters) is left out: entered under this parent it would be misfiled.
   */
  private belongs(answer: Dataset, tag: number, parent: string): boolean {
    const v = answer.string(tag) ?? '';
    if (v === '' || v === parent) return true;
    this.result.skipped++;
    return false;
  }

  /** One C-FIND at a level: the level's dicom.sql columns asked, `match` as the matching keys. */
  private async query(
    sopClass: string,
    level: Level,
    match: ReadonlyMap<number, string>,
  ): Promise<Dataset[]> {
    const mapping = this.mappingOf(level);
    const identifier = new Dataset();
    identifier.setStrings(T.QueryRetrieveLevel, level, 'CS');
    for (const t of askedTags(mapping)) {
      if (match.has(t.tag)) continue;
      identifier.set(DataElement.ofBytes(t.tag, defaultVR(t.tag), Buffer.alloc(0)));
    }
    for (const [tag, value] of match) identifier.setStrings(tag, value);
    const answers: Dataset[] = [];
    const status = await this.source.find(sopClass, identifier, (m) => answers.push(m));
    if (status !== 0)
      throw new CloneError(
        `clonedb: ${this.options.remoteAE} answered the ${level} C-FIND with ${formatStatus(status)}`,
      );
    return answers;
  }

  private mappingOf(level: Level): LevelMapping {
    const l = this.ix.levels;
    return level === 'PATIENT'
      ? l.Patient
      : level === 'STUDY'
        ? l.Study
        : level === 'SERIES'
          ? l.Series
          : l.Image;
  }
}

/** The columns a level's query asks for: every dicom.sql column of its table outside sequences. */
function askedTags(mapping: LevelMapping): IndexedTag[] {
  const seen = new Set<number>();
  const out: IndexedTag[] = [];
  for (const t of mapping.tags) {
    if (t.sequence.length > 0 || seen.has(t.tag)) continue;
    seen.add(t.tag);
    out.push(t);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Merging answers

/** A header to build on: UTF-8, so that text from answers in any character set can join it. */
function newHeader(): Dataset {
  const ds = new Dataset();
  ds.setStrings(T.SpecificCharacterSet, 'ISO_IR 192', 'CS');
  return ds;
}

/** The answers merged, upper levels first (their values win). */
export function mergeAnswers(answers: readonly Dataset[]): Dataset {
  const ds = newHeader();
  for (const a of answers) mergeInto(ds, a);
  return ds;
}

/** A shallow copy (the elements are shared: nobody changes them). */
function copyOf(ds: Dataset): Dataset {
  const out = new Dataset();
  for (const el of ds.elements()) out.set(el);
  return out;
}

function hasValue(el: DataElement): boolean {
  const b = el.bytes;
  if (!b || b.length === 0) return false;
  for (const x of b) if (x !== 0x20 && x !== 0x00) return true;
  return false;
}

function asciiOnly(b: Buffer): boolean {
  for (const x of b) if (x >= 0x80 || x === 0x1b) return false;
  return true;
}

/**
 * Copies the answer's elements the header has no value for. Text is copied as it is where its bytes
 * mean the same in UTF-8 (a UTF-8 answer, or plain ASCII), else decoded in the answer's character set and
 * encoded again. Sequences and the answer's own bookkeeping (level, character set, AE) are not copied.
 */
export function mergeInto(header: Dataset, answer: Dataset): void {
  const cs = (answer.string(T.SpecificCharacterSet) ?? '').toUpperCase();
  const utf8 = cs === 'ISO_IR 192';
  for (const el of answer.elements()) {
    if (el.tag <= 0xffff || NOT_COPIED.has(el.tag) || el.items) continue;
    const existing = header.get(el.tag);
    if (existing && (hasValue(existing) || !hasValue(el))) continue;
    if (isStringVR(el.vr) && !utf8 && el.bytes && !asciiOnly(el.bytes))
      header.setStrings(el.tag, answer.strings(el.tag), el.vr);
    else header.set(el);
  }
}
