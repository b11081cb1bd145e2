/**
 * What the DICOMweb and WADO-URI handlers share: request-value checks (a UID is digits and dots, nothing a
 * path or a header could be built from), the typed error every handler throws and one place that turns it
 * into a response, and the lookup of stored files through the index (src/archive/retrieve.ts, the same
 * selection a C-MOVE makes).
 */
import type { FastifyReply } from 'fastify';
import { type RetrieveItem, selectForRetrieve } from '../../archive/retrieve.js';
import { Dataset } from '../../dicom/dataset.js';
import type { WebContext } from '../context.js';

/** A failure with the HTTP status to answer. The message is ours, never a request value echoed raw. */
export class WebRequestError extends Error {
  override readonly name = 'WebRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UID = /^[0-9.]{1,64}$/;

/** A UID from the request, or a 400. `what` names the parameter in the message. */
export function checkUid(value: unknown, what: string): string {
  if (typeof value !== 'string' || !UID.test(value))
    throw new WebRequestError(400, `${what} is not a UID (digits and dots, at most 64)`);
  return value;
}

/** Sends a WebRequestError as JSON; anything else is a 500 with a generic message (details in the log). */
export async function sendError(reply: FastifyReply, ctx: WebContext, e: unknown): Promise<void> {
  if (reply.sent) return;
  if (e instanceof WebRequestError) {
    await reply.code(e.status).type('application/json').send({ error: e.message });
    return;
  }
  ctx.log.error(`web: ${(e as Error).stack ?? String(e)}`);
  await reply.code(500).type('application/json').send({ error: 'internal error (see the server log)' });
}

export interface ObjectKeys {
  study?: string;
  series?: string;
  instance?: string;
}

/** The stored objects of a study, series or instance, in series and instance order. */
export async function findObjects(ctx: WebContext, keys: ObjectKeys): Promise<RetrieveItem[]> {
  const index = ctx.archive.index;
  if (!index) return [];
  const id = new Dataset();
  const level = keys.instance ? 'IMAGE' : keys.series ? 'SERIES' : 'STUDY';
  id.setStrings('QueryRetrieveLevel', level);
  if (keys.study) id.setStrings('StudyInstanceUID', keys.study);
  if (keys.series) id.setStrings('SeriesInstanceUID', keys.series);
  if (keys.instance) id.setStrings('SOPInstanceUID', keys.instance);
  return selectForRetrieve(index.schema, index.driver, ctx.archive.devices, 'STUDY', id);
}

/** findObjects, or a 404 naming the level when nothing is stored. */
export async function requireObjects(ctx: WebContext, keys: ObjectKeys): Promise<RetrieveItem[]> {
  const items = await findObjects(ctx, keys);
  if (items.length === 0) {
    const what = keys.instance ? 'instance' : keys.series ? 'series' : 'study';
    throw new WebRequestError(404, `no such ${what} in this archive`);
  }
  return items;
}

/** The origin allowed by dicom.ini WebCorsOrigins for a request's Origin, or undefined (no CORS headers). */
export function corsOrigin(ctx: WebContext, origin: string | undefined): string | undefined {
  const setting = ctx.config().server.webCorsOrigins.trim();
  if (setting === '' || !origin) return undefined;
  if (setting === '*') return '*';
  const allowed = setting.split(',').map((s) => s.trim().replace(/\/+$/, ''));
  // Only an exact match is reflected, so that a header never carries an arbitrary request value.
  return allowed.includes(origin) ? origin : undefined;
}

const CORS_METHODS = 'GET, POST, OPTIONS';
const CORS_HEADERS = 'Accept, Authorization, Content-Type, X-CSRF-Token';
const CORS_EXPOSE = 'Content-Type, Content-Length, Warning, Location';

/** Registers CORS for the routes of `app` (a plugin scope): headers on answers and OPTIONS preflights. */
export function installCors(
  app: import('fastify').FastifyInstance,
  ctx: WebContext,
  preflightPaths: readonly string[],
): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const origin = corsOrigin(ctx, request.headers.origin);
    if (origin) {
      reply.header('Access-Control-Allow-Origin', origin);
      reply.header('Access-Control-Expose-Headers', CORS_EXPOSE);
      if (origin !== '*') reply.header('Vary', 'Origin');
    }
    return payload;
  });
  // A preflight carries no credentials (Fetch standard): it is a public route (no role guard) that says
  // only which methods and headers may follow and returns no data; the request itself is guarded.
  for (const path of preflightPaths) {
    app.options(path, { config: { public: true } }, async (request, reply) => {
      const origin = corsOrigin(ctx, request.headers.origin);
      if (origin) {
        reply.header('Access-Control-Allow-Methods', CORS_METHODS);
        reply.header('Access-Control-Allow-Headers', CORS_HEADERS);
        reply.header('Access-Control-Max-Age', '600');
        if (origin !== '*') reply.header('Access-Control-Allow-Credentials', 'true');
      }
      await reply.code(204).send();
    });
  }
}
