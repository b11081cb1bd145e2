/**
 * Query/Retrieve Service Class, C-MOVE and C-GET SCP (PS3.4 C.4.2, C.4.3). The objects the identifier
 * names are sent as C-STORE sub-operations — to the move destination (resolved through acrnema.map, on a
 * sub-association) or, for C-GET, back over the same association — each in the syntax the destination's
 * compression mode asks for (acrnema.map column; outgoing-syntax.ts), falling back to simpler syntaxes
 * and uncompressed when the receiver does not accept it, transcoded frame by frame (src/codecs). Pending responses carry the counts;
 * the final one lists the failed SOP instances; C-CANCEL stops between sub-operations.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { QueryError } from '../archive/query.js';
import { RETRIEVE_MODELS, type RetrieveItem, selectForRetrieve } from '../archive/retrieve.js';
import { type CompressionMode, parseCompressionMode } from '../codecs/modes.js';
import type { DbExecutor } from '../db/driver.js';
import type { DicomSchema } from '../db/schema.js';
import { Dataset } from '../dicom/dataset.js';
import { parseDicom } from '../dicom/reader.js';
import { writeDataset } from '../dicom/writer.js';
import { readDataSet } from '../net/association.js';
import { DicomClient, describeFile, type StorableFile } from '../net/client.js';
import { Status } from '../net/dimse/status.js';
import type { ServiceRequest } from '../net/server.js';
import type { DeviceFolders } from '../storage/device-names.js';
import { describeBytes, ObjectReadAhead, type ReadObject } from './object-read-ahead.js';
import { storeInMode } from './outgoing-store.js';
import { proposalFor } from './outgoing-syntax.js';

export interface Destination {
  host: string;
  port: number;
  /** The acrnema.map compression column: the mode objects are sent in (default un). */
  compression?: string;
}

export interface RetrieveScpOptions {
  schema: DicomSchema;
  db: DbExecutor;
  /** The MAG folders, or every device folder (rows on MIRROR, CACHE and JUKEBOX devices are then found too). */
  devices: readonly string[] | DeviceFolders;
  /** This server's AE title: the calling AE of C-MOVE sub-associations. */
  aeTitle: string;
  /** acrnema.map lookup for C-MOVE destinations. */
  resolveDestination: (ae: string) => Destination | undefined;
  /** Objects read ahead of the one being sent (EnableReadAheadThread: 0 = none; default 3). */
  readAhead?: number;
  /** dicom.ini LossyQuality, for lossy modes without NN. */
  lossyQuality?: number;
}

const DEFAULT_READ_AHEAD = 3;

interface Counts {
  remaining: number;
  completed: number;
  failed: number;
  warning: number;
  failedUids: string[];
}

/** Runs the sub-operations, answering with pending counts; returns the counts and whether it was cancelled. */
async function subOperations(
  req: ServiceRequest,
  items: readonly RetrieveItem[],
  client: DicomClient,
  origin: { aeTitle: string; messageId: number } | undefined,
  readAhead: number,
  mode: CompressionMode,
): Promise<{ counts: Counts; cancelled: boolean }> {
  const counts: Counts = { remaining: items.length, completed: 0, failed: 0, warning: 0, failedUids: [] };
  const reader = new ObjectReadAhead(
    items.map((i) => i.path),
    readAhead,
  );
  try {
    return await sendAll(req, items, client, origin, reader, counts, mode);
  } finally {
    reader.close();
  }
}

