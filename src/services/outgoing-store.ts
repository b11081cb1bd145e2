/**
 * Sending one stored object with C-STORE in a compression mode (C-MOVE/C-GET sub-operations,
 * `dgate --forward`): the syntax is chosen among what the receiver accepted (outgoing-syntax.ts), and the
 * object transcoded when that is not the stored one.
 */
import { readFileSync } from 'node:fs';
import { CodecError } from '../codecs/codec.js';
import { type CompressionMode, encodeOptionsFor, parseCompressionMode } from '../codecs/modes.js';
import { NKI_PIXEL_TAG } from '../codecs/nki.js';
import { sharedCodecPool } from '../codecs/pool.js';
import { recompress } from '../codecs/recompress.js';
import { transcodeDataset } from '../codecs/transcode.js';
import { parseDicom, readDicomFile } from '../dicom/reader.js';
import { writeDataset } from '../dicom/writer.js';
import type { DicomClient, StorableFile } from '../net/client.js';
import { sendOrder } from './outgoing-syntax.js';

/**
 * One C-STORE sub-operation: in the best syntax the receiver accepted for it under the mode (sendOrder):
 * as stored when that is it, else transcoded (decoded and re-encoded frame by frame); a syntax the codecs
 * cannot produce for this object passes to the next. `bytes` is the whole file when it was read ahead;
 * else an object sent as stored streams from disk. Resolves with the response status.
 */
export async function storeInMode(
  client: DicomClient,
  file: StorableFile,
  bytes: Buffer | undefined,
  mode: CompressionMode,
  origin?: { aeTitle: string; messageId: number },
  onSent?: () => void,
): Promise<number> {
  const stored = file.transferSyntax.uid;
  const accepted = [...client.association.contexts.values()]
    .filter((c) => c.abstractSyntax === file.sopClassUid)
    .map((c) => c.transferSyntax);
  const order = sendOrder(stored, accepted, mode);
  if (order.length === 0)
    throw new Error(`the receiver accepted no presentation context for ${file.sopClassUid}`);
  let lastError: Error | undefined;
  // NKI-compressed pixels (7FDF,0010) only NKI clients read: every mode but as/is sends them decompressed.
  const nki = mode.kind !== 'as-is' && (await hasNkiPixels(file, bytes));
  for (const ts of order) {
    if (ts === stored && mode.kind !== 'downsize' && !nki) {
      if (!bytes) return client.storeFile(file, origin);
      const rsp = await client.store(
        file.sopClassUid,
        file.sopInstanceUid,
        ts,
        bytes.subarray(file.datasetOffset),
        origin,
        onSent,
      );
      return rsp.command.status ?? 0xffff;
    }
    let encoded: Buffer;
    try {
      encoded = await convertFor(bytes ?? readFileSync(file.path), stored, ts, mode, nki);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      lastError = e;
      continue;
    }
    const rsp = await client.store(file.sopClassUid, file.sopInstanceUid, ts, encoded, origin, onSent);
    return rsp.command.status ?? 0xffff;
  }
  throw lastError ?? new Error(`no accepted syntax for ${file.sopClassUid}`);
}

/** The object's data set in `ts` (downsized first under k1..kc). */
async function convertFor(
  fileBytes: Buffer,
  stored: string,
  ts: string,
  mode: CompressionMode,
  nki: boolean,
): Promise<Buffer> {
  const options = encodeOptionsFor(mode);
  if (mode.kind !== 'downsize' && !nki) {
    // In the codec worker pool: the event loop goes on serving other associations meanwhile.
    return sharedCodecPool().transcode(fileBytes, stored, ts, { ...options, keepInput: true });
  }
  // Downsizing, or NKI pixels to bring back into (7FE0,0010) first: here, through recompress.
  const first = await recompress(
    parseDicom(fileBytes).dataset,
    stored,
    mode.kind === 'downsize' ? mode : UNCOMPRESSED,
  );
  const out = await transcodeDataset(first.dataset, first.transferSyntaxUid, ts, options);
  return writeDataset(out, ts);
}

const UNCOMPRESSED = parseCompressionMode('un');

/** Whether the object holds NKI-compressed pixels (read from the bytes in hand, else its header). */
async function hasNkiPixels(file: StorableFile, bytes: Buffer | undefined): Promise<boolean> {
  if (bytes) return parseDicom(bytes, { untilTag: NKI_PIXEL_TAG }).dataset.has(NKI_PIXEL_TAG);
  return (await readDicomFile(file.path, { untilTag: NKI_PIXEL_TAG })).dataset.has(NKI_PIXEL_TAG);
}
