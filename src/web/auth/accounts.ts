/**
 * The login form, logout, and the accounts page (admins: add a user, set a role, reset a password, remove a
 * user, make and revoke bearer tokens for DICOMweb viewers).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebContext } from '../context.js';
import { html } from '../pages/html.js';
import { csrfField, sendMessage, sendPage } from '../pages/layout.js';
import { requireRole } from './guard.js';
import { SESSION_COOKIE, setSessionCookie } from './plugin.js';
import { ROLE_ORDER } from './user.js';
import { AccountError, isRole } from './users.js';

type Form = Record<string, string | string[] | undefined>;

function field(body: unknown, name: string): string {
  const v = body && typeof body === 'object' ? (body as Form)[name] : undefined;
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? '') : '';
}

/** Only a path on this server, never another origin or a header-breaking value. */
export function safeNext(next: string): string {
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

export function registerAccountRoutes(app: FastifyInstance, ctx: WebContext): void {
  const auth = () => app.webAuth;

  const loginPage = (request: FastifyRequest, reply: FastifyReply, status: number, message: string) => {
    const next = safeNext(String((request.query as Form).next ?? field(request.body, 'next') ?? '/'));
    const hint = auth().users.hasAccounts()
      ? ''
      : html`<p class="note">No accounts yet: set <code>admin_password</code> in dicom.ini and log in as
          <code>admin</code>, then add accounts on the Accounts page.</p>`;
    return sendPage(
      request,
      reply,
      { title: 'Log in' },
      html`<h1>Log in</h1>
${message ? html`<p role="alert" class="error">${message}</p>` : ''}${hint}
<form method="post" action="/login" class="login">
<input type="hidden" name="next" value="${next}">
<p><label for="user">User</label> <input id="user" name="user" autocomplete="username" required autofocus></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Log in</button></p>
</form>`,
      status,
    );
  };

  app.get('/login', { config: { public: true } }, async (request, reply) =>
    loginPage(request, reply, 200, ''),
  );

  app.post('/login', { config: { public: true } }, async (request, reply) => {
    const name = field(request.body, 'user').trim();
    const password = field(request.body, 'password');
    const outcome = auth().login(request, name, password);
    if (!outcome.ok) {
      if (outcome.reason === 'rate-limited') {
        reply.header('Retry-After', String(Math.ceil(outcome.retryAfterMs / 1000)));
        return loginPage(request, reply, 429, 'Too many failed logins. Wait a moment and try again.');
      }
      return loginPage(request, reply, 401, 'Wrong user name or password.');
    }
    const old = request.cookies[SESSION_COOKIE];
    auth().sessions.destroy(old);
    const session = auth().sessions.create(name);
    setSessionCookie(request, reply, session.id);
    ctx.log.info(`web login: ${name} (${outcome.role}) from ${request.ip}`);
    return reply.redirect(safeNext(field(request.body, 'next') || '/'), 303);
  });

  app.post('/logout', { preHandler: requireRole('viewer') }, async (request, reply) => {
    auth().sessions.destroy(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  app.get('/accounts', { preHandler: requireRole('admin', { page: true }) }, async (request, reply) => {
    const users = auth().users;
    const roles = (selected: string) =>
      ROLE_ORDER.map((r) => html`<option value="${r}"${r === selected ? html` selected` : ''}>${r}</option>`);
    const rows = users.users().map(
      (u) => html`<tr><td>${u.name}</td><td>
<form method="post" action="/accounts/user" class="inline">${csrfField(request)}<input type="hidden" name="name" value="${u.name}">
<label class="sr" for="role-${u.name}">Role of ${u.name}</label><select id="role-${u.name}" name="role">${roles(u.role)}</select>
<label class="sr" for="pw-${u.name}">New password for ${u.name}</label><input id="pw-${u.name}" name="password" type="password" placeholder="new password (optional)" autocomplete="new-password">
<button type="submit">Save</button></form></td><td>
<form method="post" action="/accounts/remove" class="inline">${csrfField(request)}<input type="hidden" name="name" value="${u.name}"><button type="submit">Remove</button></form></td></tr>`,
    );
    const tokens = users.tokens().map(
      (t) => html`<tr><td>${t.user}</td><td>${t.label}</td><td>${t.created}</td><td>
<form method="post" action="/accounts/revoke" class="inline">${csrfField(request)}<input type="hidden" name="id" value="${t.id}"><button type="submit">Revoke</button></form></td></tr>`,
    );
    return sendPage(
      request,
      reply,
      { title: 'Accounts' },
      html`<h1>Accounts</h1>
<p>Users are kept in <code>${users.file}</code> (scrypt-hashed passwords).${
        ctx.config().server.adminPassword.trim()
          ? html` The login <code>admin</code> with dicom.ini's admin_password is an administrator too.`
          : ''
      }</p>
<table><caption>Users</caption><thead><tr><th scope="col">User</th><th scope="col">Role and password</th><th scope="col">Remove</th></tr></thead>
<tbody>${rows}</tbody></table>
<h2>Add a user</h2>
<form method="post" action="/accounts/user">${csrfField(request)}
<p><label for="new-name">User name</label> <input id="new-name" name="name" required pattern="[A-Za-z0-9._@\\-]{1,64}"></p>
<p><label for="new-role">Role</label> <select id="new-role" name="role">${roles('viewer')}</select></p>
<p><label for="new-password">Password (8 characters or more)</label> <input id="new-password" name="password" type="password" required minlength="8" autocomplete="new-password"></p>
<p><button type="submit">Add user</button></p></form>
<h2>Bearer tokens for DICOMweb viewers</h2>
<table><caption>Tokens</caption><thead><tr><th scope="col">User</th><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Revoke</th></tr></thead>
<tbody>${tokens}</tbody></table>
<form method="post" action="/accounts/token">${csrfField(request)}
<p><label for="token-user">For user</label> <input id="token-user" name="user" required></p>
<p><label for="token-label">Label</label> <input id="token-label" name="label" maxlength="64"></p>
<p><button type="submit">Make a token</button></p></form>`,
    );
  });

  const adminWrite = { preHandler: requireRole('admin', { writes: true, page: true }) };
  const guarded = async (request: FastifyRequest, reply: FastifyReply, action: () => string) => {
    try {
      return sendMessage(request, reply, 200, 'Accounts', action(), '/accounts');
    } catch (e) {
      if (e instanceof AccountError)
        return sendMessage(request, reply, 400, 'Accounts', e.message, '/accounts');
      throw e;
    }
  };

  app.post('/accounts/user', adminWrite, async (request, reply) =>
    guarded(request, reply, () => {
      const name = field(request.body, 'name').trim();
      const role = field(request.body, 'role');
      const password = field(request.body, 'password');
      if (role && !isRole(role)) throw new AccountError('unknown role');
      auth().users.setUser(name, {
        ...(isRole(role) ? { role } : {}),
        ...(password ? { password } : {}),
      });
      if (password) auth().sessions.destroyUser(name);
      ctx.log.info(`web accounts: ${request.webUser?.name} saved user ${name}`);
      return `User ${name} saved.`;
    }),
  );

  app.post('/accounts/remove', adminWrite, async (request, reply) =>
    guarded(request, reply, () => {
      const name = field(request.body, 'name');
      if (!auth().users.removeUser(name)) throw new AccountError(`no user ${name}`);
      auth().sessions.destroyUser(name);
      return `User ${name} removed.`;
    }),
  );

  app.post('/accounts/token', adminWrite, async (request, reply) => {
    try {
      const token = auth().users.createToken(
        field(request.body, 'user').trim(),
        field(request.body, 'label'),
      );
      return sendPage(
        request,
        reply,
        { title: 'Token' },
        html`<h1>New token</h1><p>Copy it now: it is not shown again. Use it as <code>Authorization: Bearer …</code>.</p>
<p><output class="token">${token}</output></p><p><a href="/accounts">Back</a></p>`,
      );
    } catch (e) {
      if (e instanceof AccountError)
        return sendMessage(request, reply, 400, 'Accounts', e.message, '/accounts');
      throw e;
    }
  });

  app.post('/accounts/revoke', adminWrite, async (request, reply) =>
    guarded(request, reply, () => {
      if (!auth().users.revokeToken(field(request.body, 'id'))) throw new AccountError('no such token');
      return 'Token revoked.';
    }),
  );
}