async function sendAll(
  req: ServiceRequest,
  items: readonly RetrieveItem[],
  client: DicomClient,
  origin: { aeTitle: string; messageId: number } | undefined,
  reader: ObjectReadAhead,
  counts: Counts,
  mode: CompressionMode,
): Promise<{ counts: Counts; cancelled: boolean }> {
  for (let i = 0; i < items.length; i++) {
    if (req.cancelled.aborted) return { counts, cancelled: true };
    let status = 0xffff;
    let object: ReadObject | undefined;
    try {
      object = reader.get(i);
      const file = object.file ?? (await describeFile(items[i]!.path));
      // Once the request is out, the next objects are read while the receiver works.
      status = await storeInMode(client, file, object.bytes, mode, origin, () => reader.prefetch(i));
    } catch (e) {
      req.log.warn(`sub-operation for ${items[i]!.sopInstanceUid} failed: ${(e as Error).message}`);
    } finally {
      // Answered (or failed): the receiver has every byte, the buffer may be reused.
      object?.release();
    }
    counts.remaining--;
    if (status === 0) counts.completed++;
    else if ((status & 0xf000) === 0xb000) counts.warning++;
    else {
      counts.failed++;
      counts.failedUids.push(items[i]!.sopInstanceUid);
    }
    if (counts.remaining > 0) await req.respond({ status: Status.Pending, ...countFields(counts) });
  }
  return { counts, cancelled: false };
}

function countFields(c: Counts): {
  numberOfRemainingSuboperations: number;
  numberOfCompletedSuboperations: number;
  numberOfFailedSuboperations: number;
  numberOfWarningSuboperations: number;
} {
  return {
    numberOfRemainingSuboperations: c.remaining,
    numberOfCompletedSuboperations: c.completed,
    numberOfFailedSuboperations: c.failed,
    numberOfWarningSuboperations: c.warning,
  };
}

/** The final response: Success, B000 with the Failed SOP Instance UID List, or Cancel. */
async function finish(
  req: ServiceRequest,
  counts: Counts,
  cancelled: boolean,
  transferSyntax: string,
): Promise<void> {
  const status = cancelled
    ? Status.Cancel
    : counts.failed + counts.warning > 0
      ? Status.SubOperationsCompleteWithFailures
      : Status.Success;
  const fields = { status, ...countFields(counts) };
  if (counts.failedUids.length === 0) {
    // PS3.4 C.4.2.1.4: no Remaining count in a final (non-cancel) response.
    if (!cancelled) delete (fields as Partial<typeof fields>).numberOfRemainingSuboperations;
    await req.respond(fields);
    return;
  }
  const ds = new Dataset();
  ds.setStrings(0x00080058, counts.failedUids, 'UI');
  if (!cancelled) delete (fields as Partial<typeof fields>).numberOfRemainingSuboperations;
  await req.respond(fields, writeDataset(ds, transferSyntax));
}

async function select(req: ServiceRequest, options: RetrieveScpOptions): Promise<RetrieveItem[] | undefined> {
  const { command, context, dataSet } = req.message;
  const model = RETRIEVE_MODELS.get(command.affectedSopClassUid ?? context.abstractSyntax);
  const refuse = async (status: number, why: string): Promise<undefined> => {
    req.log.warn(
      `retrieve from ${req.association.callingAETitle} refused (0x${status.toString(16).toUpperCase()}): ${why}`,
    );
    await req.respond({ status, errorComment: why.slice(0, 64) });
    return undefined;
  };
  if (!dataSet) return refuse(Status.IdentifierDoesNotMatchSopClass, 'request without an identifier');
  const bytes = await readDataSet(dataSet);
  if (!model) return refuse(Status.SopClassNotSupported, 'not a retrieve information model of this server');
  try {
    const identifier = parseDicom(bytes, { transferSyntax: context.transferSyntax }).dataset;
    return await selectForRetrieve(options.schema, options.db, options.devices, model, identifier);
  } catch (e) {
    if (e instanceof QueryError) return refuse(e.status, e.message);
    return refuse(Status.UnableToProcess, (e as Error).message);
  }
}

/**
 * What to propose on the sub-association: each file's SOP class and stored syntax, from its first bytes
 * (synchronous reads of a few KB: thousands of thread-pool trips cost more); a file whose header does not
 * fit is read asynchronously. Unreadable files are left out (their sub-operation fails later).
 */
