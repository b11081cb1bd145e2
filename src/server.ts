/**
 * The composition root: builds the running server from the configuration in a folder (dicom.ini,
 * acrnema.map, dgatesop.lst — written with Conquest's first-install defaults when missing). Nothing
 * else in the program reads configuration files.
 */
import { type Archive, openArchive, removeReplaced } from './archive/archive.js';
import { type CompressionMode, parseCompressionMode } from './codecs/modes.js';
import { type LoadedConfig, loadConfig } from './config/config.js';
import { handleServerCommand, operatorConsoleAddresses } from './control/console.js';
import type { CommandContext, CommandOutput, ServerControl, ServerCounters } from './control/context.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './dicom/implementation.js';
import { LineLogger, type Logger } from './logging/logger.js';
import type { AcceptancePolicy } from './net/acceptance.js';
import { CommandField } from './net/dimse/command.js';
import { DicomServer } from './net/server.js';
import { findScp } from './services/find-scp.js';
import { incomingFolders, watchIncoming } from './services/incoming-folder.js';
import { getScp, moveScp } from './services/retrieve-scp.js';
import { type StoredObject, storageScp } from './services/storage-scp.js';
import { verificationScp } from './services/verification-scp.js';
import { deviceFoldersOf } from './storage/device-names.js';
import type { StoredInstance, WebContext } from './web/context.js';
import { type RunningWebServer, startWebServer } from './web/web-server.js';

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
  /** Overrides WebPort (0: no web interface). */
  webPort?: number;
  log: Logger;
  /** What --debuglevel/--log_on change; without it they change nothing but the log's level when it is a LineLogger. */
  logging?: LoggingControl;
}

export type { ServerCounters } from './control/context.js';

/** How dgate's logging is changed from a server command (--debuglevel, --log_on, --debuglog_on). */
export interface LoggingControl {
  setDebugLevel(level: number): void;
  setLogFile(kind: 'normal' | 'debug', file: string | undefined): void;
}

export interface RunningServer {
  /** The configuration as now in use (re-read by --read_ini / --read_amap). */
  readonly config: LoadedConfig;
  aeTitle: string;
  port: number;
  counters: ServerCounters;
  dicom: DicomServer;
  archive: Archive;
  /** Where the web interface listens (undefined: WebPort 0, or the port was taken). */
  webPort: number | undefined;
  /** Stops accepting, lets in-flight stores finish (graceMs), closes. */
  close(graceMs?: number): Promise<void>;
  /** Resolves once a --quit or --safequit has stopped the server. */
  readonly quitRequested: Promise<void>;
}

/**
 * IncomingCompression, and the `SERVER~xx` override of a called AE title (manual 7.2), as parsed modes;
 * a mode that cannot be read stores objects as received, with a warning (once per string).
 */
