/**
 * The web interface and DICOMweb, in the server process (no CGI): one fastify instance on dicom.ini's
 * WebPort (Conquest TS addition, default 8080), next to the DICOM port. Parts, each a fastify plugin:
 * - auth/plugin.ts — who is asking (sessions, Basic, bearer, anonymous role), CSRF, login rate limit;
 * - dicomweb/routes.ts — QIDO-RS, WADO-RS, STOW-RS at /dicom-web (PS3.18);
 * - wado-uri.ts — WADO-URI at /wado and Conquest's paths;
 * - pages/routes.ts — the pages (patients, studies, series, images, viewers, actions).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { authPlugin } from './auth/plugin.js';
import type { WebContext } from './context.js';
import { dicomWebRoutes } from './dicomweb/routes.js';
import { pageRoutes } from './pages/routes.js';
import { wadoUriRoutes } from './wado-uri.js';

export interface WebServerOptions {
  port: number;
  /** Default 0.0.0.0 as Conquest's web server; tests give 127.0.0.1. */
  host?: string;
}

export interface RunningWebServer {
  readonly port: number;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** The app without listening (tests use app.inject). */
export async function buildWebApp(ctx: WebContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // STOW-RS and uploads stream their bodies; this limits the other requests.
    bodyLimit: 1 << 20,
    routerOptions: { maxParamLength: 1000 },
  });
  app.decorate('webReadOnly', ctx.config().server.webReadOnly);
  await app.register(authPlugin, { ctx });
  await app.register(dicomWebRoutes, { ctx, prefix: '/dicom-web' });
  await app.register(wadoUriRoutes, { ctx });
  await app.register(pageRoutes, { ctx });
  return app;
}

export async function startWebServer(ctx: WebContext, options: WebServerOptions): Promise<RunningWebServer> {
  const app = await buildWebApp(ctx);
  await app.listen({ port: options.port, host: options.host ?? '0.0.0.0' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { port, app, close: () => app.close() };
}
