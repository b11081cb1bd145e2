/**
 * Storage Service Class, SCP role (PS3.4 Annex B): C-STORE requests are written as Part 10 files in the
 * accepted transfer syntax, as received — or, when IncomingCompression (or the called AE's `~xx`) asks
 * for another form, read back and recompressed before they are placed (an object `un` leaves native is
 * never read back). The data set streams from the network to a temporary file while
 * its header is parsed from the first bytes; the file is fsynced and renamed into place before the
 * response, so success means durable.
 */
import { rmSync } from 'node:fs';
import { CodecError } from '../codecs/codec.js';
import type { CompressionMode } from '../codecs/modes.js';
import { Dataset } from '../dicom/dataset.js';
import { DicomParseError } from '../dicom/errors.js';
import { DicomStreamReader } from '../dicom/reader.js';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import { encodeFileHead } from '../dicom/writer.js';
import { Status } from '../net/dimse/status.js';
import type { ServiceRequest } from '../net/server.js';
import {
  type ObjectStore,
  type ObjectWriter,
  type PlacedObject,
  StorageFullError,
} from '../storage/object-store.js';
import { changesObject, recompressWriter } from '../storage/recompress-object.js';

export interface StorageScpOptions {
  store: ObjectStore;
  /** StorageFailedErrorCode (dicom.ini): the failure status for errors that have no more specific one. */
  failureStatus: number;
  /** Told of every refused object (for the server's counters). */
  onRefused?: () => void;
  /**
   * Checked before the file is put in place (an earlier copy may be replaced): throws when the object must be
   * refused, e.g. its SOP Instance UID is already in the index under another patient or series.
   */
  admit?: (header: Dataset) => void | Promise<void>;
  /**
   * IncomingCompression (manual 7.2): the mode objects are stored in, from the called AE's `~xx` override
   * when there is one. Undefined or `as`: stored as received.
   */
  incomingMode?: (override: string | undefined) => CompressionMode | undefined;
}

/** A stored object, as reported to the rest of the server (counters, and the index from the archive issue). */
export interface StoredObject {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  callingAETitle: string;
  bytes: number;
  header: Dataset;
}

const PIXEL_DATA = 0x7fe00010;

