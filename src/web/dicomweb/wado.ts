/**
 * WADO-RS (PS3.18 10.4): instances, frames, bulk data, rendered pictures and thumbnails.
 *
 * Instances go out as multipart/related; type="application/dicom", one part per stored object, read and
 * written one at a time (bounded memory whatever the study size). The transfer syntax follows the Accept
 * header's `transfer-syntax` parameter (quoted or not): absent → Explicit VR Little Endian (PS3.18 8.7.3.5.2),
 * `*` → as stored (the file's bytes unchanged), a UID → transcoded through src/codecs when the stored
 * syntax differs.
 *
 * Frames go out as multipart/related parts of application/octet-stream (native, decoded, little endian;
 * the default) or of the compressed media type of a transfer syntax (image/jpeg, image/jls, image/jp2,
 * image/jpx, image/dicom-rle, image/jphc): the stored bytes when the stored syntax is acceptable, else
 * re-encoded frame by frame. `transfer-syntax=*` takes the frames as stored, whatever their syntax.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RetrieveItem } from '../../archive/retrieve.js';
import { CodecError, type PixelDescription } from '../../codecs/codec.js';
import { describePixels, frameBytes, frameCount } from '../../codecs/pixel-data.js';
import { decodeFrame, encodeFrame, hasCodec } from '../../codecs/registry.js';
import { transcodeDataset } from '../../codecs/transcode.js';
import type { Dataset } from '../../dicom/dataset.js';
import { DicomParseError } from '../../dicom/errors.js';
import { jsonBinaryValue } from '../../dicom/json.js';
import { readDicomFile } from '../../dicom/reader.js';
import { findTransferSyntax } from '../../dicom/transfer-syntax.js';
import { writeDicomFileParts } from '../../dicom/writer.js';
import type { WebContext } from '../context.js';
import { acceptsType, type MediaType, parseAccept } from '../media/media-type.js';
import { closeDelimiter, multipartContentType, newBoundary, partHead } from '../media/multipart.js';
import { WebRequestError } from './common.js';
import { type PictureType, parseWindow, renderPicture } from './picture.js';

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const PIXEL_DATA = 0x7fe00010;

/** PS3.18 Table 8.7.3-2: the transfer syntaxes of each compressed frame media type, the default first. */
export const FRAME_MEDIA_TYPES: ReadonlyMap<string, readonly string[]> = new Map([
  [
    'image/jpeg',
    ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70'],
  ],
  ['image/jls', ['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81']],
  ['image/jp2', ['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']],
  ['image/jpx', ['1.2.840.10008.1.2.4.92', '1.2.840.10008.1.2.4.93']],
  ['image/dicom-rle', ['1.2.840.10008.1.2.5']],
  ['image/jphc', ['1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203']],
]);

function mediaTypeOfSyntax(uid: string): string | undefined {
  for (const [type, list] of FRAME_MEDIA_TYPES) if (list.includes(uid)) return type;
  return undefined;
}

function isNativeSyntax(uid: string): boolean {
  const ts = findTransferSyntax(uid);
  return ts !== undefined && !ts.encapsulated;
}

/** A `transfer-syntax` parameter: '*', a UID, or undefined; anything else is a 400. */
function tsParam(m: MediaType): string | undefined {
  const v = m.params.get('transfer-syntax');
  if (v === undefined || v === '*') return v;
  if (!/^[0-9.]{1,64}$/.test(v))
    throw new WebRequestError(400, 'a transfer-syntax parameter is not a UID or *');
  return v;
}

// ---- instances --------------------------------------------------------------------------------------

export interface InstanceChoice {
  /** '*' (as stored) or the UID to send. */
  transferSyntax: string;
  /** A single application/dicom body (one instance) instead of multipart. */
  single: boolean;
}

/** What the Accept header lets us send for instances; 406 when nothing. */
export function chooseInstanceType(
  accept: string | string[] | undefined,
  oneInstance: boolean,
): InstanceChoice {
  for (const m of parseAccept(accept)) {
    if (m.type === 'multipart/related' || m.type === 'multipart/*' || m.type === '*/*') {
      const part = m.params.get('type')?.toLowerCase();
      if (part !== undefined && part !== 'application/dicom') continue;
      const ts = tsParam(m) ?? EXPLICIT_LE;
      if (ts !== '*' && !findTransferSyntax(ts)) continue;
      return { transferSyntax: ts, single: false };
    }
    if (m.type === 'application/dicom' || (m.type === 'application/*' && oneInstance)) {
      if (!oneInstance) continue;
      const ts = tsParam(m) ?? EXPLICIT_LE;
      if (ts !== '*' && !findTransferSyntax(ts)) continue;
      return { transferSyntax: ts, single: true };
    }
  }
  throw new WebRequestError(
    406,
    'instances are sent as multipart/related; type="application/dicom" (with an optional transfer-syntax): the Accept header allows none of them',
  );
}

