/**
 * The frame of every page: header with the navigation (what the user's role may use), the logout button,
 * and the main content. Plain HTML with one stylesheet and, where needed, an ES module from /assets.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleAtLeast } from '../auth/user.js';
import { html, type SafeHtml } from './html.js';

export interface PageOptions {
  title: string;
  /** ES modules from /assets to load. */
  scripts?: readonly string[];
  /** A class on <body> (the viewer uses the whole window). */
  bodyClass?: string;
}

export function pageHtml(request: FastifyRequest, options: PageOptions, body: SafeHtml): SafeHtml {
  const user = request.webUser;
  const csrf = request.csrfToken ?? '';
  const link = (href: string, text: string) =>
    html`<li><a href="${href}"${request.url.split('?')[0] === href ? html` aria-current="page"` : ''}>${text}</a></li>`;
  const nav = user
    ? html`<nav aria-label="Main"><ul>
${link('/patients', 'Patients')}${link('/find', 'Find')}${roleAtLeast(user.role, 'operator') ? link('/upload', 'Upload') : ''}${link('/worklist', 'Worklist')}${link('/aes', 'Known AEs')}${link('/status', 'Status')}${user.role === 'admin' ? link('/accounts', 'Accounts') : ''}
</ul>
<span class="who">${user.name} (${user.role})</span>
${user.via === 'session' ? html`<form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Log out</button></form>` : ''}
</nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${csrf}">
<title>${options.title} — Conquest TS</title>
<link rel="stylesheet" href="/assets/style.css">
${(options.scripts ?? []).map((s) => html`<script type="module" src="/assets/${s}"></script>`)}
</head>
<body${options.bodyClass ? html` class="${options.bodyClass}"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header><span class="brand">Conquest TS</span>${nav}</header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>
`;
}

/**
 * Pages load scripts, styles and images from this server only, cannot be framed (clickjacking) and post
 * forms only here.
 */
const PAGE_CSP =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/** Sends a page (HTML, no caching: the pages show live data). */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  options: PageOptions,
  body: SafeHtml,
  status = 200,
): FastifyReply {
  return reply
    .code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .header('Content-Security-Policy', PAGE_CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'same-origin')
    .send(pageHtml(request, options, body).text);
}

/** A page with only a message (errors, results of actions). */
export function sendMessage(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
  back?: string,
): FastifyReply {
  return sendPage(
    request,
    reply,
    { title },
    html`<h1>${title}</h1><p role="${status >= 400 ? 'alert' : 'status'}">${message}</p>${back ? html`<p><a href="${back}">Back</a></p>` : ''}`,
    status,
  );
}

/** The CSRF hidden field every state-changing form carries. */
export function csrfField(request: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${request.csrfToken ?? ''}">`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The session's CSRF token (set by the auth plugin for cookie sessions). */
    csrfToken?: string;
  }
}
