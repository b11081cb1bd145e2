/**
 * Who is asking, for every route of the app (the plugin skips fastify's encapsulation, so its hooks apply
 * to the DICOMweb, WADO and page routes alike):
 * - a session cookie (`cq_session`, HttpOnly, SameSite=Lax, Secure over https) from the login form;
 * - HTTP Basic (DICOMweb viewers, curl), checked against webusers.json / admin_password; good answers are
 *   remembered for a minute so that a viewer's hundreds of requests do not each pay for scrypt;
 * - a bearer token (Authorization: Bearer cqt_...), made on the accounts page;
 * - else dicom.ini WebAnonymousRole ('' = nobody without credentials).
 * A state-changing request (POST, PUT, PATCH, DELETE) by cookie needs the session's CSRF token (form field
 * `_csrf` or header X-CSRF-Token); Basic and bearer requests are exempt (a browser never adds them on its
 * own). Failed logins are rate-limited per IP address and per user name.
 * Every route must declare a `requireRole` guard; a route that does not gets a viewer guard here (fail
 * closed) and a warning in the log. Routes with `config: { public: true }` (login, assets) need no login.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { WebContext } from '../context.js';
import { registerAccountRoutes } from './accounts.js';
import { GUARD, type Guard, requireRole } from './guard.js';
import { LoginLimiter, SessionStore } from './sessions.js';
import type { WebRole, WebUser } from './user.js';
import { isRole, UserStore } from './users.js';

export const SESSION_COOKIE = 'cq_session';
const BASIC_CACHE_MS = 60_000;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface WebAuth {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly limiter: LoginLimiter;
  /** Checks a login (rate limit included); sets nothing. */
  login(request: FastifyRequest, name: string, password: string): LoginOutcome;
}

export type LoginOutcome =
  | { ok: true; role: WebRole }
  | { ok: false; retryAfterMs: number; reason: 'rate-limited' | 'bad-credentials' };

export interface RouteRecord {
  method: string;
  url: string;
  public: boolean;
  writes: boolean;
}

/** The anonymous role from dicom.ini (Conquest TS addition, [sscscp] WebAnonymousRole). */
export function anonymousRole(ctx: WebContext): WebRole | undefined {
  const v = ctx.config().server.webAnonymousRole.trim().toLowerCase();
  return isRole(v) ? v : undefined;
}

