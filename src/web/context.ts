/**
 * What the web interface gets from the server (the composition root builds it): the archive, the live
 * configuration (acrnema.map and dicom.ini changes made by commands apply at once), the log, the DICOM
 * identity and port (for sends and queries made from the web), and the status counters.
 */
import type { Archive } from '../archive/archive.js';
import type { LoadedConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';

export interface WebStatus {
  readonly startedAt: Date;
  readonly associations: number;
  readonly stored: number;
  readonly storeFailures: number;
  readonly queries: number;
  readonly retrieved: number;
}

export interface WebContext {
  readonly archive: Archive;
  config(): LoadedConfig;
  readonly log: Logger;
  /** The server's AE title and DICOM port. */
  readonly aeTitle: string;
  readonly dicomPort: number;
  status(): WebStatus;
}