export function storageScp(
  options: StorageScpOptions,
  onStored?: (o: StoredObject) => void | Promise<void>,
): (req: ServiceRequest) => Promise<void> {
  return async (req) => {
    const { command, context, dataSet } = req.message;
    const sopClass = command.affectedSopClassUid ?? context.abstractSyntax;
    const sopInstance = command.affectedSopInstanceUid ?? '';
    const fail = async (status: number, why: string): Promise<void> => {
      options.onRefused?.();
      req.log.warn(
        `C-STORE of ${sopInstance} from ${req.association.callingAETitle} refused (0x${status.toString(16).toUpperCase().padStart(4, '0')}): ${why}`,
      );
      await req.respond({ status, errorComment: why.slice(0, 64) });
    };
    if (!dataSet) return fail(Status.CannotUnderstand, 'C-STORE request without a data set');
    const ts = findTransferSyntax(context.transferSyntax);
    const header = new DicomStreamReader({
      stopBeforeTag: PIXEL_DATA,
      transferSyntax: context.transferSyntax,
    });
    let writer: ObjectWriter | undefined;
    try {
      writer = await options.store.begin(
        fileHead(sopClass, sopInstance, context.transferSyntax, req.association.callingAETitle),
      );
      for await (const chunk of dataSet as AsyncIterable<Buffer>) {
        if (!header.done) header.push(chunk);
        await writer.add(chunk);
      }
    } catch (e) {
      writer?.discard();
      if (e instanceof StorageFullError) return fail(Status.OutOfResources, e.message);
      if (req.association.state !== 'Sta6') {
        req.log.warn(`C-STORE of ${sopInstance} interrupted: ${(e as Error).message}; nothing stored`);
        return;
      }
      return fail(options.failureStatus, `cannot write the object: ${(e as Error).message}`);
    }
    let dataset: Dataset;
    try {
      dataset = header.end().dataset;
    } catch (e) {
      writer.discard();
      const why = e instanceof DicomParseError ? e.message : String(e);
      return fail(Status.CannotUnderstand, `data set cannot be read: ${why}`);
    }
    const uid = dataset.string('SOPInstanceUID');
    if (!uid) {
      writer.discard();
      return fail(Status.DataSetDoesNotMatchSopClass, 'data set has no SOP Instance UID (0008,0018)');
    }
    let status: number = Status.Success;
    if (dataset.string('SOPClassUID') !== sopClass) status = Status.DataSetDoesNotMatchSopClassWarning;
    if (uid !== sopInstance)
      req.log.warn(
        `C-STORE: command names instance ${sopInstance} but the data set is ${uid}; stored as ${uid}`,
      );
    try {
      await options.admit?.(dataset);
    } catch (e) {
      writer.discard();
      return fail(options.failureStatus, `not stored: ${(e as Error).message}`);
    }
    let storedTs = context.transferSyntax;
    const mode = options.incomingMode?.(req.compressionOverride);
    if (mode?.kind === 'discard') {
      // vX: a DICOM cache that keeps nothing (manual 7.2): accepted, not stored.
      writer.discard();
      req.log.debug(`C-STORE of ${uid}: not stored (IncomingCompression ${mode.text})`, 1);
      await req.respond({ status });
      return;
    }
    if (mode && changesObject(mode, storedTs)) {
      try {
        storedTs = await recompressWriter(writer, storedTs, mode, (ts) =>
          fileHead(sopClass, uid, ts, req.association.callingAETitle),
        );
      } catch (e) {
        // Pixel data the codecs cannot read (corrupt, or a syntax without a codec) loses nothing: the object
        // is stored as it was received, and the log says why it was not recompressed.
        if (!(e instanceof CodecError)) {
          writer.discard();
          return fail(options.failureStatus, `IncomingCompression ${mode.text}: ${(e as Error).message}`);
        }
        req.log.warn(`C-STORE of ${uid}: stored as received, not ${mode.text}: ${e.message}`);
      }
    }
    let placed: PlacedObject;
    try {
      placed = await writer.commit(dataset, uid, {
        transferSyntaxUid: storedTs,
        callingAE: req.association.callingAETitle,
        calledAE: req.association.calledAETitle,
      });
    } catch (e) {
      writer.discard();
      return fail(options.failureStatus, `cannot store the object: ${(e as Error).message}`);
    }
    const stored: StoredObject = {
      path: placed.path,
      sopClassUid: sopClass,
      sopInstanceUid: uid,
      transferSyntaxUid: storedTs,
      callingAETitle: req.association.callingAETitle,
      bytes: writer.bytesWritten,
      header: dataset,
    };
    try {
      // Success is answered only once the object is in the index (when there is one).
      await onStored?.(stored);
    } catch (e) {
      // A new file whose index entry was refused (e.g. a UID clash) must not stay: no file without its row.
      if (!placed.replaced) rmSync(placed.path, { force: true });
      placed.settle();
      return fail(options.failureStatus, `not stored: ${(e as Error).message}`);
    }
    placed.settle();
    req.log.debug(
      `stored ${placed.path} (${ts?.name ?? context.transferSyntax}, ${writer.bytesWritten} bytes)`,
      1,
    );
    await req.respond({ status });
  };
}

/** Preamble and meta information (PS3.10 7.1) for an object received over the network. */
function fileHead(sopClass: string, sopInstance: string, transferSyntax: string, callingAE: string): Buffer {
  const meta = new Dataset();
  meta.setStrings(0x00020002, sopClass, 'UI');
  meta.setStrings(0x00020003, sopInstance, 'UI');
  if (callingAE) meta.setStrings(0x00020016, callingAE, 'AE');
  return encodeFileHead(meta, new Dataset(), transferSyntax);
}
