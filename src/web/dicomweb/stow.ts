/**
 * STOW-RS (PS3.18 10.5): POST /studies and /studies/{study}, a multipart/related body of PS3.10 files
 * (type="application/dicom"). Parts are read by the streaming parser (media/multipart.ts) into temporary
 * files, one at a time; each is checked (PS3.10 prefix, the whole data set parses, SOP Class and Instance
 * UIDs, the study of the URL) and stored through the object store and the index as a received object is:
 * admitted (UID clash check), placed by FileNameSyntax, recompressed only if IncomingCompression says so
 * (DroppedFileCompression does not apply), indexed. A part that fails is not stored.
 *
 * The answer (PS3.18 10.5.3, application/dicom+json): ReferencedSOPSequence with each stored instance's
 * Retrieve URL, FailedSOPSequence with a Failure Reason — 0xC000 cannot understand (not DICOM, corrupt),
 * 0xA900 data set does not match (missing UIDs, another study than the URL's), 0xA700 out of resources
 * (storage full), 0x0110 processing failure (anything else); 200 all stored, 202 some failed, 409 none
 * stored, 415 a body that is not multipart/related of application/dicom. The reasons in words are logged
 * and summarised in a Warning header.
 */

import { createReadStream, rmSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { removeReplaced } from '../../archive/archive.js';
import { CodecError } from '../../codecs/codec.js';
import { parseCompressionMode } from '../../codecs/modes.js';
import { Dataset } from '../../dicom/dataset.js';
import { DicomParseError } from '../../dicom/errors.js';
import { datasetToJson, dicomJsonToString } from '../../dicom/json.js';
import { type DicomFile, readDicomFile } from '../../dicom/reader.js';
import { encodeFileHead } from '../../dicom/writer.js';
import { StorageFullError } from '../../storage/object-store.js';
import { changesObject, recompressWriter } from '../../storage/recompress-object.js';
import type { WebContext } from '../context.js';
import { MediaTypeError, parseMediaType } from '../media/media-type.js';
import { MultipartError, readMultipart } from '../media/multipart.js';
import { WebRequestError } from './common.js';
import { serviceRoot } from './qido.js';

export const FAILURE = {
  ProcessingFailure: 0x0110,
  OutOfResources: 0xa700,
  DataSetDoesNotMatch: 0xa900,
  CannotUnderstand: 0xc000,
} as const;

/** Larger parts are validated with their big values left in the file. */
const IN_MEMORY_LIMIT = 64 << 20;
const UID = /^[0-9.]{1,64}$/;

class PartFailure extends Error {
  constructor(
    readonly reason: number,
    message: string,
    readonly sopClass = '',
    readonly sopInstance = '',
  ) {
    super(message);
  }
}

export interface StowResult {
  stored: { sopClass: string; sopInstance: string; study: string; series: string }[];
  failed: { sopClass: string; sopInstance: string; reason: number; message: string }[];
}

/** Checks the request's media type and gives the boundary; 415 / 400 otherwise. */
export function stowBoundary(contentType: string | undefined): string {
  let m: ReturnType<typeof parseMediaType>;
  try {
    m = parseMediaType(contentType ?? '');
  } catch (e) {
    if (e instanceof MediaTypeError)
      throw new WebRequestError(415, 'STOW-RS takes multipart/related; type="application/dicom"');
    throw e;
  }
  if (m.type !== 'multipart/related')
    throw new WebRequestError(415, 'STOW-RS takes multipart/related; type="application/dicom"');
  const type = m.params.get('type')?.toLowerCase();
  if (type !== undefined && type !== 'application/dicom')
    throw new WebRequestError(
      415,
      'this server stores application/dicom parts (PS3.10 files) only, not DICOM JSON or XML with bulk data',
    );
  const boundary = m.params.get('boundary');
  if (!boundary) throw new WebRequestError(400, 'the multipart/related Content-Type has no boundary');
  return boundary;
}

/** Reads and checks one part file: a whole PS3.10 object, of the study of the URL when there is one. */
async function checkPart(path: string, size: number, study: string | undefined): Promise<DicomFile> {
  if (size < 132) throw new PartFailure(FAILURE.CannotUnderstand, 'not a DICOM PS3.10 file (too short)');
  const head = Buffer.alloc(4);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, 4, 128);
  } finally {
    await fh.close();
  }
  if (head.toString('latin1') !== 'DICM')
    throw new PartFailure(FAILURE.CannotUnderstand, 'not a DICOM PS3.10 file (no DICM prefix at byte 128)');
  let file: DicomFile;
  try {
    file = await readDicomFile(path, size > IN_MEMORY_LIMIT ? { bulkDataThreshold: 1 << 20 } : {});
  } catch (e) {
    if (e instanceof DicomParseError)
      throw new PartFailure(FAILURE.CannotUnderstand, `corrupt DICOM: ${e.message}`);
    throw e;
  }
  const ds = file.dataset;
  const sopClass = ds.string('SOPClassUID') ?? '';
  const sopInstance = ds.string('SOPInstanceUID') ?? '';
  if (!UID.test(sopClass) || !UID.test(sopInstance))
    throw new PartFailure(
      FAILURE.DataSetDoesNotMatch,
      'the data set has no valid SOP Class or SOP Instance UID',
      UID.test(sopClass) ? sopClass : '',
      UID.test(sopInstance) ? sopInstance : '',
    );
  const own = ds.string('StudyInstanceUID') ?? '';
  if (!UID.test(own))
    throw new PartFailure(
      FAILURE.DataSetDoesNotMatch,
      'the data set has no valid Study Instance UID',
      sopClass,
      sopInstance,
    );
  if (study && own !== study)
    throw new PartFailure(
      FAILURE.DataSetDoesNotMatch,
      'the instance belongs to another study than the one in the URL',
      sopClass,
      sopInstance,
    );
  if (!ds.string('SeriesInstanceUID'))
    throw new PartFailure(
      FAILURE.DataSetDoesNotMatch,
      'the data set has no Series Instance UID',
      sopClass,
      sopInstance,
    );
  return file;
}

