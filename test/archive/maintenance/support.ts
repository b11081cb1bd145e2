/** Shared by the maintenance tests: a temporary archive, the corpus study files, and checks on files vs rows. */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Archive, openArchive } from '../../../src/archive/archive.js';
import { loadConfig } from '../../../src/config/config.js';
import { quoteIdentifier } from '../../../src/db/schema.js';
import { SqliteDriver } from '../../../src/db/sqlite.js';
import { Dataset } from '../../../src/dicom/dataset.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { DicomClient } from '../../../src/net/client.js';
import { CORPUS_DIR } from '../../support/corpus.js';

export const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
export const PATIENT_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';

/** A folder with Conquest's first-install configuration (dicom.ini, dicom.sql...). */
export function tempServerDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  loadConfig(dir);
  return dir;
}

export function openTestArchive(dir: string): Promise<Archive> {
  return openArchive(loadConfig(dir, { writeDefaults: false }), { log: silentLogger });
}

/** The .dcm files of the corpus study folder (or of one of its subfolders), sorted. */
export function studyFiles(sub = ''): string[] {
  const root = join(CORPUS_DIR, 'study', sub);
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => join(root, f));
}

/** Files on the archive's devices (not in dot-folders, not the database). */
export function deviceFiles(archive: Archive): string[] {
  const out: string[] = [];
  const db = archive.index ? resolve(archive.index.file) : '';
  for (const d of archive.devices) {
    if (!existsSync(d)) continue;
    for (const e of readdirSync(d, { recursive: true, withFileTypes: true })) {
      const p = join(e.parentPath, e.name);
      // Not the store's own dot-folders (.incoming, .journal), not the database.
      const rel = p.slice(d.length);
      if (!e.isFile() || rel.split(/[\\/]/).some((s) => s.startsWith('.')) || p.startsWith(db)) continue;
      out.push(resolve(p));
    }
  }
  return out.sort();
}

/** The SQLite driver of a test archive (its synchronous calls keep the checks short). */
export function sqliteOf(archive: Archive): SqliteDriver {
  const driver = archive.index?.driver;
  if (!(driver instanceof SqliteDriver)) throw new Error('this test archive has no SQLite index');
  return driver;
}

/** Every image row's file, resolved. */
export function rowFiles(archive: Archive): string[] {
  const index = archive.index!;
  const image = index.schema.levels.Image!;
  const q = (n: string) => quoteIdentifier('sqlite', n);
  const rows = sqliteOf(archive).allSync<{ d: string; f: string }>(
    `SELECT ${q('DeviceName')} AS d, ${q('ObjectFile')} AS f FROM ${q(image.table)}`,
  );
  return rows.map((r) => resolve(archive.devices[Number(r.d.slice(3))]!, r.f)).sort();
}

export function count(archive: Archive, level: 'Patient' | 'Study' | 'Series' | 'Image'): number {
  const index = archive.index!;
  const table = quoteIdentifier('sqlite', index.schema.levels[level]!.table);
  return Number(sqliteOf(archive).getSync<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)!.n);
}

/** C-FIND at a level (PATIENT in Patient Root, others in Study Root); each answer a `tag=value` line, sorted. */
export async function findAll(port: number, level: string, keys: Record<string, string>): Promise<string[]> {
  const sop = level === 'PATIENT' ? PATIENT_ROOT_FIND : STUDY_ROOT_FIND;
  const client = await DicomClient.connect(
    { host: '127.0.0.1', port, callingAETitle: 'FINDSCU', calledAETitle: 'CONQUESTSRV1' },
    [{ abstractSyntax: sop, transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'] }],
  );
  const ds = new Dataset();
  ds.setStrings('QueryRetrieveLevel', level);
  for (const [k, v] of Object.entries(keys)) ds.setStrings(k, v);
  const answers: string[] = [];
  try {
    const status = await client.find(sop, ds, (r) => {
      const parts = Object.keys(keys)
        .sort()
        .map((k) => `${k}=${r.strings(k).join('\\')}`);
      answers.push(parts.join(' '));
    });
    if (status !== 0) throw new Error(`C-FIND status 0x${status.toString(16)}`);
  } finally {
    await client.release();
  }
  return answers.sort();
}
