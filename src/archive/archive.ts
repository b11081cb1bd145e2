/**
 * The archive as one object: the index database (from dicom.ini and dicom.sql), its single writer, and the
 * MAG devices with the file-naming rules. The server and the dgate commands that run without a server
 * (regen, delete, add a file...) open it the same way, so that both see and write the same archive.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/config.js';
import { DicomSql, defaultDicomSqlText } from '../db/dicom-sql.js';
import { type IndexConnection, type OpenedIndex, openIndexDatabase } from '../db/open-index.js';
import { quoteIdentifier } from '../db/schema.js';
import type { Dataset } from '../dicom/dataset.js';
import { readDicomFile } from '../dicom/reader.js';
import type { Logger } from '../logging/logger.js';
import { FileNameSyntaxError, parseFileNameSyntax } from '../storage/file-names.js';
import { MemoryObjectLocator, type ObjectLocator, ObjectStore } from '../storage/object-store.js';
import { PlacementJournal } from '../storage/placement-journal.js';
import { IndexObjectLocator } from './db-locator.js';
import { ArchiveIndexer, type IndexResult } from './indexer.js';

export interface Archive {
  readonly config: LoadedConfig;
  /**
   * The index: SQLite, PostgreSQL, MySQL/MariaDB, or the NULL driver (which accepts every write and finds
   * nothing). Undefined only for the dBase III driver, which this version does not have.
   */
  readonly index: OpenedIndex | undefined;
  /** The single writer of the index (undefined without an index). */
  readonly indexer: ArchiveIndexer | undefined;
  readonly store: ObjectStore;
  /** MAGDevice0..N folders, resolved. */
  readonly devices: readonly string[];
  /**
   * Rejects, before any file is touched, when an object's SOP Instance UID is already indexed under another
   * patient or series (undefined without an index). Also tells the object store where an earlier copy of
   * the instance is, so that the new one replaces it: callers await it before placing the file.
   */
  readonly admit: ((header: Dataset) => Promise<void>) | undefined;
  /**
   * Re-indexes the files a crash left placed but perhaps not indexed (placement-journal.ts). The owner
   * (server) calls it once at start, before accepting associations; resolves with the number re-indexed.
   */
  recover(): Promise<number>;
  close(): Promise<void>;
}

export interface OpenArchiveOptions {
  log: Logger;
  /**
   * The server owns the archive: it removes what a crash left half-written. A dgate command that opens
   * the archive beside a running server must not (false).
   */
  owner?: boolean;
}

export async function openArchive(config: LoadedConfig, options: OpenArchiveOptions): Promise<Archive> {
  const { log } = options;
  const server = config.server;
  const fileNameSyntax = String(server.fileNameSyntax).trim();
  if (parseFileNameSyntax(fileNameSyntax).kind === 'lua') {
    throw new FileNameSyntaxError(
      `FileNameSyntax ${fileNameSyntax}: lua: file names need the scripting layer, which this version does not have yet`,
    );
  }
  const index = await openIndex(config, log);
  const indexer = index
    ? new ArchiveIndexer({
        schema: index.schema,
        driver: index.driver,
        devices: server.magDevices,
        fixPhilips: server.fixPhilips,
        fixKodak: server.fixKodak,
        allowEmptyPatientID: server.allowEmptyPatientID,
        log,
      })
    : undefined;
  const indexLocator = index
    ? new IndexObjectLocator(index.driver, index.schema, server.magDevices)
    : undefined;
  const locator: ObjectLocator = indexLocator ?? new MemoryObjectLocator();
  // Only with an index is there a row to miss; only the owner may clear what earlier runs left.
  const journal = index ? new PlacementJournal(join(server.magDevices[0] ?? '.', '.journal')) : undefined;
  const store = new ObjectStore({
    devices: server.magDevices,
    fileNameSyntax,
    maxFileNameLength: server.maxFileNameLength,
    fullThresholdMB: server.magDeviceFullThreshHold,
    durable: server.fsyncStoredFiles,
    locator,
    log,
    removeStaleTemporaries: options.owner ?? true,
    ...(journal ? { journal } : {}),
  });
  return {
    config,
    index,
    indexer,
    store,
    devices: server.magDevices,
    admit: index && indexLocator ? admitter(index, indexLocator) : undefined,
    recover: async () => (journal && indexer ? recoverPlaced(journal, indexer, log) : 0),
    close: async () => {
      store.close();
      await indexer?.close();
      await index?.driver.close();
    },
  };
}

/** Re-indexes journalled files, a window at a time so that the indexer batches them. */
async function recoverPlaced(
  journal: PlacementJournal,
  indexer: ArchiveIndexer,
  log: Logger,
): Promise<number> {
  const paths = journal.recoverable();
  let done = 0;
  for (let i = 0; i < paths.length; i += RECOVERY_WINDOW) {
    const window = paths.slice(i, i + RECOVERY_WINDOW);
    const results = await Promise.allSettled(
      window.map(async (path) => {
        const file = await readDicomFile(path, { stopBeforeTag: PIXEL_DATA });
        await indexer.index({ header: file.dataset, path });
      }),
    );
    results.forEach((r, k) => {
      if (r.status === 'fulfilled') done++;
      else log.error(`after a crash: ${window[k]} could not be re-indexed: ${(r.reason as Error).message}`);
    });
  }
  journal.clearRecovered();
  if (paths.length) log.warn(`after a crash: ${done} of ${paths.length} recently stored objects re-indexed`);
  return done;
}

