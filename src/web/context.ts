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

/** An object the server has just stored and indexed. */
export interface StoredInstance {
  readonly sopInstanceUid: string;
  /** Absolute path of its file. */
  readonly path: string;
}

export interface WebContext {
  readonly archive: Archive;
  config(): LoadedConfig;
  readonly log: Logger;
  /** The server's AE title and DICOM port. */
  readonly aeTitle: string;
  readonly dicomPort: number;
  status(): WebStatus;
  /**
   * Calls `listener` after each object the server stores (C-STORE, drop folders) — for work that should be
   * done before anyone asks (DICOMweb metadata). Returns the unsubscribe function. Absent in tests that
   * build the app without a server.
   */
  onStored?(listener: (o: StoredInstance) => void): () => void;
}
