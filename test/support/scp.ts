/**
 * A Storage/Verification SCP built directly from the network and storage layers (no configuration files),
 * on 127.0.0.1 and a free port, for tests that drive it with DCMTK or our own SCU.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storageSopClasses } from '../../src/dicom/dictionary/index.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../src/dicom/implementation.js';
import { allTransferSyntaxes } from '../../src/dicom/transfer-syntax.js';
import { LineLogger, type Logger } from '../../src/logging/logger.js';
import type { AcceptancePolicy } from '../../src/net/acceptance.js';
import { CommandField } from '../../src/net/dimse/command.js';
import { DicomServer } from '../../src/net/server.js';
import { type StoredObject, storageScp } from '../../src/services/storage-scp.js';
import { verificationScp } from '../../src/services/verification-scp.js';
import { MemoryObjectLocator, ObjectStore } from '../../src/storage/object-store.js';

export interface TestScp {
  port: number;
  dir: string;
  stored: StoredObject[];
  log: string[];
  server: DicomServer;
  close(): Promise<void>;
}

export function testPolicy(overrides: Partial<AcceptancePolicy> = {}): AcceptancePolicy {
  return {
    abstractSyntaxes: new Set(['1.2.840.10008.1.1', ...storageSopClasses().map((u) => u.uid)]),
    transferSyntaxes: allTransferSyntaxes().map((t) => t.uid),
    applicationContexts: new Set(),
    localAETitles: [],
    remoteAETitles: [],
    maxPduLength: 16384,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    ...overrides,
  };
}

export async function startTestScp(
  options: {
    policy?: Partial<AcceptancePolicy>;
    maxAssociations?: number;
    artimMs?: number;
    idleMs?: number;
    /** fdatasync each object before answering (default true, as the server). */
    durable?: boolean;
  } = {},
): Promise<TestScp> {
  const dir = mkdtempSync(join(tmpdir(), 'cq-scp-'));
  const lines: string[] = [];
  const log: Logger = new LineLogger((l) => lines.push(l), 1);
  const stored: StoredObject[] = [];
  const store = new ObjectStore({
    devices: [dir],
    fileNameSyntax: '4',
    fullThresholdMB: 0,
    durable: options.durable ?? true,
    locator: new MemoryObjectLocator(),
    log,
  });
  const server = new DicomServer({
    policy: testPolicy(options.policy),
    timeouts: { artimMs: options.artimMs ?? 5000, idleMs: options.idleMs ?? 0 },
    maxAssociations: options.maxAssociations ?? 0,
    log,
  });
  server.handle(CommandField.C_ECHO_RQ, verificationScp);
  server.handle(
    CommandField.C_STORE_RQ,
    storageScp({ store, failureStatus: 0x0110 }, (o) => {
      stored.push(o);
    }),
  );
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    port,
    dir,
    stored,
    log: lines,
    server,
    close: async () => {
      await server.close(2000);
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