async function describeAll(items: readonly RetrieveItem[]): Promise<StorableFile[]> {
  const head = Buffer.allocUnsafe(SNIFF_BYTES);
  const out: StorableFile[] = [];
  for (const item of items) {
    try {
      out.push(sniff(item.path, head) ?? (await describeFile(item.path)));
    } catch {
      // reported by the sub-operation
    }
  }
  return out;
}

const SNIFF_BYTES = 16 << 10;

function sniff(path: string, head: Buffer): StorableFile | undefined {
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  try {
    return describeBytes(path, head.subarray(0, n));
  } catch {
    return undefined; // the header goes past SNIFF_BYTES
  }
}

/** The destination's compression mode (acrnema.map column); a column we cannot read sends as stored. */
function modeOf(
  text: string | undefined,
  lossyQuality: number | undefined,
  req: ServiceRequest,
): CompressionMode {
  try {
    return parseCompressionMode(text ?? 'un', lossyQuality);
  } catch (e) {
    req.log.warn(`acrnema.map compression '${text}': ${(e as Error).message}; sending objects as stored`);
    return parseCompressionMode('as');
  }
}

export function moveScp(options: RetrieveScpOptions): (req: ServiceRequest) => Promise<void> {
  return async (req) => {
    const { command, context } = req.message;
    const destinationAE = (command.moveDestination ?? '').trim();
    const destination = options.resolveDestination(destinationAE);
    const items = await select(req, options);
    if (!items) return;
    if (!destination) {
      req.log.warn(`C-MOVE to '${destinationAE}' refused: not in acrnema.map`);
      await req.respond({
        status: Status.MoveDestinationUnknown,
        errorComment: `unknown destination ${destinationAE}`.slice(0, 64),
      });
      return;
    }
    const files = await describeAll(items);
    const mode = modeOf(destination.compression, options.lossyQuality, req);
    req.log.info(
      `C-MOVE of ${items.length} objects to ${destinationAE} (${destination.host}:${destination.port}, ${mode.text || 'as'}) for ${req.association.callingAETitle}`,
    );
    if (items.length === 0) {
      await req.respond({
        status: Status.Success,
        ...countFields({ remaining: 0, completed: 0, failed: 0, warning: 0, failedUids: [] }),
      });
      return;
    }
    let client: DicomClient;
    try {
      client = await DicomClient.connect(
        {
          host: destination.host,
          port: destination.port,
          callingAETitle: options.aeTitle,
          calledAETitle: destinationAE,
          log: req.log,
        },
        proposalFor(
          files.map((f) => ({ sopClassUid: f.sopClassUid, transferSyntaxUid: f.transferSyntax.uid })),
          mode,
        ),
      );
    } catch (e) {
      req.log.warn(`C-MOVE: cannot open an association to ${destinationAE}: ${(e as Error).message}`);
      await req.respond({
        status: Status.OutOfResourcesSubOperations,
        errorComment: 'cannot reach the move destination',
      });
      return;
    }
    try {
      const { counts, cancelled } = await subOperations(
        req,
        items,
        client,
        { aeTitle: req.association.callingAETitle, messageId: command.messageId ?? 0 },
        options.readAhead ?? DEFAULT_READ_AHEAD,
        mode,
      );
      await finish(req, counts, cancelled, context.transferSyntax);
    } finally {
      await client.release().catch(() => client.abort());
    }
  };
}

export function getScp(options: RetrieveScpOptions): (req: ServiceRequest) => Promise<void> {
  return async (req) => {
    const items = await select(req, options);
    if (!items) return;
    req.log.info(`C-GET of ${items.length} objects for ${req.association.callingAETitle}`);
    const client = DicomClient.over(req.association);
    const { counts, cancelled } = await subOperations(
      req,
      items,
      client,
      undefined,
      options.readAhead ?? DEFAULT_READ_AHEAD,
      // The requester chose the contexts: objects go as stored when it accepted that, else converted.
      parseCompressionMode('as'),
    );
    await finish(req, counts, cancelled, req.message.context.transferSyntax);
  };
}
