/**
 * Cuts a byte stream (socket chunks) into PDUs. Chunks are kept in a list as they arrive; a PDU lying within
 * one chunk is delivered as a view of it (zero copy), one spanning chunks is joined once. The header alone
 * decides whether a PDU is acceptable: an unknown type, a fixed-size PDU of another length, or a declared
 * length above the limit raises PduDecodeError at once, before any of the body is awaited or allocated.
 */
import { AbortReason, PDU_HEADER_LENGTH, PduDecodeError, pduTypeName } from './pdu-types.js';

export interface PduFramerOptions {
  /**
   * Largest P-DATA-TF accepted, as its PDU length (the bytes after the 6-byte header): the maximum length
   * this side announced in its User Information (PS3.7 D.3.3.1). Changeable later (`maxPduLength`). Unlike
   * the negotiated value, 0 does not mean unlimited here: pass the limit this side is willing to buffer.
   */
  maxPduLength: number;
  /** Largest A-ASSOCIATE-RQ/AC accepted (PDU length); 1 MiB by default. */
  maxAssociatePduLength?: number;
  /** Called for each complete PDU, synchronously from push(); without it, PDUs queue for drain(). */
  onPdu?: (type: number, body: Buffer) => void;
}

/** A complete PDU from the framer: its type code and body (exactly its PDU length, header removed). */
export interface FramedPdu {
  type: number;
  body: Buffer;
}

const EMPTY = Buffer.alloc(0);

export class PduFramer {
  /** See PduFramerOptions.maxPduLength. */
  maxPduLength: number;
  maxAssociatePduLength: number;
  private readonly onPdu: ((type: number, body: Buffer) => void) | undefined;
  private readonly queue: FramedPdu[] = [];
  private chunks: Buffer[] = [];
  /** Offset of the first unconsumed byte in chunks[0]. */
  private head = 0;
  private buffered = 0;
  /** Type and body length of the PDU whose header has been read; bodyLength -1 while awaiting a header. */
  private type = 0;
  private bodyLength = -1;
  /** Stream offset of the current PDU's first byte, for error messages. */
  private pduStart = 0;
  private consumed = 0;
  private failure: PduDecodeError | undefined;

  constructor(options: PduFramerOptions) {
    this.maxPduLength = options.maxPduLength;
    this.maxAssociatePduLength = options.maxAssociatePduLength ?? 1 << 20;
    this.onPdu = options.onPdu;
  }

  /** Bytes received but not yet delivered (a partial PDU). Non-zero at the end of a stream: truncated. */
  get bufferedBytes(): number {
    return this.buffered + (this.bodyLength >= 0 ? PDU_HEADER_LENGTH : 0);
  }

  /** The error that stopped this framer, if any; a failed framer refuses further input. */
  get error(): PduDecodeError | undefined {
    return this.failure;
  }

  /**
   * Adds received bytes; delivers (or queues) every PDU they complete. Throws PduDecodeError for a
   * malformed stream (the association layer answers with A-ABORT); after that, every push throws it again.
   */
  push(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        if (this.buffered < PDU_HEADER_LENGTH) return;
        this.readHeader();
      }
      if (this.buffered < this.bodyLength) return;
      const type = this.type;
      const body = this.take(this.bodyLength);
      this.bodyLength = -1;
      this.consumed += body.length;
      if (this.onPdu) this.onPdu(type, body);
      else this.queue.push({ type, body });
      if (this.failure) return; // onPdu may have stopped the framer (fail())
    }
  }

  /** The PDUs completed since the last drain (only when no onPdu callback was given). */
  drain(): FramedPdu[] {
    return this.queue.splice(0, this.queue.length);
  }

  /** Stops the framer: drops buffered bytes; further pushes throw `error`. */
  fail(error: PduDecodeError): void {
    this.failure = error;
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    this.bodyLength = -1;
  }

  private readHeader(): void {
    const first = this.chunks[0]!;
    let type: number;
    let length: number;
    if (first.length - this.head >= PDU_HEADER_LENGTH) {
      type = first[this.head]!;
      length = first.readUInt32BE(this.head + 2);
      this.skip(PDU_HEADER_LENGTH);
    } else {
      const h = this.take(PDU_HEADER_LENGTH); // a header spanning chunks: six bytes copied
      type = h[0]!;
      length = h.readUInt32BE(2);
    }
    this.pduStart = this.consumed;
    const name = pduTypeName(type);
    let problem: string | undefined;
    let abortReason: number = AbortReason.InvalidPduParameterValue;
    if (name === undefined) {
      problem = `unknown PDU type 0x${type.toString(16).toUpperCase().padStart(2, '0')}`;
      abortReason = AbortReason.UnrecognizedPdu;
    } else if (type === 0x04) {
      if (length > this.maxPduLength) {
        problem = `P-DATA-TF length ${length} exceeds the maximum ${this.maxPduLength}`;
      }
    } else if (type <= 0x02) {
      if (length > this.maxAssociatePduLength) {
        problem = `${name} length ${length} exceeds the maximum ${this.maxAssociatePduLength}`;
      }
    } else if (length !== 4) {
      problem = `${name} PDU length ${length}, not 4`;
    }
    if (problem !== undefined) {
      const error = new PduDecodeError(
        `${problem} (PDU at stream byte ${this.pduStart})`,
        name ? 2 : 0,
        abortReason,
      );
      this.fail(error);
      throw error;
    }
    this.consumed += PDU_HEADER_LENGTH;
    this.type = type;
    this.bodyLength = length;
  }

  private skip(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      const avail = first.length - this.head;
      if (avail > n) {
        this.head += n;
        return;
      }
      n -= avail;
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Removes n buffered bytes (n <= buffered): a view when they lie in one chunk, else one joined copy. */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    const avail = first.length - this.head;
    this.buffered -= n;
    if (avail >= n) {
      const out = first.subarray(this.head, this.head + n);
      if (avail === n) {
        this.chunks.shift();
        this.head = 0;
      } else {
        this.head += n;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = first.copy(out, 0, this.head);
    let i = 1;
    for (;;) {
      const c = this.chunks[i]!;
      const want = n - filled;
      if (c.length > want) {
        c.copy(out, filled, 0, want);
        this.head = want;
        break;
      }
      c.copy(out, filled);
      filled += c.length;
      i++;
      if (filled === n) {
        this.head = 0;
        break;
      }
    }
    this.chunks.splice(0, i);
    return out;
  }
}
