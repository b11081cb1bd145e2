/**
 * A pool of worker threads that run the codecs, so that compressing, decompressing and transcoding never
 * block the event loop that serves associations (issue 5). Jobs are whole data sets (`transcode`) or single
 * frames (`decodeFrame`, `encodeFrame`); each goes to the first idle worker, in the order submitted.
 *
 * - Bytes cross threads without copies where they can: an input Buffer that owns its whole ArrayBuffer is
 *   transferred (and so detached: the caller must not use it afterwards, or pass `keepInput`), a Buffer that
 *   shares its ArrayBuffer (Node's small-Buffer pool, a slice of a larger read) is copied once; results are
 *   always transferred back.
 * - The queue of jobs waiting for a worker is bounded: when it is full, the caller's call waits (awaiting it
 *   applies back-pressure) until a job starts.
 * - Errors come back typed: CodecError, DicomParseError and DicomWriteError are rebuilt with their fields.
 *   A worker that dies (an uncaught throw, process.exit, a WASM abort) fails its job with CodecWorkerError
 *   and is replaced by a new worker when the next job needs one.
 * - Workers start on demand, up to `size`; an idle worker does not keep the process alive (it is unref'd
 *   while it has no job), so a CLI that forgets close() still exits.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DicomParseError, DicomWriteError } from '../dicom/errors.js';
import {
  CodecError,
  type DecodedFrame,
  type EncodedFrame,
  type EncodeOptions,
  type PixelDescription,
} from './codec.js';
import {
  AUTOSTART,
  type PoolJob,
  type PoolRequest,
  type PoolResponse,
  type PoolResult,
  type SerializedError,
} from './pool-worker.js';
import type { TranscodeOptions } from './transcode.js';

/**
 * A worker died while it ran the job. A CodecError (name 'CodecError', tell it apart with instanceof): to a
 * caller, a codec that brings its thread down has failed to code the frame like any other.
 */
export class CodecWorkerError extends CodecError {
  constructor(
    message: string,
    transferSyntaxUid: string,
    /** The worker's exit code, when it exited. */
    readonly exitCode?: number,
  ) {
    super(message, transferSyntaxUid);
  }
}

/** The pool was closed before the job ran or finished. */
export class CodecPoolClosedError extends Error {
  override readonly name = 'CodecPoolClosedError';
}

export interface CodecPoolOptions {
  /** Number of workers; default os.availableParallelism(), at least 1. */
  readonly size?: number;
  /** Jobs that may wait for a worker before callers wait too; default 4 × size. */
  readonly maxQueue?: number;
  /**
   * The worker script (default: pool-worker.js beside this module). Another script must serve jobs with
   * serveJobs() from pool-worker.js; tests use one that crashes on demand.
   */
  readonly workerUrl?: URL;
}

export interface PoolCallOptions {
  /** Copy the input instead of transferring it, so the caller's Buffer stays usable. */
  readonly keepInput?: boolean;
}

export interface CodecPoolStats {
  readonly size: number;
  readonly workers: number;
  readonly busy: number;
  readonly queued: number;
  /** Callers waiting because the queue is full. */
  readonly waiting: number;
}

interface Job {
  readonly id: number;
  readonly job: PoolJob;
  /** The syntax a failure is reported under. */
  readonly ts: string;
  resolve(result: PoolResult): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
}

const DEFAULT_WORKER = new URL('./pool-worker.js', import.meta.url);

