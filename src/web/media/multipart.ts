/**
 * multipart/related (RFC 2387, framing as RFC 2046 5.1.1) both ways, for DICOMweb:
 * - reading (STOW-RS): a streaming parser that writes each part to a temporary file as its bytes arrive and
 *   hands the part over only once it is complete; the request body is never held in memory (only a window a
 *   little longer than the delimiter), and the next part is not read until the caller has dealt with this
 *   one (the async generator pulls the body on demand: back-pressure to the client);
 * - writing (WADO-RS): part headers and the closing delimiter around bodies the caller streams.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

export interface ReceivedPart {
  /** Part headers, names lower-cased. */
  readonly headers: ReadonlyMap<string, string>;
  /** The temporary file holding the body (removed when the generator moves on or ends). */
  readonly path: string;
  readonly size: number;
  /** 0-based position in the message. */
  readonly index: number;
}

export interface ReadMultipartOptions {
  /** Header block of one part, at most (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Parts, at most (default 10,000). */
  maxParts?: number;
  /** Folder for the temporary files (default the system's). */
  tempDir?: string;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** RFC 2046 boundary: 1..70 characters of a restricted set (so it cannot smuggle anything into headers). */
export function validBoundary(boundary: string): boolean {
  return /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary);
}

/**
 * The parts of a multipart body, each complete in a temporary file. Throws MultipartError for a body that
 * is not framed by `boundary` or ends before the closing delimiter.
 */
export async function* readMultipart(
  body: AsyncIterable<Buffer | string>,
  boundary: string,
  options: ReadMultipartOptions = {},
): AsyncGenerator<ReceivedPart> {
  if (!validBoundary(boundary)) throw new MultipartError('the multipart boundary is not valid (RFC 2046)');
  const maxHeader = options.maxHeaderBytes ?? 16 << 10;
  const maxParts = options.maxParts ?? 10_000;
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'conquest-stow-'));
  type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';
  let state: State = 'preamble';
  // The first delimiter may open the body without a CRLF before it: pretend there was one.
  let buf: Buffer = Buffer.from(CRLF);
  let index = 0;
  let file: Awaited<ReturnType<typeof open>> | undefined;
  let filePath = '';
  let size = 0;
  let headers = new Map<string, string>();
  const iterator = body[Symbol.asyncIterator]();
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const r = await iterator.next();
    if (r.done) {
      ended = true;
      return false;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value;
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    return true;
  };
  try {
    for (;;) {
      if (state === 'done') return;
      if (state === 'preamble') {
        const at = buf.indexOf(delimiter);
        if (at >= 0) {
          buf = buf.subarray(at + delimiter.length);
          state = 'after-delimiter';
          continue;
        }
        if (buf.length > delimiter.length) buf = buf.subarray(buf.length - delimiter.length);
        if (!(await more())) throw new MultipartError(`no part starts with the boundary "${boundary}"`);
        continue;
      }
      if (state === 'after-delimiter') {
        // "--" closes the message; otherwise transport padding (spaces, tabs) then CRLF.
        if (buf.length < 2 && (await more())) continue;
        if (buf.subarray(0, 2).toString('latin1') === '--') {
          state = 'done';
          continue;
        }
        const crlf = buf.indexOf(CRLF);
        if (crlf < 0) {
          if (buf.length > 256) throw new MultipartError('a boundary line is not followed by CRLF');
          if (!(await more())) throw new MultipartError('the body ends after a boundary line');
          continue;
        }
        if (buf.subarray(0, crlf).toString('latin1').trim() !== '')
          throw new MultipartError('a boundary line is followed by other characters');
        buf = buf.subarray(crlf + 2);
        state = 'headers';
        continue;
      }
      if (state === 'headers') {
        // A part without headers starts directly with the blank line.
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          headers = new Map();
          buf = buf.subarray(2);
        } else {
          const end = buf.indexOf(HEADER_END);
          if (end < 0) {
            if (buf.length > maxHeader)
              throw new MultipartError(`part headers longer than ${maxHeader} bytes`);
            if (!(await more())) throw new MultipartError('the body ends in the headers of a part');
            continue;
          }
          headers = parseHeaders(buf.subarray(0, end).toString('latin1'));
          buf = buf.subarray(end + 4);
        }
        if (index >= maxParts) throw new MultipartError(`more than ${maxParts} parts`);
        filePath = join(dir, `part-${index}-${randomBytes(4).toString('hex')}`);
        file = await open(filePath, 'wx');
        size = 0;
        state = 'body';
        continue;
      }
      // body
      const at = buf.indexOf(delimiter);
      if (at >= 0) {
        await file!.write(buf.subarray(0, at));
        size += at;
        await file!.close();
        file = undefined;
        buf = buf.subarray(at + delimiter.length);
        state = 'after-delimiter';
        const part: ReceivedPart = { headers, path: filePath, size, index: index++ };
        try {
          yield part;
        } finally {
          await rm(filePath, { force: true });
        }
        continue;
      }
      // Keep what could be the start of a delimiter split over two chunks.
      const safe = buf.length - (delimiter.length - 1);
      if (safe > 0) {
        await file!.write(buf.subarray(0, safe));
        size += safe;
        buf = buf.subarray(safe);
      }
      if (!(await more())) throw new MultipartError('the body ends inside a part (no closing boundary)');
    }
  } finally {
    await file?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    // Stop reading the client's body when the caller gave up early.
    if (!ended) await iterator.return?.().catch(() => undefined);
  }
}

function parseHeaders(text: string): Map<string, string> {
  const out = new Map<string, string>();
  // Folded lines (obsolete, RFC 5322 2.2.3) are unfolded.
  for (const line of text.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`part header line "${line.slice(0, 40)}" has no name`);
    out.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

/** A boundary for a response: random, never derived from the request. */
export function newBoundary(): string {
  return `conquest-${randomBytes(12).toString('hex')}`;
}

/** The header block that opens a part (delimiter line included). */
export function partHead(boundary: string, contentType: string, extra: Record<string, string> = {}): Buffer {
  let text = `\r\n--${boundary}\r\nContent-Type: ${contentType}\r\n`;
  for (const [k, v] of Object.entries(extra)) text += `${k}: ${v}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}

/** The closing delimiter. */
export function closeDelimiter(boundary: string): Buffer {
  return Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
}

/** The Content-Type of a multipart/related response whose parts are `type`. */
export function multipartContentType(boundary: string, type: string, extra = ''): string {
  return `multipart/related; type="${type}"; boundary=${boundary}${extra}`;
}
