/**
 * Recompressing an object before it is put in place (IncomingCompression for received objects,
 * DroppedFileCompression for dropped and added files; manual 7.2): the temporary file is read back,
 * recompressed (src/codecs/recompress.ts) and rewritten, and the object placed in its new syntax.
 */
import { type CompressionMode, encodeOptionsFor, isJpegFamily } from '../codecs/modes.js';
import { sharedCodecPool } from '../codecs/pool.js';
import { recompress } from '../codecs/recompress.js';
import { parseDicom } from '../dicom/reader.js';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import { writeDatasetParts } from '../dicom/writer.js';
import type { ObjectWriter } from './object-store.js';

/** The syntax a mode transcodes to when that is all it does (no NKI, downsizing or converter). */
function poolTarget(mode: CompressionMode): string | undefined {
  if (mode.kind === 'jpeg') return mode.transferSyntaxUid;
  if (mode.kind === 'uncompressed' || mode.kind === 'uncompressed-unless-jpeg')
    return mode.transferSyntaxUid ?? '1.2.840.10008.1.2.1';
  return undefined;
}

/** Whether a mode changes an object in `ts` (the default `un` leaves native objects alone: no read back). */
export function changesObject(mode: CompressionMode, ts: string): boolean {
  if (mode.kind === 'as-is') return false;
  const syntax = findTransferSyntax(ts);
  const native = syntax !== undefined && !syntax.encapsulated;
  if (mode.kind === 'uncompressed')
    return !native || (mode.transferSyntaxUid !== undefined && mode.transferSyntaxUid !== ts);
  if (mode.kind === 'uncompressed-unless-jpeg') return !native && !isJpegFamily(ts);
  if (mode.kind === 'jpeg') return mode.transferSyntaxUid !== ts;
  return true;
}

/**
 * Reads what the writer holds back, recompresses it and rewrites it with `head(newTs)` (preamble and
 * meta) in front; resolves with the syntax the object is now in.
 */
export async function recompressWriter(
  writer: Pick<ObjectWriter, 'contents' | 'rewrite'>,
  ts: string,
  mode: CompressionMode,
  head: (transferSyntaxUid: string) => Buffer,
): Promise<string> {
  const contents = writer.contents();
  const target = poolTarget(mode);
  if (target) {
    // A plain transcode runs in the codec worker pool: the event loop goes on serving associations.
    const bytes = await sharedCodecPool().transcode(contents, ts, target, encodeOptionsFor(mode));
    writer.rewrite([head(target), bytes]);
    return target;
  }
  const file = parseDicom(contents);
  const result = await recompress(file.dataset, ts, mode);
  if (result.transferSyntaxUid === ts && result.dataset === file.dataset) return ts;
  writer.rewrite([
    head(result.transferSyntaxUid),
    ...writeDatasetParts(result.dataset, result.transferSyntaxUid),
  ]);
  return result.transferSyntaxUid;
}