export class CodecPool {
  readonly size: number;
  private readonly maxQueue: number;
  private readonly workerUrl: URL;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private readonly waiters: (() => void)[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: CodecPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? availableParallelism()));
    this.maxQueue = Math.max(1, Math.floor(options.maxQueue ?? this.size * 4));
    this.workerUrl = options.workerUrl ?? DEFAULT_WORKER;
  }

  /**
   * An encoded data set (raw data set bytes in `fromTs`, as the store holds them, or a Part 10 file, whose
   * meta header then names the syntax) re-encoded as a raw data set in `toTs`.
   */
  async transcode(
    part10OrDataset: Buffer,
    fromTs: string,
    toTs: string,
    options: TranscodeOptions & PoolCallOptions = {},
  ): Promise<Buffer> {
    const { keepInput, ...transcodeOptions } = options;
    const data = outgoing(part10OrDataset, keepInput);
    const result = await this.submit(
      { kind: 'transcode', data, fromTs, toTs, options: transcodeOptions },
      toTs,
    );
    return toBuffer(result.data);
  }

  /** One frame decoded in a worker (see FrameCodec.decode). */
  async decodeFrame(
    frame: Buffer,
    description: PixelDescription,
    ts: string,
    options: PoolCallOptions = {},
  ): Promise<DecodedFrame> {
    const data = outgoing(frame, options.keepInput);
    const r = await this.submit({ kind: 'decode', data, description: { ...description }, ts }, ts);
    return {
      pixels: toBuffer(r.data),
      photometricInterpretation: r.photometricInterpretation ?? description.photometricInterpretation,
      planarConfiguration: r.planarConfiguration ?? description.planarConfiguration,
    };
  }

  /** One frame encoded in a worker (see FrameCodec.encode). */
  async encodeFrame(
    pixels: Buffer,
    description: PixelDescription,
    ts: string,
    options: EncodeOptions & PoolCallOptions = {},
  ): Promise<EncodedFrame> {
    const { keepInput, ...encodeOptions } = options;
    const data = outgoing(pixels, keepInput);
    const job: PoolJob = {
      kind: 'encode',
      data,
      description: { ...description },
      ts,
      options: encodeOptions,
    };
    const r = await this.submit(job, ts);
    const encoded = {
      data: toBuffer(r.data),
      photometricInterpretation: r.photometricInterpretation ?? description.photometricInterpretation,
    };
    return r.lossy ? { ...encoded, lossy: r.lossy } : encoded;
  }

  stats(): CodecPoolStats {
    let busy = 0;
    for (const s of this.slots) if (s.job) busy++;
    return {
      size: this.size,
      workers: this.slots.size,
      busy,
      queued: this.queue.length,
      waiting: this.waiters.length,
    };
  }

  /** Ends every worker; queued, waiting and running jobs fail with CodecPoolClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new CodecPoolClosedError('the codec pool is closed');
    for (const job of this.queue.splice(0)) job.reject(error);
    for (const wake of this.waiters.splice(0)) wake();
    const ends: Promise<number>[] = [];
    for (const slot of this.slots) {
      slot.job?.reject(error);
      slot.job = undefined;
      ends.push(slot.worker.terminate());
    }
    this.slots.clear();
    await Promise.all(ends);
  }

  private async submit(job: PoolJob, ts: string): Promise<PoolResult> {
    while (!this.closed && this.queue.length >= this.maxQueue)
      await new Promise<void>((wake) => this.waiters.push(wake));
    if (this.closed) throw new CodecPoolClosedError('the codec pool is closed');
    return new Promise<PoolResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, ts, resolve, reject });
      this.dispatch();
    });
  }

  /** Hands queued jobs to idle workers, starting workers up to `size`. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.idleSlot();
      if (!slot) return;
      const job = this.queue.shift()!;
      this.waiters.shift()?.();
      slot.job = job;
      slot.worker.ref();
      const request: PoolRequest = { id: job.id, job: job.job };
      slot.worker.postMessage(request, [job.job.data.buffer as ArrayBuffer]);
    }
  }

  private idleSlot(): Slot | undefined {
    for (const s of this.slots) if (!s.job) return s;
    if (this.slots.size >= this.size) return undefined;
    return this.startWorker();
  }

  private startWorker(): Slot {
    const workerData = this.workerUrl === DEFAULT_WORKER ? { [AUTOSTART]: true } : {};
    const worker = new Worker(this.workerUrl, { workerData });
    const slot: Slot = { worker, job: undefined };
    worker.unref();
    worker.on('message', (response: PoolResponse) => this.settle(slot, response));
    worker.on('error', (e: Error) => this.lose(slot, `codec worker crashed: ${e.message}`));
    worker.on('exit', (code: number) => this.lose(slot, `codec worker exited with code ${code}`, code));
    this.slots.add(slot);
    return slot;
  }

  private settle(slot: Slot, response: PoolResponse): void {
    const job = slot.job;
    if (!job || job.id !== response.id) return;
    slot.job = undefined;
    slot.worker.unref();
    if (response.ok) job.resolve(response.result);
    else job.reject(reviveError(response.error));
    this.dispatch();
  }

  /** A worker failed or exited: its job fails, the worker leaves the pool; the next job starts a new one. */
  private lose(slot: Slot, message: string, exitCode?: number): void {
    if (!this.slots.delete(slot)) return;
    const job = slot.job;
    slot.job = undefined;
    job?.reject(new CodecWorkerError(message, job.ts, exitCode));
    // An 'error' is followed by 'exit'; make sure the thread is gone before it is forgotten.
    if (exitCode === undefined) void slot.worker.terminate();
    if (!this.closed) this.dispatch();
  }
}

/** The bytes to post: the Buffer's own ArrayBuffer when it owns it whole (and may be detached), else a copy. */
function outgoing(buf: Buffer, keepInput: boolean | undefined): Uint8Array {
  const owns =
    !keepInput &&
    buf.byteOffset === 0 &&
    buf.byteLength === buf.buffer.byteLength &&
    !(buf.buffer instanceof SharedArrayBuffer);
  if (owns) return new Uint8Array(buf.buffer, 0, buf.byteLength);
  const copy = new Uint8Array(new ArrayBuffer(buf.byteLength));
  copy.set(buf);
  return copy;
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The worker's error as the class it was thrown as, with the worker's stack below the message. */
export function reviveError(s: SerializedError): Error {
  let e: Error;
  if (s.name === 'CodecError' || s.transferSyntaxUid !== undefined)
    e = new CodecError(s.message, s.transferSyntaxUid ?? '', s.frame);
  else if (s.name === 'DicomParseError') {
    e = new DicomParseError('', s.offset ?? 0, s.tag);
    e.message = s.message; // the constructor decorates the message; keep the worker's text as it was
  } else if (s.name === 'DicomWriteError') {
    e = new DicomWriteError('', s.tag);
    e.message = s.message;
  } else {
    e = new Error(s.message);
    e.name = s.name;
  }
  if (s.stack) e.stack = `${e.name}: ${e.message}\n    (in codec worker)\n${stackFrames(s.stack)}`;
  return e;
}

function stackFrames(stack: string): string {
  const lines = stack.split('\n');
  const first = lines.findIndex((l) => l.trimStart().startsWith('at '));
  return first < 0 ? '' : lines.slice(first).join('\n');
}

let shared: CodecPool | undefined;

/** The server's pool, created on first use with the default size. */
export function sharedCodecPool(): CodecPool {
  shared ??= new CodecPool();
  return shared;
}

/** Closes the shared pool (server shutdown); the next sharedCodecPool() call makes a new one. */
export async function closeSharedCodecPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
