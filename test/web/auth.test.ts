/**
 * Issue 7, access control: with auth on, no page or endpoint answers without a login; CSRF tokens on
 * cookie sessions; login rate limiting; roles; WEBReadOnly; Basic and bearer for DICOMweb viewers;
 * WebAnonymousRole; admin_password (manual Appendix 4); webusers.json holds scrypt hashes only.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import type { Logger } from '../../src/logging/logger.js';
import { authPlugin } from '../../src/web/auth/plugin.js';
import { hashPassword, verifyPassword } from '../../src/web/auth/users.js';
import { buildWebApp } from '../../src/web/web-server.js';
import { basic, form, login, type WebFixture, webFixture } from './web-fixture.js';

const ADMIN_PASSWORD = 'admin-secret-1';

/** A logger keeping its warnings. */
function warnLogger(warnings: string[]): Logger {
  const log: Logger = {
    error: () => {},
    warn: (m) => warnings.push(m),
    info: () => {},
    debug: () => {},
    child: () => log,
  };
  return log;
}

/** A concrete URL for a route pattern (parameters filled with a harmless UID). */
function concrete(url: string): string {
  return url.replace(/:[A-Za-z0-9_]+(\([^)]*\))?/g, '1.2.3').replace(/\*/g, 'x');
}

describe('web access control', () => {
  let f: WebFixture;
  before(async () => {
    f = await webFixture([`admin_password = ${ADMIN_PASSWORD}`]);
  });
  after(async () => f?.close());

  it('answers no route without a login: 401 for APIs, a redirect to /login for pages', async () => {
    const routes = f.app.webRoutes.filter((r) => !r.public);
    assert.ok(routes.length >= 20, `only ${routes.length} routes`);
    const open: string[] = [];
    for (const r of routes) {
      const res = await f.app.inject({
        method: r.method as 'GET',
        url: concrete(r.url),
        ...(r.method === 'GET' || r.method === 'DELETE' ? {} : form({ x: '1' })),
      });
      const toLogin =
        (res.statusCode === 302 || res.statusCode === 303) && /^\/login/.test(String(res.headers.location));
      if (!(res.statusCode === 401 || toLogin)) open.push(`${r.method} ${r.url} → ${res.statusCode}`);
    }
    assert.deepEqual(open, []);
    const api = await f.app.inject({ method: 'GET', url: '/web/info/1.2.3' });
    assert.equal(api.statusCode, 401);
    assert.match(String(api.headers['www-authenticate']), /^Basic realm=/);
  });

  it('only the login form and the assets are public (and CORS preflights)', () => {
    const pub = f.app.webRoutes
      .filter((r) => r.public && r.method !== 'OPTIONS')
      .map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(pub.sort(), ['GET /assets/:name', 'GET /login', 'POST /login']);
  });

  it('logs in as admin with dicom.ini admin_password; a wrong password is refused', async () => {
    const bad = await f.app.inject({
      method: 'POST',
      url: '/login',
      ...form({ user: 'admin', password: 'nope' }),
    });
    assert.equal(bad.statusCode, 401);
    assert.match(bad.body, /Wrong user name or password/);
    const { cookie } = await login(f.app, 'admin', ADMIN_PASSWORD);
    const page = await f.app.inject({ method: 'GET', url: '/accounts', headers: { cookie } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /admin \(admin\)/);
  });

  it('sets the session cookie HttpOnly and SameSite=Lax, not Secure over plain http', async () => {
    const r = await f.app.inject({
      method: 'POST',
      url: '/login',
      ...form({ user: 'admin', password: ADMIN_PASSWORD }),
    });
    const c = r.cookies.find((x) => x.name === 'cq_session');
    assert.ok(c);
    assert.equal(c.httpOnly, true);
    assert.equal(String(c.sameSite).toLowerCase(), 'lax');
    assert.ok(!c.secure);
    assert.equal(Buffer.from(c.value, 'base64url').length, 32);
  });

  it('never redirects a login to another site or with a header break', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil', '/a\r\nSet-Cookie: x=1']) {
      const r = await f.app.inject({
        method: 'POST',
        url: '/login',
        ...form({ user: 'admin', password: ADMIN_PASSWORD, next }),
      });
      assert.equal(r.statusCode, 303);
      assert.equal(r.headers.location, '/');
    }
  });

  it('needs the CSRF token for a state-changing request by cookie', async () => {
    const { cookie, csrf } = await login(f.app, 'admin', ADMIN_PASSWORD);
    const fields = { name: 'olga', role: 'operator', password: 'olga-password' };
    const without = await f.app.inject({
      method: 'POST',
      url: '/accounts/user',
      headers: { cookie, ...form(fields).headers },
      payload: form(fields).payload,
    });
    assert.equal(without.statusCode, 403);
    assert.match(without.body, /CSRF/);
    const wrong = await f.app.inject({
      method: 'POST',
      url: '/accounts/user',
      headers: { cookie, ...form({ ...fields, _csrf: 'x' }).headers },
      payload: form({ ...fields, _csrf: 'x' }).payload,
    });
    assert.equal(wrong.statusCode, 403);
    const ok = await f.app.inject({
      method: 'POST',
      url: '/accounts/user',
      headers: { cookie, ...form({ ...fields, _csrf: csrf }).headers },
      payload: form({ ...fields, _csrf: csrf }).payload,
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const header = await f.app.inject({
      method: 'POST',
      url: '/accounts/user',
      headers: {
        cookie,
        'x-csrf-token': csrf,
        ...form({ name: 'vera', role: 'viewer', password: 'vera-password' }).headers,
      },
      payload: form({ name: 'vera', role: 'viewer', password: 'vera-password' }).payload,
    });
    assert.equal(header.statusCode, 200, header.body);
  });

  it('keeps scrypt hashes in webusers.json, never the password', () => {
    const text = readFileSync(join(f.dir, 'webusers.json'), 'utf8');
    assert.ok(!text.includes('olga-password'));
    const users = JSON.parse(text).users as { name: string; role: string; password: string }[];
    const olga = users.find((u) => u.name === 'olga')!;
    assert.equal(olga.role, 'operator');
    assert.match(olga.password, /^scrypt\$16384\$8\$1\$/);
    assert.ok(verifyPassword('olga-password', olga.password));
    assert.ok(!verifyPassword('olga-passwore', olga.password));
    assert.notEqual(hashPassword('same'), hashPassword('same'), 'a salt per hash');
  });

  it('enforces roles: a viewer cannot reach accounts or delete; an operator cannot manage accounts', async () => {
    const viewer = await login(f.app, 'vera', 'vera-password');
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/accounts', headers: { cookie: viewer.cookie } }))
        .statusCode,
      403,
    );
    const del = form({ level: 'study', key: '1.2.3', confirm: 'yes', _csrf: viewer.csrf });
    assert.equal(
      (
        await f.app.inject({
          method: 'POST',
          url: '/delete',
          headers: { cookie: viewer.cookie, ...del.headers },
          payload: del.payload,
        })
      ).statusCode,
      403,
    );
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/patients', headers: { cookie: viewer.cookie } }))
        .statusCode,
      200,
    );
    const op = await login(f.app, 'olga', 'olga-password');
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/accounts', headers: { cookie: op.cookie } })).statusCode,
      403,
    );
    assert.equal(
      (
        await f.app.inject({
          method: 'GET',
          url: '/delete?level=study&key=1.2.3',
          headers: { cookie: op.cookie },
        })
      ).statusCode,
      200,
    );
  });

  it('accepts HTTP Basic and bearer tokens, without CSRF; refuses wrong ones', async () => {
    assert.equal(
      (
        await f.app.inject({
          method: 'GET',
          url: '/status',
          headers: { authorization: basic('vera', 'vera-password') },
        })
      ).statusCode,
      200,
    );
    const bad = await f.app.inject({
      method: 'GET',
      url: '/status',
      headers: { authorization: basic('vera', 'wrong-one') },
    });
    assert.equal(bad.statusCode, 401);
    const admin = await login(f.app, 'admin', ADMIN_PASSWORD);
    const t = form({ user: 'vera', label: 'ohif', _csrf: admin.csrf });
    const made = await f.app.inject({
      method: 'POST',
      url: '/accounts/token',
      headers: { cookie: admin.cookie, ...t.headers },
      payload: t.payload,
    });
    const token = /<output class="token">([^<]+)<\/output>/.exec(made.body)?.[1];
    assert.ok(token, made.body);
    assert.ok(!readFileSync(join(f.dir, 'webusers.json'), 'utf8').includes(token));
    const r = await f.app.inject({
      method: 'GET',
      url: '/status',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /vera \(viewer\)/);
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/status', headers: { authorization: 'Bearer cqt_nope' } }))
        .statusCode,
      401,
    );
    // Basic needs no CSRF token (a browser never sends it by itself).
    const u = form({ name: 'basicuser', role: 'viewer', password: 'basic-password' });
    const byBasic = await f.app.inject({
      method: 'POST',
      url: '/accounts/user',
      headers: { authorization: basic('admin', ADMIN_PASSWORD), ...u.headers },
      payload: u.payload,
    });
    assert.equal(byBasic.statusCode, 200, byBasic.body);
  });

  it('logs out: the session no longer works', async () => {
    const s = await login(f.app, 'vera', 'vera-password');
    const out = form({ _csrf: s.csrf });
    const r = await f.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: s.cookie, ...out.headers },
      payload: out.payload,
    });
    assert.equal(r.statusCode, 303);
    const again = await f.app.inject({ method: 'GET', url: '/patients', headers: { cookie: s.cookie } });
    assert.equal(again.statusCode, 302);
    assert.match(String(again.headers.location), /^\/login/);
  });

  it('rate-limits failed logins per user: after 5 failures even the right password gets 429', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await f.app.inject({
        method: 'POST',
        url: '/login',
        remoteAddress: `10.0.0.${i + 1}`,
        ...form({ user: 'olga', password: `bad${i}` }),
      });
      assert.equal(r.statusCode, 401);
    }
    const r = await f.app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress: '10.0.0.99',
      ...form({ user: 'olga', password: 'olga-password' }),
    });
    assert.equal(r.statusCode, 429);
    assert.ok(Number(r.headers['retry-after']) >= 1);
  });

  it('rate-limits failed logins per IP address, over user names', async () => {
    for (let i = 0; i < 5; i++)
      await f.app.inject({
        method: 'POST',
        url: '/login',
        remoteAddress: '10.9.9.9',
        ...form({ user: `nobody${i}`, password: 'x' }),
      });
    const r = await f.app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress: '10.9.9.9',
      ...form({ user: 'vera', password: 'vera-password' }),
    });
    assert.equal(r.statusCode, 429);
  });
});

