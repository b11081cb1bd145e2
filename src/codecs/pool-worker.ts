/**
 * The code a CodecPool worker runs (src/codecs/pool.ts): it receives jobs over its parent port, runs them
 * with the in-process codecs (each worker loads a codec's WASM module once, on its first job that needs it:
 * the loaders in registry.ts and wasm/modules.ts cache it per thread) and posts the result back, its bytes
 * transferred rather than copied. Errors are sent as plain records the pool turns back into typed errors.
 *
 * The protocol types live here so that the pool and its workers cannot disagree on them.
 */
import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { DicomParseError, DicomWriteError } from '../dicom/errors.js';
import { parseDicom } from '../dicom/reader.js';
import { writeDataset } from '../dicom/writer.js';
import { CodecError, type EncodeOptions, type PixelDescription } from './codec.js';
import { decodeFrame, encodeFrame } from './registry.js';
import { type TranscodeOptions, transcodeDataset } from './transcode.js';

export type PoolJob =
  | {
      readonly kind: 'transcode';
      readonly data: Uint8Array;
      readonly fromTs: string;
      readonly toTs: string;
      readonly options: TranscodeOptions;
    }
  | {
      readonly kind: 'decode';
      readonly data: Uint8Array;
      readonly description: PixelDescription;
      readonly ts: string;
    }
  | {
      readonly kind: 'encode';
      readonly data: Uint8Array;
      readonly description: PixelDescription;
      readonly ts: string;
      readonly options: EncodeOptions;
    };

export interface PoolRequest {
  readonly id: number;
  readonly job: PoolJob;
}

/** What a job produced: the bytes, plus what decode/encode report about them. */
export interface PoolResult {
  readonly data: Uint8Array;
  readonly photometricInterpretation?: string;
  readonly planarConfiguration?: 0 | 1;
  readonly lossy?: { readonly ratio: number; readonly method: string };
}

/** An error as it crosses the thread boundary: its class by name and the fields that class carries. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly transferSyntaxUid?: string;
  readonly frame?: number;
  readonly offset?: number;
  readonly tag?: number;
}

export type PoolResponse =
  | { readonly id: number; readonly ok: true; readonly result: PoolResult }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/** workerData the pool gives its own worker script; another script (a test's) serves jobs itself. */
export const AUTOSTART = 'conquestCodecPoolAutostart';

/** A Node Buffer over the received bytes (no copy). */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Runs one job in this thread. */
export async function runJob(job: PoolJob): Promise<PoolResult> {
  const input = asBuffer(job.data);
  switch (job.kind) {
    case 'transcode': {
      // A raw data set needs its syntax; a Part 10 input names its own in the meta header.
      const file = parseDicom(input, { transferSyntax: job.fromTs });
      const out = await transcodeDataset(file.dataset, file.transferSyntax.uid, job.toTs, job.options);
      return { data: writeDataset(out, job.toTs) };
    }
    case 'decode': {
      const d = await decodeFrame(input, job.description, job.ts);
      return {
        data: d.pixels,
        photometricInterpretation: d.photometricInterpretation,
        planarConfiguration: d.planarConfiguration,
      };
    }
    case 'encode': {
      const e = await encodeFrame(input, job.description, job.ts, job.options);
      return e.lossy
        ? { data: e.data, photometricInterpretation: e.photometricInterpretation, lossy: e.lossy }
        : { data: e.data, photometricInterpretation: e.photometricInterpretation };
    }
  }
}

export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const base = { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  if (e instanceof CodecError)
    return {
      ...base,
      name: 'CodecError',
      transferSyntaxUid: e.transferSyntaxUid,
      ...(e.frame === undefined ? {} : { frame: e.frame }),
    };
  if (e instanceof DicomParseError)
    return { ...base, offset: e.offset, ...(e.tag === undefined ? {} : { tag: e.tag }) };
  if (e instanceof DicomWriteError) return { ...base, ...(e.tag === undefined ? {} : { tag: e.tag }) };
  return base;
}

/**
 * `data` as bytes that may be transferred: a view that does not own its whole ArrayBuffer (a slice of Node's
 * Buffer pool, of WASM memory, of the input) is copied first, since transferring would detach the rest.
 */
export function transferable(data: Uint8Array): Uint8Array {
  const owns =
    data.byteOffset === 0 &&
    data.byteLength === data.buffer.byteLength &&
    !(data.buffer instanceof SharedArrayBuffer);
  if (owns) return data;
  const copy = new Uint8Array(new ArrayBuffer(data.byteLength));
  copy.set(data);
  return copy;
}

/** Serves jobs from `port` with `handle` until the port closes. */
export function serveJobs(port: MessagePort, handle: (job: PoolJob) => Promise<PoolResult> = runJob): void {
  port.on('message', (req: PoolRequest) => {
    handle(req.job).then(
      (result) => {
        const data = transferable(result.data);
        const response: PoolResponse = { id: req.id, ok: true, result: { ...result, data } };
        port.postMessage(response, [data.buffer as ArrayBuffer]);
      },
      (e: unknown) => {
        const response: PoolResponse = { id: req.id, ok: false, error: serializeError(e) };
        port.postMessage(response);
      },
    );
  });
}

const autostart =
  !isMainThread && typeof workerData === 'object' && workerData !== null && workerData[AUTOSTART] === true;
if (autostart && parentPort) serveJobs(parentPort);