/** The stored syntax of a file (its meta header), without reading further. */
async function storedSyntax(path: string): Promise<string> {
  const f = await readDicomFile(path, { stopBeforeTag: 0x00000001 });
  return f.transferSyntax.uid;
}

/** The bytes of one object in `target` ('*': the file as it is), as a stream of chunks. */
async function* objectBytes(item: RetrieveItem, target: string): AsyncGenerator<Buffer> {
  if (target !== '*') {
    const stored = await storedSyntax(item.path);
    if (stored !== target) {
      const file = await readDicomFile(item.path);
      const out = await transcodeDataset(file.dataset, stored, target);
      yield* writeDicomFileParts(file.meta, out, target);
      return;
    }
  }
  for await (const chunk of createReadStream(item.path, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
}

/** Streams instances; a failure after the first byte aborts the response (the multipart stays unclosed). */
export async function sendInstances(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  items: readonly RetrieveItem[],
): Promise<void> {
  const choice = chooseInstanceType(request.headers.accept, items.length === 1);
  if (
    choice.transferSyntax !== '*' &&
    !isNativeSyntax(choice.transferSyntax) &&
    !hasCodec(choice.transferSyntax)
  )
    throw new WebRequestError(406, 'this server cannot write the requested transfer syntax');
  const label = (ts: string): string => `application/dicom; transfer-syntax=${ts}`;
  if (choice.single) {
    const item = items[0]!;
    const ts = choice.transferSyntax === '*' ? await storedSyntax(item.path) : choice.transferSyntax;
    reply.type(label(ts));
    return reply.send(Readable.from(objectBytes(item, choice.transferSyntax)));
  }
  const boundary = newBoundary();
  const log = ctx.log;
  async function* body(): AsyncGenerator<Buffer> {
    for (const item of items) {
      let ts = choice.transferSyntax;
      try {
        if (ts === '*') ts = await storedSyntax(item.path);
        const chunks = objectBytes(item, choice.transferSyntax);
        // The first chunk before the part head: a file that cannot be read fails before its part starts.
        const first = await chunks.next();
        yield partHead(boundary, label(ts));
        if (!first.done) yield first.value;
        yield* chunks;
      } catch (e) {
        log.error(`WADO-RS: ${item.sopInstanceUid} cannot be sent in ${ts}: ${(e as Error).message}`);
        throw e;
      }
    }
    yield closeDelimiter(boundary);
  }
  reply.type(multipartContentType(boundary, 'application/dicom'));
  return reply.send(Readable.from(body()));
}

// ---- frames -----------------------------------------------------------------------------------------

export interface FrameChoice {
  /** Part media type. */
  type: string;
  /** '*' (as stored), or the syntax. */
  transferSyntax: string;
  single: boolean;
}

/** The frame encoding for an Accept header and a stored syntax; 406 when none can be made. */
export function chooseFrameType(
  accept: string | string[] | undefined,
  stored: string,
  oneFrame: boolean,
): FrameChoice {
  const canMake = (ts: string): boolean => ts === stored || (hasCodec(stored) && hasCodec(ts));
  for (const m of parseAccept(accept)) {
    let part: string;
    let single = false;
    if (m.type === 'multipart/related' || m.type === 'multipart/*' || m.type === '*/*') {
      part = (m.params.get('type') ?? 'application/octet-stream').toLowerCase();
    } else if (oneFrame) {
      part = m.type;
      single = true;
    } else continue;
    const ts = tsParam(m);
    if (part === 'application/octet-stream' || part === '*/*' || part === 'application/*') {
      if (ts === '*') return { type: 'application/octet-stream', transferSyntax: '*', single };
      const want = ts ?? EXPLICIT_LE;
      if (isNativeSyntax(want) && hasCodec(stored))
        return { type: 'application/octet-stream', transferSyntax: EXPLICIT_LE, single };
      if (!isNativeSyntax(want) && canMake(want))
        return { type: 'application/octet-stream', transferSyntax: want, single };
      continue;
    }
    const list =
      FRAME_MEDIA_TYPES.get(part) ??
      (part === 'image/*' ? [...FRAME_MEDIA_TYPES.values()].flat() : undefined);
    if (!list) continue;
    if (ts === '*' || ts === undefined) {
      if (list.includes(stored)) return { type: mediaTypeOfSyntax(stored)!, transferSyntax: stored, single };
      if (ts === '*') continue;
      const def = list[0]!;
      if (canMake(def)) return { type: mediaTypeOfSyntax(def)!, transferSyntax: def, single };
      continue;
    }
    if (list.includes(ts) && canMake(ts)) return { type: mediaTypeOfSyntax(ts)!, transferSyntax: ts, single };
  }
  throw new WebRequestError(
    406,
    'frames are sent as multipart/related; type="application/octet-stream" or a compressed image type this server can make: the Accept header allows none',
  );
}

/** A frame list "1,2,5" (1-based), or a 400. */
export function parseFrameList(text: string): number[] {
  if (!/^\d{1,6}(,\d{1,6}){0,9999}$/.test(text))
    throw new WebRequestError(400, 'the frame list must be numbers from 1, comma-separated');
  const list = text.split(',').map(Number);
  if (list.some((n) => n < 1)) throw new WebRequestError(400, 'frame numbers start at 1');
  return list;
}

async function readObject(item: RetrieveItem): Promise<{ ds: Dataset; ts: string; meta: Dataset }> {
  try {
    const f = await readDicomFile(item.path);
    return { ds: f.dataset, ts: f.transferSyntax.uid, meta: f.meta };
  } catch (e) {
    if (e instanceof DicomParseError) throw new WebRequestError(500, 'the stored object cannot be read');
    throw e;
  }
}

/** One frame (0-based) in the chosen encoding: the bytes and the syntax they are in. */
async function frameIn(
  ds: Dataset,
  stored: string,
  d: PixelDescription,
  i: number,
  choice: FrameChoice,
): Promise<{ bytes: Buffer; ts: string }> {
  const raw = frameBytes(ds, i, stored);
  const target = choice.transferSyntax;
  const storedNative = isNativeSyntax(stored);
  if (target === '*' || target === stored) {
    if (!storedNative) return { bytes: raw, ts: stored };
    // Native frames go out little endian (a Big Endian file's frames are swapped by the native codec).
    if (stored === '1.2.840.10008.1.2.2')
      return { bytes: (await decodeFrame(raw, d, stored, i)).pixels, ts: EXPLICIT_LE };
    return { bytes: raw, ts: EXPLICIT_LE };
  }
  const decoded = await decodeFrame(raw, d, stored, i);
  if (isNativeSyntax(target)) return { bytes: decoded.pixels, ts: EXPLICIT_LE };
  const input = {
    ...d,
    photometricInterpretation: decoded.photometricInterpretation,
    planarConfiguration: decoded.planarConfiguration,
  };
  const encoded = await encodeFrame(decoded.pixels, input, target, {}, i);
  return { bytes: encoded.data, ts: target };
}

export async function sendFrames(
  request: FastifyRequest,
  reply: FastifyReply,
  item: RetrieveItem,
  list: readonly number[],
): Promise<void> {
  const { ds, ts } = await readObject(item);
  if (!ds.has(PIXEL_DATA))
    throw new WebRequestError(404, 'this instance has no Pixel Data: it has no frames');
  let n: number;
  let d: PixelDescription;
  try {
    n = frameCount(ds, ts);
    d = describePixels(ds, ts);
  } catch (e) {
    if (e instanceof CodecError)
      throw new WebRequestError(500, `the stored pixel data cannot be described: ${e.message}`);
    throw e;
  }
  const missing = list.find((f) => f > n);
  if (missing !== undefined)
    throw new WebRequestError(404, `frame ${missing} does not exist: the instance has ${n} frame(s)`);
  const choice = chooseFrameType(request.headers.accept, ts, list.length === 1);
  const frames: { bytes: Buffer; ts: string }[] = [];
  try {
    for (const f of list) frames.push(await frameIn(ds, ts, d, f - 1, choice));
  } catch (e) {
    if (e instanceof CodecError)
      throw new WebRequestError(500, `the frame cannot be decoded or encoded: ${e.message}`);
    throw e;
  }
  const label = (f: { ts: string }): string => `${choice.type}; transfer-syntax=${f.ts}`;
  if (choice.single) {
    await reply.type(label(frames[0]!)).send(frames[0]!.bytes);
    return;
  }
  const boundary = newBoundary();
  const parts: Buffer[] = [];
  for (const [k, f] of frames.entries())
    parts.push(partHead(boundary, label(f), { 'Content-Location': `frames/${list[k]}` }), f.bytes);
  parts.push(closeDelimiter(boundary));
  await reply.type(multipartContentType(boundary, choice.type)).send(Buffer.concat(parts));
}

// ---- bulk data --------------------------------------------------------------------------------------

/** A bulk data path (metadata.ts bulkPathText), or a 400. */
export function parseBulkPath(text: string): { steps: { sequence: number; item: number }[]; tag: number } {
  if (!/^([0-9A-Fa-f]{8}\/\d{1,6}\/){0,8}[0-9A-Fa-f]{8}$/.test(text))
    throw new WebRequestError(400, 'not a bulk data path of this server');
  const parts = text.split('/');
  const steps: { sequence: number; item: number }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2)
    steps.push({ sequence: Number.parseInt(parts[i]!, 16), item: Number(parts[i + 1]) });
  return { steps, tag: Number.parseInt(parts[parts.length - 1]!, 16) };
}

export async function sendBulkData(
  request: FastifyRequest,
  reply: FastifyReply,
  item: RetrieveItem,
  pathText: string,
): Promise<void> {
  const path = parseBulkPath(pathText);
  const { ds } = await readObject(item);
  let owner: Dataset = ds;
  for (const s of path.steps) {
    const next = owner.sequence(s.sequence)[s.item];
    if (!next) throw new WebRequestError(404, 'no such bulk data in this instance');
    owner = next;
  }
  const el = owner.get(path.tag);
  if (!el || el.items) throw new WebRequestError(404, 'no such bulk data in this instance');
  const bytes = el.bytes !== undefined || el.fragments ? jsonBinaryValue(el, owner) : Buffer.alloc(0);
  const accept = parseAccept(request.headers.accept);
  const single =
    accept.some((m) => m.type === 'application/octet-stream') &&
    !accept.some((m) => m.type.startsWith('multipart/'));
  if (single) {
    await reply.type('application/octet-stream').send(bytes);
    return;
  }
  if (!accept.some((m) => acceptsType(m, 'multipart/related') || m.type === 'multipart/*'))
    throw new WebRequestError(
      406,
      'bulk data is sent as multipart/related; type="application/octet-stream" or application/octet-stream',
    );
  const boundary = newBoundary();
  await reply
    .type(multipartContentType(boundary, 'application/octet-stream'))
    .send(Buffer.concat([partHead(boundary, 'application/octet-stream'), bytes, closeDelimiter(boundary)]));
}

// ---- rendered / thumbnail ---------------------------------------------------------------------------

function pictureType(accept: string | string[] | undefined): PictureType {
  for (const m of parseAccept(accept)) {
    if (acceptsType(m, 'image/jpeg')) return 'image/jpeg';
    if (m.type === 'image/png') return 'image/png';
    if (m.type === 'image/gif') return 'image/gif';
  }
  throw new WebRequestError(406, 'rendered pictures are image/jpeg, image/png or image/gif');
}

/** `viewport=vw,vh[,sx,sy,sw,sh]`: the largest side (the smaller of vw and vh); source region not supported. */
function viewportSize(v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  const m = /^(\d{1,5}),(\d{1,5})$/.exec(String(v));
  if (!m) throw new WebRequestError(400, 'viewport must be width,height (whole numbers)');
  return Math.min(Number(m[1]), Number(m[2]));
}

export async function sendRendered(
  request: FastifyRequest,
  reply: FastifyReply,
  item: RetrieveItem,
  frame: number,
  thumbnail: boolean,
): Promise<void> {
  const q = (request.query ?? {}) as Record<string, unknown>;
  const type = pictureType(request.headers.accept);
  let window: { center: number; width: number } | undefined;
  if (q['window'] !== undefined) {
    const parts = String(q['window']).split(',');
    window = parseWindow(parts[0], parts[1]);
  }
  const quality = q['quality'] === undefined ? undefined : Number(q['quality']);
  if (quality !== undefined && !(Number.isInteger(quality) && quality >= 1 && quality <= 100))
    throw new WebRequestError(400, 'quality must be 1..100');
  const { ds, ts } = await readObject(item);
  const bytes = await renderPicture(ds, ts, {
    type,
    frame,
    size: viewportSize(q['viewport'], thumbnail ? 128 : 0),
    ...(window ? { window } : {}),
    ...(quality !== undefined ? { quality } : {}),
  });
  await reply.type(type).send(bytes);
}
