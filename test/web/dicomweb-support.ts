/**
 * Shared by the DICOMweb / WADO tests: a temporary archive with its web app (the real auth plugin, with
 * dicom.ini WebAnonymousRole = operator so that requests need no credentials), files loaded through the
 * archive, a listening server for curl, and a small independent multipart/related reader (not the server's).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type Archive, openArchive } from '../../src/archive/archive.js';
import { addFile } from '../../src/archive/maintenance/import.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { WebContext } from '../../src/web/context.js';
import { buildWebApp } from '../../src/web/web-server.js';
import { tempServerDir } from '../archive/maintenance/support.js';
import { setIniKeys } from '../support/databases.js';

export interface WebFixture {
  dir: string;
  archive: Archive;
  ctx: WebContext;
  app: FastifyInstance;
  /** Base URL once listen() was called. */
  base: string;
  listen(): Promise<string>;
  add(files: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

export async function webFixture(ini: Record<string, string> = {}): Promise<WebFixture> {
  const dir = tempServerDir('cq-dweb-');
  setIniKeys(dir, { WebAnonymousRole: 'operator', ...ini });
  const config = loadConfig(dir, { writeDefaults: false });
  const archive = await openArchive(config, { log: silentLogger });
  const ctx: WebContext = {
    archive,
    config: () => config,
    log: silentLogger,
    aeTitle: 'CONQUESTSRV1',
    dicomPort: 5678,
    status: () => ({
      startedAt: new Date(),
      associations: 0,
      stored: 0,
      storeFailures: 0,
      queries: 0,
      retrieved: 0,
    }),
  };
  const app = await buildWebApp(ctx);
  const fixture: WebFixture = {
    dir,
    archive,
    ctx,
    app,
    base: '',
    async listen() {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const a = app.server.address();
      fixture.base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
      return fixture.base;
    },
    async add(files) {
      const out: string[] = [];
      for (const f of files) out.push((await addFile(archive, f, { log: silentLogger, asIs: true })).path);
      return out;
    },
    async close() {
      await app.close();
      await archive.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

export interface Part {
  headers: Map<string, string>;
  body: Buffer;
}

/** Splits a multipart body by the boundary of its Content-Type (an independent, whole-buffer reader). */
export function splitMultipart(contentType: string, body: Buffer): Part[] {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new Error(`no boundary in ${contentType}`);
  const delim = Buffer.from(`--${m[1]}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new Error('no boundary in the body');
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    pos = body.indexOf('\r\n', pos) + 2;
    const headEnd = body.indexOf('\r\n\r\n', pos);
    const headers = new Map<string, string>();
    for (const line of body.subarray(pos, headEnd).toString('latin1').split('\r\n')) {
      const c = line.indexOf(':');
      headers.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), headEnd + 4);
    if (next < 0) throw new Error('unterminated part');
    parts.push({ headers, body: body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}

/** A multipart/related body of the given files' bytes (what a STOW-RS client sends). */
export function multipartBody(boundary: string, parts: readonly { type: string; body: Buffer }[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    out.push(Buffer.from(`--${boundary}\r\nContent-Type: ${p.type}\r\n\r\n`), p.body, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(out);
}

export const CURL_SKIP: string | false =
  spawnSync('curl', ['--version']).status === 0 ? false : 'curl is not installed';

/** Runs curl; resolves with status, headers (lower-cased) and body. */
export function curl(args: readonly string[]): {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
} {
  const r = spawnSync('curl', ['-s', '-i', ...args], { maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`curl failed (${r.status}): ${r.stderr.toString()}`);
  const out = r.stdout;
  let end = out.indexOf('\r\n\r\n');
  let head = out.subarray(0, end).toString('latin1');
  // "HTTP/1.1 100 Continue" before the real answer.
  while (/^HTTP\/\S+ 100/.test(head)) {
    const next = out.indexOf('\r\n\r\n', end + 4);
    head = out.subarray(end + 4, next).toString('latin1');
    end = next;
  }
  const lines = head.split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    headers.set(l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim());
  }
  return { status, headers, body: out.subarray(end + 4) };
}