function incomingModes(
  configured: string,
  lossyQuality: number,
  log: Logger,
): (override: string | undefined) => CompressionMode | undefined {
  const cache = new Map<string, CompressionMode | undefined>();
  return (override) => {
    const text = override ?? configured;
    if (!cache.has(text)) {
      try {
        cache.set(text, parseCompressionMode(text, lossyQuality));
      } catch (e) {
        log.warn(
          `${override ? `called AE ~${override}` : 'IncomingCompression'}: ${(e as Error).message}; storing as received`,
        );
        cache.set(text, undefined);
      }
    }
    return cache.get(text);
  };
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
  let config = loadConfig(options.dir);
  for (const f of config.created) log.info(`wrote first-install default ${f}`);
  for (const w of config.warnings) log.warn(w);
  const server = config.server;
  const aeTitle = options.aeTitle ?? server.myACRNema;
  const port = options.port ?? server.tcpPort;

  const archive = await openArchive(config, { log, owner: true });
  await archive.recover();
  let incoming: { close(): Promise<void> } | undefined;
  let bound = port;
  const { index, indexer, store } = archive;
  const counters: ServerCounters = {
    get associations() {
      return dicom.associationsServed;
    },
    stored: 0,
    storedBytes: 0,
    storeFailures: 0,
    queries: 0,
    retrieved: 0,
    echoes: 0,
    startedAt: new Date(),
  };
  const dicom = new DicomServer({
    policy: acceptancePolicy(config),
    timeouts: { artimMs: ARTIM_MS, idleMs: server.tcpipTimeOut * 1000 },
    maxAssociations: options.singleAssociation ? 1 : server.maxAssociations,
    log,
  });
  let stopping: Promise<void> | undefined;
  let signalQuit: () => void = () => {};
  const quitRequested = new Promise<void>((r) => {
    signalQuit = r;
  });
  let web: RunningWebServer | undefined;
  /** Who wants to hear of each stored object (the web interface's metadata precompute). */
  const storedListeners = new Set<(o: StoredInstance) => void>();
  const close = (graceMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      await web?.close();
      await dicom.close(graceMs);
      await incoming?.close();
      await archive.close();
    })();
    return stopping;
  };
  const control: ServerControl = {
    counters,
    activeAssociations: () => dicom.activeAssociations,
    quit: () => {
      // After the answer to --quit has gone out.
      setTimeout(() => void close(2_000).then(signalQuit), 50);
    },
    safeQuit: () => {
      const poll = setInterval(() => {
        // The --safequit association itself ends first.
        if (dicom.activeAssociations > 0) return;
        clearInterval(poll);
        void close(10_000).then(signalQuit);
      }, 200);
    },
    reloadConfig: () => {
      const next = loadConfig(options.dir);
      for (const w of next.warnings) log.warn(w);
      config = next;
      dicom.setPolicy(acceptancePolicy(next));
      log.info('configuration re-read (dicom.ini, acrnema.map, dgatesop.lst)');
      return next;
    },
    configChanged: () => {
      dicom.setPolicy(acceptancePolicy(config));
    },
    setDebugLevel: (level) => {
      if (options.logging) options.logging.setDebugLevel(level);
      else if (log instanceof LineLogger) log.debugLevel = level;
    },
    setLogFile: (kind, file) => {
      if (!options.logging) throw new Error('this server was started without switchable logging');
      options.logging.setLogFile(kind, file);
    },
  };
  const consoleOptions = {
    allowedAddresses: operatorConsoleAddresses(server.operatorConsole),
    aeTitle,
    context: (out: CommandOutput): CommandContext => ({
      dir: options.dir,
      aeTitle,
      port: bound,
      stdout: out,
      log,
      config: () => config,
      archive: async () => archive,
      server: control,
    }),
  };
  dicom.handle(CommandField.C_ECHO_RQ, async (req) => {
    if (await handleServerCommand(req, consoleOptions)) return;
    counters.echoes++;
    await verificationScp(req);
  });
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
      // Every device kind: rows on MAGn.Archiving, MIRRORn, CACHEn.j.c and JUKEBOXj.c are retrieved too.
      devices: deviceFoldersOf(server),
      aeTitle,
      // Conquest: 1 reads 5 slices ahead, a higher number that many, 0 none.
      readAhead: server.enableReadAheadThread === 1 ? 5 : Math.max(0, server.enableReadAheadThread),
      lossyQuality: server.lossyQuality,
      // `config` is read at each request: --read_amap / --put_amap changes apply at once.
      resolveDestination: (ae: string) => {
        const entry = config.acrNemaMap.resolve(ae);
        return entry ? { host: entry.host, port: entry.port, compression: entry.compression } : undefined;
      },
    };
    const move = moveScp(retrieve);
    const get = getScp(retrieve);
    dicom.handle(CommandField.C_MOVE_RQ, (req) => {
      counters.retrieved++;
      return move(req);
    });
    dicom.handle(CommandField.C_GET_RQ, (req) => {
      counters.retrieved++;
      return get(req);
    });
    const find = findScp({
      schema: index.schema,
      db: index.driver,
      computedFields: server.enableComputedFields,
      sortOrder: (level) => sortKeys[level] || undefined,
      queriesReturnIsoIr: server.queriesReturnISO_IR,
      aeTitle,
    });
    dicom.handle(CommandField.C_FIND_RQ, (req) => {
      counters.queries++;
      return find(req);
    });
  }
  dicom.handle(
    CommandField.C_STORE_RQ,
    storageScp(
      {
        store,
        failureStatus: server.storageFailedErrorCode,
        onRefused: () => {
          counters.storeFailures++;
        },
        ...(archive.admit ? { admit: archive.admit } : {}),
        incomingMode: incomingModes(server.incomingCompression, server.lossyQuality, log),
      },
      async (o: StoredObject) => {
        if (indexer) removeReplaced(await indexer.index({ header: o.header, path: o.path }), o.path, log);
        counters.stored++;
        counters.storedBytes += o.bytes;
        for (const listener of storedListeners) listener({ sopInstanceUid: o.sopInstanceUid, path: o.path });
      },
    ),
  );
  try {
    bound = (await dicom.listen(port, options.host)).port;
  } catch (e) {
    await archive.close();
    throw e;
  }
  // Files dropped in MAG0/incoming and WatchFolder are loaded and deleted: after the crash recovery, and
  // only by a server that did start (one that cannot listen must not take them).
  incoming = watchIncoming(archive, incomingFolders(server.magDevices, server.watchFolder), log);
  web = await startWeb(
    {
      archive,
      config: () => config,
      log,
      aeTitle,
      dicomPort: bound,
      onStored: (listener) => {
        storedListeners.add(listener);
        return () => storedListeners.delete(listener);
      },
      status: () => ({
        startedAt: counters.startedAt,
        associations: counters.associations,
        stored: counters.stored,
        storeFailures: counters.storeFailures,
        queries: counters.queries,
        retrieved: counters.retrieved,
      }),
    },
    options.webPort ?? server.webPort,
    options.host,
    log,
  );
  log.info(
    `${aeTitle} listening on port ${bound} (DICOM)${web ? `, ${web.port} (web)` : ''}; MAG0 = ${server.magDevices[0]}; ${IMPLEMENTATION_VERSION_NAME}`,
  );
  return {
    aeTitle,
    port: bound,
    webPort: web?.port,
    counters,
    dicom,
    archive,
    get config() {
      return config;
    },
    close,
    quitRequested,
  };
}

/**
 * The web interface on WebPort; 0 turns it off. A port already taken (another server on this machine) is
 * a warning, not a failure: the DICOM server runs on without its web interface.
 */
async function startWeb(
  ctx: WebContext,
  port: number,
  host: string | undefined,
  log: Logger,
): Promise<RunningWebServer | undefined> {
  if (!port || port < 0) return undefined;
  try {
    return await startWebServer(ctx, { port, ...(host ? { host } : {}) });
  } catch (e) {
    log.warn(`web interface not started on port ${port}: ${(e as Error).message}`);
    return undefined;
  }
}
