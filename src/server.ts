/**
 * The composition root: builds the running server from the configuration in a folder (dicom.ini,
 * acrnema.map, dgatesop.lst — written with Conquest's first-install defaults when missing). Nothing
 * else in the program reads configuration files.
 */
import { type LoadedConfig, loadConfig } from './config/config.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './dicom/implementation.js';
import type { Logger } from './logging/logger.js';
import type { AcceptancePolicy } from './net/acceptance.js';
import { CommandField } from './net/dimse/command.js';
import { DicomServer } from './net/server.js';
import { type StoredObject, storageScp } from './services/storage-scp.js';
import { verificationScp } from './services/verification-scp.js';
import { FileNameSyntaxError, parseFileNameSyntax } from './storage/file-names.js';
import { MemoryObjectLocator, ObjectStore } from './storage/object-store.js';

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
  const store = new ObjectStore({
    devices: server.magDevices,
    fileNameSyntax,
    maxFileNameLength: server.maxFileNameLength,
    fullThresholdMB: server.magDeviceFullThreshHold,
    durable: server.fsyncStoredFiles,
    locator: new MemoryObjectLocator(),
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
  dicom.handle(
    CommandField.C_STORE_RQ,
    storageScp({ store, failureStatus: server.storageFailedErrorCode }, (o: StoredObject) => {
      counters.stored++;
      counters.storedBytes += o.bytes;
    }),
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
    },
  };
}