describe('WEBReadOnly and WebAnonymousRole', () => {
  let f: WebFixture;
  before(async () => {
    f = await webFixture([
      `admin_password = ${ADMIN_PASSWORD}`,
      'WEBReadOnly = 1',
      'WebAnonymousRole = viewer',
    ]);
  });
  after(async () => f?.close());

  it('gives requests without credentials the anonymous role', async () => {
    const r = await f.app.inject({ method: 'GET', url: '/patients' });
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /anonymous \(viewer\)/);
    assert.equal((await f.app.inject({ method: 'GET', url: '/accounts' })).statusCode, 403);
  });

  it('refuses every write under WEBReadOnly, even to an admin', async () => {
    const admin = await login(f.app, 'admin', ADMIN_PASSWORD);
    const u = form({ name: 'x1', role: 'viewer', password: 'password-x1', _csrf: admin.csrf });
    const r = await f.app.inject({
      method: 'POST',
      url: '/accounts/user',
      headers: { cookie: admin.cookie, ...u.headers },
      payload: u.payload,
    });
    assert.equal(r.statusCode, 403);
    assert.match(r.body, /read-only/);
    const d = form({ level: 'study', key: '1.2.3', confirm: 'yes', _csrf: admin.csrf });
    assert.equal(
      (
        await f.app.inject({
          method: 'POST',
          url: '/delete',
          headers: { cookie: admin.cookie, ...d.headers },
          payload: d.payload,
        })
      ).statusCode,
      403,
    );
  });
});

