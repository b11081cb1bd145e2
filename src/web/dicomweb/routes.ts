/**
 * DICOMweb at /dicom-web (PS3.18): QIDO-RS searches (qido.ts), WADO-RS retrieval of instances, metadata,
 * frames, bulk data, rendered pictures and thumbnails (wado.ts, metadata.ts), STOW-RS (stow.ts), and CORS
 * as dicom.ini WebCorsOrigins allows. Every route is guarded: reads need the viewer role, STOW-RS the
 * operator role and a writable web interface. Path values are checked before anything else is done (UIDs
 * are digits and dots; frame lists and bulk data paths have fixed forms).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireRole } from '../auth/guard.js';
import type { WebContext } from '../context.js';
import { checkUid, installCors, type ObjectKeys, requireObjects, sendError } from './common.js';
import { MetadataCache } from './metadata.js';
import { type QidoScope, qido, requireJsonAccept } from './qido.js';
import { stow } from './stow.js';
import {
  parseBulkPath,
  parseFrameList,
  sendBulkData,
  sendFrames,
  sendInstances,
  sendRendered,
} from './wado.js';

type Params = Record<string, string | undefined>;

function keysOf(request: FastifyRequest): ObjectKeys {
  const p = (request.params ?? {}) as Params;
  const keys: ObjectKeys = {};
  if (p['study'] !== undefined) keys.study = checkUid(p['study'], 'the study UID');
  if (p['series'] !== undefined) keys.series = checkUid(p['series'], 'the series UID');
  if (p['instance'] !== undefined) keys.instance = checkUid(p['instance'], 'the instance UID');
  return keys;
}

export interface DicomWebOptions {
  ctx: WebContext;
  /** The metadata cache (tests and the benchmark pass their own to look at it). */
  metadata?: MetadataCache;
}

export async function dicomWebRoutes(app: FastifyInstance, opts: DicomWebOptions): Promise<void> {
  const { ctx } = opts;
  const cache = opts.metadata ?? new MetadataCache(metadataCacheBytes(ctx));
  // Precomputed: each stored object's metadata is made in the background right after its store.
  const unsubscribe = ctx.onStored?.((o) => cache.warm(o));
  if (unsubscribe) app.addHook('onClose', async () => unsubscribe());
  const read = { preHandler: requireRole('viewer') };
  const write = { preHandler: requireRole('operator', { writes: true }) };
  const wrap =
    (fn: (request: FastifyRequest, reply: FastifyReply) => Promise<void>) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      try {
        await fn(request, reply);
      } catch (e) {
        await sendError(reply, ctx, e);
      }
    };

  // STOW-RS bodies are streamed by stow.ts (never buffered, no body limit of the app's).
  app.addContentTypeParser('multipart/related', (_request, payload, done) => done(null, payload));

  installCors(app, ctx, ['/*', '/']);

  // ---- QIDO-RS
  const search = (level: QidoScope['level']) =>
    wrap(async (request, reply) => {
      const k = keysOf(request);
      await qido(ctx, request, reply, {
        level,
        ...(k.study ? { study: k.study } : {}),
        ...(k.series ? { series: k.series } : {}),
      });
    });
  app.get('/studies', read, search('study'));
  app.get('/series', read, search('series'));
  app.get('/instances', read, search('instance'));
  app.get('/studies/:study/series', read, search('series'));
  app.get('/studies/:study/instances', read, search('instance'));
  app.get('/studies/:study/series/:series/instances', read, search('instance'));

  // ---- WADO-RS instances
  const retrieve = wrap(async (request, reply) => {
    const items = await requireObjects(ctx, keysOf(request));
    await sendInstances(ctx, request, reply, items);
  });
  app.get('/studies/:study', read, retrieve);
  app.get('/studies/:study/series/:series', read, retrieve);
  app.get('/studies/:study/series/:series/instances/:instance', read, retrieve);

  // ---- metadata
  const metadata = wrap(async (request, reply) => {
    requireJsonAccept(request);
    const items = await requireObjects(ctx, keysOf(request));
    await reply.type('application/dicom+json').send(await cache.many(items));
  });
  app.get('/studies/:study/metadata', read, metadata);
  app.get('/studies/:study/series/:series/metadata', read, metadata);
  app.get('/studies/:study/series/:series/instances/:instance/metadata', read, metadata);

  // ---- frames, bulk data
  const instancePath = '/studies/:study/series/:series/instances/:instance';
  app.get(
    `${instancePath}/frames/:frames`,
    read,
    wrap(async (request, reply) => {
      const keys = keysOf(request);
      const list = parseFrameList(String((request.params as Params)['frames'] ?? ''));
      const [item] = await requireObjects(ctx, keys);
      await sendFrames(request, reply, item!, list);
    }),
  );
  app.get(
    `${instancePath}/bulkdata/*`,
    read,
    wrap(async (request, reply) => {
      const keys = keysOf(request);
      const path = String((request.params as Params)['*'] ?? '');
      // Checked before the lookup: a malformed path is a 400 whatever the UIDs.
      parseBulkPath(path);
      const [item] = await requireObjects(ctx, keys);
      await sendBulkData(request, reply, item!, path);
    }),
  );

  // ---- rendered and thumbnails
  const picture = (thumbnail: boolean) =>
    wrap(async (request, reply) => {
      const keys = keysOf(request);
      const frames = (request.params as Params)['frames'];
      const frame = frames === undefined ? 1 : parseFrameList(frames)[0]!;
      const items = await requireObjects(ctx, keys);
      // A study's or series' thumbnail: its middle instance.
      const item = items[Math.floor(items.length / 2)]!;
      await sendRendered(request, reply, item, frame - 1, thumbnail);
    });
  app.get(`${instancePath}/rendered`, read, picture(false));
  app.get(`${instancePath}/frames/:frames/rendered`, read, picture(false));
  app.get(`${instancePath}/thumbnail`, read, picture(true));
  app.get(`${instancePath}/frames/:frames/thumbnail`, read, picture(true));
  app.get('/studies/:study/series/:series/thumbnail', read, picture(true));
  app.get('/studies/:study/thumbnail', read, picture(true));

  // ---- STOW-RS
  const store = wrap(async (request, reply) => {
    const keys = keysOf(request);
    await stow(ctx, request, reply, keys.study, (sop) => cache.forget(sop));
  });
  app.post('/studies', write, store);
  app.post('/studies/:study', write, store);
}

/** dicom.ini WebMetadataCacheMB (Conquest TS addition; default 256). */
function metadataCacheBytes(ctx: WebContext): number {
  const v = ctx.config().server.webMetadataCacheMB;
  return (Number.isFinite(v) && v > 0 ? v : 256) * (1 << 20);
}