async function authPluginImpl(app: FastifyInstance, opts: { ctx: WebContext }): Promise<void> {
  const { ctx } = opts;
  await app.register(fastifyCookie);
  const users = new UserStore(
    () => ctx.config().dir,
    () => ctx.config().server.adminPassword.trim(),
  );
  const sessions = new SessionStore();
  const limiter = new LoginLimiter();
  const basicCache = new Map<string, { name: string; until: number }>();

  const login = (request: FastifyRequest, name: string, password: string): LoginOutcome => {
    const keys = [`ip:${request.ip}`, `user:${name}`];
    const wait = Math.max(...keys.map((k) => limiter.blockedFor(k)));
    if (wait > 0) return { ok: false, retryAfterMs: wait, reason: 'rate-limited' };
    const role = users.authenticate(name, password);
    if (!role) {
      for (const k of keys) limiter.fail(k);
      ctx.log.warn(`web login failed for '${name.slice(0, 64)}' from ${request.ip}`);
      return { ok: false, retryAfterMs: 0, reason: 'bad-credentials' };
    }
    for (const k of keys) limiter.succeed(k);
    return { ok: true, role };
  };
  const auth: WebAuth = { users, sessions, limiter, login };
  app.decorate('webAuth', auth);
  app.decorate('webRoutes', [] as RouteRecord[]);

  // Urlencoded forms (login, the action forms): parsed here so that `_csrf` is there for the check below.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1 << 20 },
    (_req, body, done) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of new URLSearchParams(body as string)) {
        const prev = out[k];
        out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      done(null, out);
    },
  );

  app.addHook('onRoute', (route: RouteOptions) => {
    const isPublic = (route.config as { public?: boolean } | undefined)?.public === true;
    const handlers = ([] as unknown[]).concat(route.preHandler ?? []);
    const guard = handlers.find((h) => typeof h === 'function' && GUARD in (h as object)) as
      | Guard
      | undefined;
    const methods = ([] as string[]).concat(route.method);
    if (!isPublic && !guard) {
      ctx.log.warn(
        `web route ${methods.join(',')} ${route.url} declares no requireRole: viewer login required`,
      );
      route.preHandler = [requireRole('viewer'), ...(handlers as Guard[])];
    }
    for (const method of methods)
      if (method !== 'HEAD')
        app.webRoutes.push({ method, url: route.url, public: isPublic, writes: STATE_CHANGING.has(method) });
  });

  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    if (header) {
      const user = await fromAuthorization(header, request);
      if (user === 'limited') {
        await reply
          .code(429)
          .header('Retry-After', '60')
          .send({ error: 'too many failed logins; try again later' });
        return reply;
      }
      if (user) {
        request.webUser = user;
        return;
      }
      // Wrong credentials are an error, not anonymous access.
      await reply
        .code(401)
        .header('WWW-Authenticate', 'Basic realm="Conquest TS", charset="UTF-8"')
        .send({ error: 'the credentials are not valid' });
      return reply;
    }
    const session = sessions.get(request.cookies[SESSION_COOKIE]);
    if (session) {
      const role = users.roleOf(session.user);
      if (role) {
        request.webUser = { name: session.user, role, via: 'session' };
        request.csrfToken = session.csrf;
        return;
      }
      sessions.destroy(session.id);
    }
    const anonymous = anonymousRole(ctx);
    if (anonymous) request.webUser = { name: 'anonymous', role: anonymous, via: 'anonymous' };
    return;
  });

  // CSRF: before the route's own guard; the token compared in constant time.
  app.addHook('preHandler', async (request, reply) => {
    if (!STATE_CHANGING.has(request.method) || request.webUser?.via !== 'session') return;
    const body = request.body as Record<string, unknown> | undefined;
    const query = request.query as Record<string, unknown> | undefined;
    const multipart = (request.headers['content-type'] ?? '').startsWith('multipart/form-data');
    const given =
      (typeof request.headers['x-csrf-token'] === 'string' ? request.headers['x-csrf-token'] : undefined) ??
      (body && typeof body === 'object' && typeof body._csrf === 'string' ? body._csrf : undefined) ??
      // A plain HTML upload form cannot set a header and its body is read by the handler: in the URL.
      (multipart && typeof query?._csrf === 'string' ? query._csrf : undefined);
    if (!given || !request.csrfToken || !sameToken(given, request.csrfToken)) {
      await reply.code(403).send({ error: 'missing or wrong CSRF token: reload the page and try again' });
      return reply;
    }
    return;
  });

  async function fromAuthorization(
    header: string,
    request: FastifyRequest,
  ): Promise<WebUser | 'limited' | undefined> {
    const [scheme, value = ''] = header.split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer') {
      const wait = limiter.blockedFor(`ip:${request.ip}`);
      if (wait > 0) return 'limited';
      const found = users.byToken(value.trim());
      if (!found) {
        limiter.fail(`ip:${request.ip}`);
        return undefined;
      }
      return { name: found.name, role: found.role, via: 'bearer' };
    }
    if (scheme?.toLowerCase() !== 'basic') return undefined;
    const key = createHash('sha256').update(header).digest('hex');
    const cached = basicCache.get(key);
    if (cached && cached.until > Date.now()) {
      const role = users.roleOf(cached.name);
      if (role) return { name: cached.name, role, via: 'basic' };
    }
    const text = Buffer.from(value, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) return undefined;
    const name = text.slice(0, colon);
    const outcome = login(request, name, text.slice(colon + 1));
    if (!outcome.ok) return outcome.reason === 'rate-limited' ? 'limited' : undefined;
    if (basicCache.size > 1000) basicCache.clear();
    basicCache.set(key, { name, until: Date.now() + BASIC_CACHE_MS });
    return { name, role: outcome.role, via: 'basic' };
  }

  registerAccountRoutes(app, ctx);
}

function sameToken(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** Sets the session cookie (Secure when the request came over https). */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string): void {
  reply.setCookie(SESSION_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
  });
}

// Hooks and decorations apply to the whole app, not only to this plugin's children.
(authPluginImpl as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
export const authPlugin = authPluginImpl;

declare module 'fastify' {
  interface FastifyInstance {
    webAuth: WebAuth;
    /** Every route registered after the auth plugin, for the access tests and the status page. */
    webRoutes: RouteRecord[];
  }
}
