/**
 * The pages of the web interface (server-rendered HTML, escaped by pages/html.ts) and their static assets
 * (CSS and plain ES modules from src/web/assets, served from the package: no CDN, no build step).
 * A bad parameter is a 400 with a clear message; nothing from the request goes into a header or a path.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyError, FastifyInstance } from 'fastify';
import { QueryError } from '../../archive/query.js';
import type { WebContext } from '../context.js';
import { registerActionRoutes } from './actions.js';
import { registerBrowseRoutes } from './browse.js';
import { BadRequestError } from './data.js';
import { sendMessage } from './layout.js';
import { registerViewerRoutes } from './viewer.js';

/** The assets: a fixed list, read once (a request names one of these, never a path). */
const ASSETS: Record<string, string> = {
  'style.css': 'text/css; charset=utf-8',
  'viewer.js': 'text/javascript; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
};

/** src/web/assets, from src/web/pages or dist/src/web/pages alike (the assets are not compiled). */
function assetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here
    .replace(/[\\/](dist[^\\/]*)[\\/]src[\\/]web[\\/]pages$/, '')
    .replace(/[\\/]src[\\/]web[\\/]pages$/, '');
  return join(root, 'src', 'web', 'assets');
}

export async function pageRoutes(app: FastifyInstance, opts: { ctx: WebContext }): Promise<void> {
  const { ctx } = opts;
  const dir = assetsDir();
  const cache = new Map<string, Buffer>();
  app.get('/assets/:name', { config: { public: true } }, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!type) return reply.code(404).send({ error: 'no such asset' });
    let body = cache.get(name);
    if (!body) {
      body = readFileSync(join(dir, name));
      cache.set(name, body);
    }
    return reply.header('Content-Type', type).header('Cache-Control', 'no-cache').send(body);
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const bad = error instanceof BadRequestError || error instanceof QueryError;
    const status = bad ? 400 : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500)
      ctx.log.error(`web ${request.method} ${request.url.slice(0, 200)}: ${error.stack ?? error.message}`);
    const message = status >= 500 ? 'The server could not do this; see the server log.' : error.message;
    const wantsHtml = (request.headers.accept ?? '').includes('text/html');
    if (wantsHtml)
      return sendMessage(request, reply, status, status === 400 ? 'Bad request' : 'Error', message);
    return reply.code(status).send({ error: message });
  });

  registerBrowseRoutes(app, ctx);
  registerViewerRoutes(app, ctx);
  registerActionRoutes(app, ctx);
}