/** Stores one checked part as a received object. Returns false when IncomingCompression discards it. */
async function storePart(ctx: WebContext, path: string, file: DicomFile): Promise<boolean> {
  const archive = ctx.archive;
  const server = ctx.config().server;
  const header = file.dataset;
  const uid = header.string('SOPInstanceUID')!;
  const ts = file.transferSyntax.uid;
  let mode: ReturnType<typeof parseCompressionMode> | undefined;
  try {
    mode = parseCompressionMode(server.incomingCompression, server.lossyQuality);
  } catch (e) {
    ctx.log.warn(`STOW-RS: IncomingCompression: ${(e as Error).message}; storing as received`);
  }
  if (mode?.kind === 'discard') return false;
  await archive.admit?.(header);
  const writer = archive.store.begin(encodeFileHead(file.meta, header, ts));
  let storedTs = ts;
  try {
    for await (const chunk of createReadStream(path, { start: file.datasetOffset, highWaterMark: 1 << 20 }))
      await writer.add(chunk as Buffer);
    if (mode && changesObject(mode, ts)) {
      try {
        storedTs = await recompressWriter(writer, ts, mode, (t) => encodeFileHead(file.meta, header, t));
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        ctx.log.warn(`STOW-RS: ${uid} stored as received, not ${mode.text}: ${e.message}`);
      }
    }
  } catch (e) {
    writer.discard();
    throw e;
  }
  const placed = await writer.commit(header, uid, {
    transferSyntaxUid: storedTs,
    callingAE: 'STOW-RS',
    calledAE: ctx.aeTitle,
  });
  if (archive.indexer) {
    try {
      removeReplaced(await archive.indexer.index({ header, path: placed.path }), placed.path, ctx.log);
    } catch (e) {
      // No file without its row.
      if (!placed.replaced) rmSync(placed.path, { force: true });
      placed.settle();
      throw e;
    }
  }
  placed.settle();
  return true;
}