const RECOVERY_WINDOW = 256;
const PIXEL_DATA = 0x7fe00010;

/**
 * The index database from dicom.ini and dicom.sql (written with Conquest's first-install layout when
 * missing), on the driver dicom.ini selects.
 */
async function openIndex(config: LoadedConfig, log: Logger): Promise<OpenedIndex | undefined> {
  const server = config.server;
  if (server.databaseDriver === 'dbase') {
    log.warn(
      'the built-in dBase III driver (SQLite = 0) is not in this version: running without an index database',
    );
    return undefined;
  }
  const sqlPath = join(config.dir, 'dicom.sql');
  if (!existsSync(sqlPath)) {
    writeFileSync(sqlPath, defaultDicomSqlText());
    log.info(`wrote first-install default ${sqlPath}`);
  }
  const index = await openIndexDatabase({
    connection: indexConnection(config, log),
    dicomSql: DicomSql.read(sqlPath),
    schemaOptions: { truncateFieldNames: server.truncateFieldNames, maxFieldLength: server.maxFieldLength },
  });
  if (index.schemaChanged) log.warn(index.schemaChanged.message);
  if (index.kind === 'null')
    log.info('SQLServer is empty: NULL driver (stores are not indexed, queries find nothing)');
  else log.info(`index ${index.file}${index.created ? ' (created)' : ''}`);
  return index;
}

/** dicom.ini's database keys as a connection (dBase excluded by the caller). */
export function indexConnection(config: LoadedConfig, log?: Logger): IndexConnection {
  const s = config.server;
  switch (s.databaseDriver) {
    case 'postgres':
    case 'mysql':
      return {
        kind: s.databaseDriver,
        host: s.sqlHost,
        database: s.sqlServer,
        user: s.username,
        password: s.password,
        onIdleError: (e) => log?.warn(`index database connection lost while idle: ${e.message}`),
      };
    case 'null':
      return { kind: 'null' };
    default: {
      const startup = s.raw('SQLiteStartup');
      return { kind: 'sqlite', file: s.sqlServer, ...(startup ? { startup } : {}) };
    }
  }
}

/**
 * Refuses, before any file is touched, an object whose SOP Instance UID the index already holds under
 * another patient or series (Conquest: "Refused to enter inconsistent link"): replacing the file first would
 * destroy the good copy. New UIDs are checked by the indexer itself, and their file removed if refused.
 * The same read tells the locator where the earlier file is (networked drivers have no synchronous read).
 */
function admitter(index: OpenedIndex, locator: IndexObjectLocator): (header: Dataset) => Promise<void> {
  const image = index.schema.levels.Image!;
  const patientColumn = image.byTag.get(0x00100020)?.column;
  const q = (name: string): string => quoteIdentifier(index.driver.dialect, name);
  const columns = [
    `${q('DeviceName')} AS d`,
    `${q('ObjectFile')} AS f`,
    image.link ? `${q(image.link.column)} AS l` : "'' AS l",
    patientColumn ? `${q(patientColumn)} AS p` : "'' AS p",
  ];
  const sql = `SELECT ${columns.join(', ')} FROM ${q(image.table)} WHERE ${q(image.key.column)} = ?`;
  const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v).trimEnd());
  return async (header) => {
    const uid = header.string('SOPInstanceUID') ?? '';
    const row = await index.driver.get<Record<'d' | 'f' | 'l' | 'p', unknown>>(sql, [uid]);
    if (!row) {
      locator.known(uid, '', '');
      return;
    }
    const clash = (old: string, value: string | undefined): boolean =>
      old !== '' && value !== undefined && value !== '' && old.toLowerCase() !== value.toLowerCase();
    if (
      clash(text(row.l), header.string('SeriesInstanceUID')) ||
      clash(text(row.p), header.string('PatientID'))
    ) {
      throw new Error(
        `UID clash: SOP Instance UID ${uid} is already stored for patient '${text(row.p)}' ` +
          `in series ${text(row.l)}; refused for patient '${header.string('PatientID') ?? ''}'`,
      );
    }
    locator.known(uid, text(row.d), text(row.f));
  };
}

/**
 * After a store: the file another server sharing the database had placed for the same instance (under its
 * own name, at the same moment) is no longer named by the index and goes. Never the file just stored.
 */
export function removeReplaced(result: IndexResult, stored: string, log: Logger): void {
  const old = result.replacedFile;
  if (!old || resolve(old) === resolve(stored)) return;
  try {
    rmSync(old, { force: true });
    log.info(`removed ${old}: the index now names ${stored} for ${result.sopInstanceUid}`);
  } catch (e) {
    log.warn(`could not remove the earlier copy ${old}: ${(e as Error).message}`);
  }
}
