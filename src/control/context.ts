/**
 * What every dgate command receives, whether it runs in dgate's own process or inside the running server
 * (sent there over Conquest's server-command channel, `dgate -pPORT -qIP --command:args`).
 */
import type { Archive } from '../archive/archive.js';
import type { LoadedConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';

/** Where a command's output goes: stdout locally, the C-ECHO response's (9999,0401) from the server. */
export interface CommandOutput {
  write(text: string): unknown;
}

/** What the server counts, for --display_status and the web status page. */
export interface ServerCounters {
  associations: number;
  stored: number;
  storedBytes: number;
  /** Objects refused (UID clash, full disk, unreadable). */
  storeFailures: number;
  queries: number;
  retrieved: number;
  echoes: number;
  startedAt: Date;
}

/** Handles on the running server that only commands executed inside it have. */
export interface ServerControl {
  readonly counters: ServerCounters;
  /** Associations open now. */
  activeAssociations(): number;
  /** --quit: stop now (in-flight operations get a short grace). */
  quit(): void;
  /** --safequit: stop once no association is open. */
  safeQuit(): void;
  /** --read_ini / --read_amap: the configuration as the server now uses it, after re-reading. */
  reloadConfig(): LoadedConfig;
  /**
   * After a command changed the in-memory configuration (--put_sop, --put_amap...): applies it to new
   * associations (acceptance policy, destinations).
   */
  configChanged(): void;
  /** --debuglevel. */
  setDebugLevel(level: number): void;
  /** --log_on / --debuglog_on: a file to log to (relative to the working directory), or undefined to stop. */
  setLogFile(kind: 'normal' | 'debug', file: string | undefined): void;
}

export interface CommandContext {
  /** Working directory (-w), where dicom.ini and the other files are. */
  dir: string;
  /** -h: this node's AE title, overriding MyACRNema. */
  aeTitle: string | undefined;
  /** -p: this node's port, overriding TCPPort (for `(local)`). */
  port?: number | undefined;
  stdout: CommandOutput;
  log: Logger;
  /** The configuration: the server's own when running in it, else read from `dir` on first use. */
  config(): LoadedConfig;
  /** The archive: the server's own when running in it, else opened on first use (and closed after). */
  archive(): Promise<Archive>;
  /** Present when the command runs inside the server. */
  server?: ServerControl;
}
