/**
 * Sending one stored object with C-STORE in a compression mode (C-MOVE/C-GET sub-operations,
 * `dgate --forward`): the syntax is chosen among what the receiver accepted (outgoing-syntax.ts), and the
 * object transcoded when that is not the stored one.
 */
import { readFileSync } from 'node:fs';
import { CodecError } from '../codecs/codec.js';
import type { CompressionMode } from '../codecs/modes.js';
import { sharedCodecPool } from '../codecs/pool.js';
import { recompress } from '../codecs/recompress.js';
import { transcodeDataset } from '../codecs/transcode.js';
import { parseDicom } from '../dicom/reader.js';
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
  for (const ts of order) {
    if (ts === stored && mode.kind !== 'downsize') {
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
      encoded = await convertFor(bytes ?? readFileSync(file.path), stored, ts, mode);
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
): Promise<Buffer> {
  const predictor = /^j2/i.test(mode.text) ? 6 : undefined;
  const options = {
    ...(mode.quality !== undefined ? { quality: mode.quality } : {}),
    ...(predictor ? { predictor } : {}),
  };
  if (mode.kind !== 'downsize') {
    // In the codec worker pool: the event loop goes on serving other associations meanwhile.
    return sharedCodecPool().transcode(fileBytes, stored, ts, { ...options, keepInput: true });
  }
  const small = await recompress(parseDicom(fileBytes).dataset, stored, mode);
  const out = await transcodeDataset(small.dataset, small.transferSyntaxUid, ts, options);
  return writeDataset(out, ts);
}