/** Reads and stores every part of a STOW-RS body. */
export async function storeParts(
  ctx: WebContext,
  body: AsyncIterable<Buffer>,
  boundary: string,
  study: string | undefined,
  onStored: (sopInstance: string) => void = () => {},
): Promise<StowResult> {
  const result: StowResult = { stored: [], failed: [] };
  try {
    for await (const part of readMultipart(body, boundary)) {
      try {
        const type = part.headers.get('content-type');
        if (type !== undefined) {
          let t: string;
          try {
            t = parseMediaType(type).type;
          } catch {
            t = '';
          }
          if (t !== 'application/dicom')
            throw new PartFailure(
              FAILURE.CannotUnderstand,
              `part ${part.index + 1} is not application/dicom`,
            );
        }
        const size = (await stat(part.path)).size;
        const file = await checkPart(part.path, size, study);
        const ds = file.dataset;
        try {
          await storePart(ctx, part.path, file);
        } catch (e) {
          const reason = e instanceof StorageFullError ? FAILURE.OutOfResources : FAILURE.ProcessingFailure;
          throw new PartFailure(
            reason,
            `not stored: ${(e as Error).message}`,
            ds.string('SOPClassUID'),
            ds.string('SOPInstanceUID'),
          );
        }
        const sop = ds.string('SOPInstanceUID')!;
        onStored(sop);
        result.stored.push({
          sopClass: ds.string('SOPClassUID')!,
          sopInstance: sop,
          study: ds.string('StudyInstanceUID')!,
          series: ds.string('SeriesInstanceUID')!,
        });
      } catch (e) {
        if (!(e instanceof PartFailure)) throw e;
        ctx.log.warn(`STOW-RS: part ${part.index + 1} not stored: ${e.message}`);
        result.failed.push({
          sopClass: e.sopClass,
          sopInstance: e.sopInstance,
          reason: e.reason,
          message: `part ${part.index + 1}: ${e.message}`,
        });
      }
    }
  } catch (e) {
    if (e instanceof MultipartError)
      throw new WebRequestError(400, `the body is not valid multipart/related: ${e.message}`);
    throw e;
  }
  return result;
}

/** The PS3.18 10.5.3 response data set. */
export function stowResponse(result: StowResult, root: string, study: string | undefined): Dataset {
  const ds = new Dataset();
  const studies = new Set(result.stored.map((s) => s.study));
  const only = study ?? (studies.size === 1 ? [...studies][0] : undefined);
  if (only) ds.setStrings(0x00081190, `${root}/studies/${only}`, 'UR');
  if (result.failed.length)
    ds.setSequence(
      0x00081198,
      result.failed.map((f) => {
        const item = new Dataset();
        item.setStrings(0x00081150, f.sopClass ? [f.sopClass] : [], 'UI');
        item.setStrings(0x00081155, f.sopInstance ? [f.sopInstance] : [], 'UI');
        item.setNumbers(0x00081197, f.reason, 'US');
        return item;
      }),
    );
  if (result.stored.length)
    ds.setSequence(
      0x00081199,
      result.stored.map((s) => {
        const item = new Dataset();
        item.setStrings(0x00081150, s.sopClass, 'UI');
        item.setStrings(0x00081155, s.sopInstance, 'UI');
        item.setStrings(
          0x00081190,
          `${root}/studies/${s.study}/series/${s.series}/instances/${s.sopInstance}`,
          'UR',
        );
        return item;
      }),
    );
  return ds;
}

export async function stow(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  study: string | undefined,
  onStored?: (sopInstance: string) => void,
): Promise<void> {
  const boundary = stowBoundary(request.headers['content-type']);
  const body = (request.body ?? request.raw) as AsyncIterable<Buffer>;
  const result = await storeParts(ctx, body, boundary, study, onStored);
  if (result.stored.length === 0 && result.failed.length === 0)
    throw new WebRequestError(400, 'the body holds no parts');
  const status = result.failed.length === 0 ? 200 : result.stored.length === 0 ? 409 : 202;
  if (result.failed.length) {
    // Our own words only (no request value): printable ASCII without quotes.
    const first = result.failed[0]!.message.replace(/[^\x20-\x7e]|"/g, ' ').slice(0, 200);
    reply.header(
      'Warning',
      `299 conquest "${result.failed.length} of ${result.failed.length + result.stored.length} not stored; ${first}"`,
    );
  }
  const json = datasetToJson(stowResponse(result, serviceRoot(request), study));
  await reply.code(status).type('application/dicom+json').send(dicomJsonToString(json));
}