describe('routes without a guard', () => {
  it('get a viewer guard (fail closed) and a warning', async () => {
    const f = await webFixture();
    const warnings: string[] = [];
    const app = Fastify();
    const ctx = { ...f.ctx, log: warnLogger(warnings) };
    try {
      await app.register(authPlugin, { ctx });
      app.get('/forgotten', async () => 'open');
      const r = await app.inject({ method: 'GET', url: '/forgotten' });
      assert.equal(r.statusCode, 401);
      assert.match(warnings.join('\n'), /GET \/forgotten declares no requireRole/);
    } finally {
      await app.close();
      await f.close();
    }
  });

  it('the app itself has none: every route declares its guard', async () => {
    const warnings: string[] = [];
    const f = await webFixture();
    const app = await buildWebApp({ ...f.ctx, log: warnLogger(warnings) });
    await app.close();
    await f.close();
    assert.deepEqual(
      warnings.filter((w) => /requireRole/.test(w)),
      [],
    );
  });
});

describe('anonymous access is off by default', () => {
  it('sends a page request without credentials to the login form', async () => {
    const f = await webFixture();
    try {
      const r = await f.app.inject({ method: 'GET', url: '/patients?q=x' });
      assert.equal(r.statusCode, 302);
      assert.equal(r.headers.location, `/login?next=${encodeURIComponent('/patients?q=x')}`);
      const page = await f.app.inject({ method: 'GET', url: '/login' });
      assert.match(page.body, /No accounts yet/);
    } finally {
      await f.close();
    }
  });
});
