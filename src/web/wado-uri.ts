/**
 * WADO-URI (PS3.18 Chapter 9; Conquest manual Appendix 4 "WADO") at /wado and at Conquest's CGI paths
 * (/cgi-bin/dgate, /cgi-bin/dgate.exe, /dgate, /dgate.exe) with requestType=WADO:
 * studyUID, seriesUID, objectUID (the object is found by objectUID; the others, when given, must match),
 * contentType image/jpeg (default), image/png, image/gif or application/dicom (a list: the first this
 * server makes), transferSyntax for application/dicom (default Explicit VR Little Endian, as PS3.18 9.1.2.1
 * says; `*` as stored; transcoded through src/codecs), windowCenter/windowWidth, rows/columns (the picture's
 * largest side; never enlarged), region=x1,y1,x2,y2 (fractions), frameNumber (from 1), imageQuality.
 * anonymize=yes is refused: anonymisation is not in this version.
 *
 * The CGI paths serve only WADO here: Conquest's other dgate modes are the pages' business.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasCodec } from './../codecs/registry.js';
import { transcodeDataset } from './../codecs/transcode.js';
import { readDicomFile } from './../dicom/reader.js';
import { findTransferSyntax } from './../dicom/transfer-syntax.js';
import { writeDicomFileParts } from './../dicom/writer.js';
import { requireRole } from './auth/guard.js';
import type { WebContext } from './context.js';
import { checkUid, installCors, requireObjects, sendError, WebRequestError } from './dicomweb/common.js';
import { type PictureType, parseWindow, renderPicture } from './dicomweb/picture.js';
import { EXPLICIT_LE } from './dicomweb/wado.js';

export const WADO_PATHS = ['/wado', '/cgi-bin/dgate', '/cgi-bin/dgate.exe', '/dgate', '/dgate.exe'] as const;

const CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'application/dicom'] as const;
type ContentType = (typeof CONTENT_TYPES)[number];

function one(q: Record<string, unknown>, name: string): string | undefined {
  // Parameter names are matched case-insensitively: Conquest's links and viewers differ in their case.
  for (const [k, v] of Object.entries(q)) {
    if (k.toLowerCase() !== name.toLowerCase()) continue;
    const s = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
    if (/[\r\n\0]/.test(s) || s.length > 256)
      throw new WebRequestError(400, `${name} holds control characters or is too long`);
    return s;
  }
  return undefined;
}

function positiveInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1)
    throw new WebRequestError(400, `${name} must be a whole number ≥ 1`);
  return Number(text);
}

function parseRegion(text: string | undefined): [number, number, number, number] | undefined {
  if (text === undefined || text === '') return undefined;
  const parts = text.split(',').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n) || n < 0 || n > 1))
    throw new WebRequestError(400, 'region must be x1,y1,x2,y2 (fractions from 0 to 1)');
  const [x1, y1, x2, y2] = parts as [number, number, number, number];
  if (x2 <= x1 || y2 <= y1) throw new WebRequestError(400, 'region must have x2 > x1 and y2 > y1');
  return [x1, y1, x2, y2];
}

function chooseContentType(text: string | undefined): ContentType {
  if (text === undefined || text === '') return 'image/jpeg';
  for (const t of text.split(',')) {
    const type = t.split(';')[0]!.trim().toLowerCase();
    if ((CONTENT_TYPES as readonly string[]).includes(type)) return type as ContentType;
    if (type === '*/*' || type === 'image/*') return 'image/jpeg';
  }
  throw new WebRequestError(406, 'contentType must be image/jpeg, image/png, image/gif or application/dicom');
}

export async function wadoUri(ctx: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const q = (request.query ?? {}) as Record<string, unknown>;
  const requestType = one(q, 'requestType');
  if (requestType?.toUpperCase() !== 'WADO')
    throw new WebRequestError(
      requestType === undefined ? 400 : 404,
      'this address serves requestType=WADO only',
    );
  if ((one(q, 'anonymize') ?? '').toLowerCase() === 'yes')
    throw new WebRequestError(400, 'anonymisation is not in this version');
  const objectUid = checkUid(one(q, 'objectUID'), 'objectUID');
  const studyText = one(q, 'studyUID');
  const seriesText = one(q, 'seriesUID');
  const study = studyText ? checkUid(studyText, 'studyUID') : undefined;
  const series = seriesText ? checkUid(seriesText, 'seriesUID') : undefined;
  const type = chooseContentType(one(q, 'contentType'));
  const [item] = await requireObjects(ctx, {
    instance: objectUid,
    ...(study ? { study } : {}),
    ...(series ? { series } : {}),
  });
  if (type === 'application/dicom') {
    const wanted = one(q, 'transferSyntax') ?? EXPLICIT_LE;
    if (wanted !== '*') checkUid(wanted, 'transferSyntax');
    if (wanted !== '*' && !findTransferSyntax(wanted))
      throw new WebRequestError(406, 'transferSyntax is not a transfer syntax this server knows');
    const head = await readDicomFile(item!.path, { stopBeforeTag: 0x00000001 });
    const stored = head.transferSyntax.uid;
    reply.header('Content-Disposition', `attachment; filename="${objectUid}.dcm"`);
    if (wanted === '*' || wanted === stored) {
      await reply.type('application/dicom').send(createReadStream(item!.path));
      return;
    }
    if (findTransferSyntax(wanted)?.encapsulated && !hasCodec(wanted))
      throw new WebRequestError(406, 'this server cannot write the requested transfer syntax');
    const file = await readDicomFile(item!.path);
    const out = await transcodeDataset(file.dataset, stored, wanted);
    await reply.type('application/dicom').send(Readable.from(writeDicomFileParts(file.meta, out, wanted)));
    return;
  }
  const rows = positiveInt(one(q, 'rows'), 'rows');
  const columns = positiveInt(one(q, 'columns'), 'columns');
  const frame = positiveInt(one(q, 'frameNumber'), 'frameNumber') ?? 1;
  const quality = positiveInt(one(q, 'imageQuality'), 'imageQuality');
  if (quality !== undefined && quality > 100) throw new WebRequestError(400, 'imageQuality must be 1..100');
  const window = parseWindow(one(q, 'windowCenter'), one(q, 'windowWidth'));
  const region = parseRegion(one(q, 'region'));
  const sizes = [rows, columns].filter((n): n is number => n !== undefined);
  const file = await readDicomFile(item!.path);
  const bytes = await renderPicture(file.dataset, file.transferSyntax.uid, {
    type: type as PictureType,
    frame: frame - 1,
    size: sizes.length ? Math.min(...sizes) : 0,
    ...(window ? { window } : {}),
    ...(region ? { region } : {}),
    ...(quality !== undefined ? { quality } : {}),
  });
  await reply.type(type).send(bytes);
}

export async function wadoUriRoutes(app: FastifyInstance, opts: { ctx: WebContext }): Promise<void> {
  const { ctx } = opts;
  installCors(app, ctx, WADO_PATHS);
  for (const path of WADO_PATHS)
    app.get(path, { preHandler: requireRole('viewer') }, async (request, reply) => {
      try {
        await wadoUri(ctx, request, reply);
      } catch (e) {
        await sendError(reply, ctx, e);
      }
    });
}
