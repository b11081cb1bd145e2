/**
 * The composition root: builds the running server from the configuration in a folder (dicom.ini,
 * acrnema.map, dgatesop.lst — written with Conquest's first-install defaults when missing). Nothing
 * else in the program reads configuration files.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IndexObjectLocator } from './archive/db-locator.js';
import { ArchiveIndexer } from './archive/indexer.js';
import { type LoadedConfig, loadConfig } from './config/config.js';
import { DicomSql, defaultDicomSqlText } from './db/dicom-sql.js';
import { quoteIdentifier } from './db/schema.js';
import { type OpenedIndex, openSqliteIndex } from './db/sqlite.js';
import type { Dataset } from './dicom/dataset.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './dicom/implementation.js';
import type { Logger } from './logging/logger.js';
import type { AcceptancePolicy } from './net/acceptance.js';
import { CommandField } from './net/dimse/command.js';
import { DicomServer } from './net/server.js';
import { findScp } from './services/find-scp.js';
import { getScp, moveScp } from './services/retrieve-scp.js';
import { type StoredObject, storageScp } from './services/storage-scp.js';
import { verificationScp } from './services/verification-scp.js';
import { FileNameSyntaxError, parseFileNameSyntax } from './storage/file-names.js';
import { MemoryObjectLocator, type ObjectLocator, ObjectStore } from './storage/object-store.js';

export interface ServerOptions {
  /** The working directory with the configuration files (-w). */
  dir: string;
  /** Overrides TCPPort (-p). */
  port?: number;
  /** Overrides MyACRNema (-h). */
  aeTitle?: string;
  /** Serve one association at a time (-b). */
  singleAssociation?: boolean;
  /** Address to listen on; all interfaces by default. */
  host?: string;
  log: Logger;
}

/** Counters for --display_status and the web status page. */
export interface ServerCounters {
  associations: number;
  stored: number;
  storedBytes: number;
  startedAt: Date;
}

export interface RunningServer {
  config: LoadedConfig;
  aeTitle: string;
  port: number;
  counters: ServerCounters;
  dicom: DicomServer;
  /** Stops accepting, lets in-flight stores finish (graceMs), closes. */
  close(graceMs?: number): Promise<void>;
}

/** ARTIM: how long a peer may take to send its A-ASSOCIATE-RQ, answer a release, or close after one. */
const ARTIM_MS = 30_000;

export function acceptancePolicy(config: LoadedConfig): AcceptancePolicy {
  const list = config.sopList;
  return {
    abstractSyntaxes: new Set(list.abstractSyntaxes().keys()),
    transferSyntaxes: list.transferSyntaxes().map((t) => t.uid),
    applicationContexts: new Set(list.applicationContexts().map((a) => a.uid)),
    localAETitles: list.localAEs(),
    remoteAETitles: list.remoteAEs(),
    maxPduLength: config.server.maxPDULength,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { log } = options;
  const config = loadConfig(options.dir);
  for (const f of config.created) log.info(`wrote first-install default ${f}`);
  for (const w of config.warnings) log.warn(w);
  const server = config.server;
  const aeTitle = options.aeTitle ?? server.myACRNema;
  const port = options.port ?? server.tcpPort;

  const fileNameSyntax = String(server.fileNameSyntax).trim();
  const parsedSyntax = parseFileNameSyntax(fileNameSyntax);
  if (parsedSyntax.kind === 'lua') {
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
  const store = new ObjectStore({
    devices: server.magDevices,
    fileNameSyntax,
    maxFileNameLength: server.maxFileNameLength,
    fullThresholdMB: server.magDeviceFullThreshHold,
    durable: server.fsyncStoredFiles,
    locator,
    log,
  });
  const counters: ServerCounters = { associations: 0, stored: 0, storedBytes: 0, startedAt: new Date() };
  const dicom = new DicomServer({
    policy: acceptancePolicy(config),
    timeouts: { artimMs: ARTIM_MS, idleMs: server.tcpipTimeOut * 1000 },
    maxAssociations: options.singleAssociation ? 1 : server.maxAssociations,
    log,
  });
  dicom.handle(CommandField.C_ECHO_RQ, verificationScp);
  if (index) {
    const sortKeys = {
      PATIENT: server.patientQuerySortOrder,
      STUDY: server.studyQuerySortOrder,
      SERIES: server.seriesQuerySortOrder,
      IMAGE: server.imageQuerySortOrder,
    } as const;
    const retrieve = {
      schema: index.schema,
      db: index.driver,
      devices: server.magDevices,
      aeTitle,
      resolveDestination: (ae: string) => {
        const entry = config.acrNemaMap.resolve(ae);
        return entry ? { host: entry.host, port: entry.port } : undefined;
      },
    };
    dicom.handle(CommandField.C_MOVE_RQ, moveScp(retrieve));
    dicom.handle(CommandField.C_GET_RQ, getScp(retrieve));
    dicom.handle(
      CommandField.C_FIND_RQ,
      findScp({
        schema: index.schema,
        db: index.driver,
        computedFields: server.enableComputedFields,
        sortOrder: (level) => sortKeys[level] || undefined,
        queriesReturnIsoIr: server.queriesReturnISO_IR,
        aeTitle,
      }),
    );
  }
  dicom.handle(
    CommandField.C_STORE_RQ,
    storageScp(
      { store, failureStatus: server.storageFailedErrorCode, ...(index ? { admit: admitter(index) } : {}) },
      async (o: StoredObject) => {
        if (indexer) await indexer.index({ header: o.header, path: o.path });
        counters.stored++;
        counters.storedBytes += o.bytes;
      },
    ),
  );
  const { port: bound } = await dicom.listen(port, options.host);
  log.info(
    `${aeTitle} listening on port ${bound} (DICOM); MAG0 = ${server.magDevices[0]}; ${IMPLEMENTATION_VERSION_NAME}`,
  );
  return {
    config,
    aeTitle,
    port: bound,
    counters,
    dicom,
    close: async (graceMs = 10_000) => {
      await dicom.close(graceMs);
      store.close();
      await indexer?.close();
      await index?.driver.close();
    },
  };
}

/**
 * The index database from dicom.ini and dicom.sql (written with Conquest's first-install layout when
 * missing). SQLite only in this version; with another driver configured the server runs without an index.
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
