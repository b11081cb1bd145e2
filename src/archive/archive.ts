/**
 * The archive as one object: the index database (from dicom.ini and dicom.sql), its single writer, and the
 * MAG devices with the file-naming rules. The server and the dgate commands that run without a server
 * (regen, delete, add a file...) open it the same way, so that both see and write the same archive.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/config.js';
import { DicomSql, defaultDicomSqlText } from '../db/dicom-sql.js';
import { quoteIdentifier } from '../db/schema.js';
import { type OpenedIndex, openSqliteIndex } from '../db/sqlite.js';
import type { Dataset } from '../dicom/dataset.js';
import { readDicomFile } from '../dicom/reader.js';
import type { Logger } from '../logging/logger.js';
import { FileNameSyntaxError, parseFileNameSyntax } from '../storage/file-names.js';
import { MemoryObjectLocator, type ObjectLocator, ObjectStore } from '../storage/object-store.js';
import { PlacementJournal } from '../storage/placement-journal.js';
import { IndexObjectLocator } from './db-locator.js';
import { ArchiveIndexer } from './indexer.js';

export interface Archive {
  readonly config: LoadedConfig;
  /** The index, unless the NULL driver (or a driver this version lacks) is configured. */
  readonly index: OpenedIndex | undefined;
  /** The single writer of the index (undefined without an index). */
  readonly indexer: ArchiveIndexer | undefined;
  readonly store: ObjectStore;
  /** MAGDevice0..N folders, resolved. */
  readonly devices: readonly string[];
  /**
   * Throws, before any file is touched, when an object's SOP Instance UID is already indexed under another
   * patient or series (undefined without an index).
   */
  readonly admit: ((header: Dataset) => void) | undefined;
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

export function openArchive(config: LoadedConfig, options: OpenArchiveOptions): Archive {
  const { log } = options;
  const server = config.server;
  const fileNameSyntax = String(server.fileNameSyntax).trim();
  if (parseFileNameSyntax(fileNameSyntax).kind === 'lua') {
    throw new FileNameSyntaxError(
      `FileNameSyntax ${fileNameSyntax}: lua: file names need the scripting layer, which this version does not have yet`,
    );
  }
  const index = openIndex(config, log);
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
  const locator: ObjectLocator = index
    ? new IndexObjectLocator(index.driver, index.schema, server.magDevices)
    : new MemoryObjectLocator();
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
    admit: index ? admitter(index) : undefined,
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
 * missing). SQLite only in this version; with another driver configured the archive has no index.
 */
function openIndex(config: LoadedConfig, log: Logger): OpenedIndex | undefined {
  const server = config.server;
  if (server.databaseDriver !== 'sqlite') {
    if (server.databaseDriver === 'null')
      log.info('SQLServer is empty: running without an index database (NULL driver)');
    else
      log.warn(
        `the ${server.databaseDriver} driver is not in this version yet: running without an index database`,
      );
    return undefined;
  }
  const sqlPath = join(config.dir, 'dicom.sql');
  if (!existsSync(sqlPath)) {
    writeFileSync(sqlPath, defaultDicomSqlText());
    log.info(`wrote first-install default ${sqlPath}`);
  }
  const startup = server.raw('SQLiteStartup');
  const index = openSqliteIndex({
    file: server.sqlServer,
    dicomSql: DicomSql.read(sqlPath),
    schemaOptions: { truncateFieldNames: server.truncateFieldNames, maxFieldLength: server.maxFieldLength },
    ...(startup ? { startup } : {}),
  });
  if (index.schemaChanged) log.warn(index.schemaChanged.message);
  log.info(`index ${index.file}${index.created ? ' (created)' : ''}`);
  return index;
}

/**
 * Refuses, before any file is touched, an object whose SOP Instance UID the index already holds under
 * another patient or series (Conquest: "Refused to enter inconsistent link"): replacing the file first would
 * destroy the good copy. New UIDs are checked by the indexer itself, and their file removed if refused.
 */
function admitter(index: OpenedIndex): (header: Dataset) => void {
  const image = index.schema.levels.Image!;
  const patientColumn = image.byTag.get(0x00100020)?.column;
  const q = (name: string): string => quoteIdentifier('sqlite', name);
  const columns = [image.link?.column, patientColumn].filter((c): c is string => c !== undefined);
  const sql = `SELECT ${columns.map(q).join(', ')} FROM ${q(image.table)} WHERE ${q(image.key.column)} = ?`;
  return (header) => {
    const uid = header.string('SOPInstanceUID') ?? '';
    const row = index.driver.getSync<Record<string, string | null>>(sql, [uid]);
    if (!row) return;
    const clash = (column: string | undefined, value: string | undefined): boolean => {
      const old = column ? (row[column] ?? '') : '';
      return old !== '' && value !== undefined && value !== '' && old.toLowerCase() !== value.toLowerCase();
    };
    if (
      clash(image.link?.column, header.string('SeriesInstanceUID')) ||
      clash(patientColumn, header.string('PatientID'))
    ) {
      throw new Error(
        `UID clash: SOP Instance UID ${uid} is already stored for patient '${patientColumn ? row[patientColumn] : '?'}' ` +
          `in series ${image.link ? row[image.link.column] : '?'}; refused for patient '${header.string('PatientID') ?? ''}'`,
      );
    }
  };
}
