/**
 * A web app over a fresh archive in a temporary folder (dicom.ini with extra lines), for app.inject tests,
 * with helpers to log in and to load corpus studies.
 */
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Archive, openArchive } from '../../src/archive/archive.js';
import { addFile } from '../../src/archive/maintenance/import.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { WebContext } from '../../src/web/context.js';
import { buildWebApp } from '../../src/web/web-server.js';
import { CORPUS_DIR } from '../support/corpus.js';

export interface WebFixture {
  dir: string;
  archive: Archive;
  app: FastifyInstance;
  ctx: WebContext;
  close(): Promise<void>;
}

export async function webFixture(iniLines: readonly string[] = []): Promise<WebFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'cq-web-'));
  loadConfig(dir);
  if (iniLines.length) appendFileSync(join(dir, 'dicom.ini'), `\n${iniLines.join('\n')}\n`);
  const config = loadConfig(dir);
  const archive = await openArchive(config, { log: silentLogger, owner: true });
  const ctx: WebContext = {
    archive,
    config: () => config,
    log: silentLogger,
    aeTitle: config.server.myACRNema,
    dicomPort: config.server.tcpPort,
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
  return {
    dir,
    archive,
    app,
    ctx,
    close: async () => {
      await app.close();
      await archive.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every .dcm under a corpus folder. */
export function corpusFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.dcm')) out.push(p);
    }
  };
  walk(join(CORPUS_DIR, folder));
  return out;
}

export async function loadCorpus(archive: Archive, folder: string): Promise<number> {
  const files = corpusFiles(folder);
  for (const f of files) await addFile(archive, f, { log: silentLogger });
  return files.length;
}

/** Logs in through the form; the session cookie and CSRF token. */
export async function login(
  app: FastifyInstance,
  user: string,
  password: string,
): Promise<{ cookie: string; csrf: string }> {
  const r = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ user, password, next: '/patients' }).toString(),
  });
  if (r.statusCode !== 303) throw new Error(`login answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
  const set = r.cookies.find((c) => c.name === 'cq_session');
  if (!set) throw new Error('no session cookie');
  const cookie = `cq_session=${set.value}`;
  const page = await app.inject({ method: 'GET', url: '/patients', headers: { cookie } });
  const m = /name="csrf-token" content="([^"]+)"/.exec(page.body);
  if (!m) throw new Error('no CSRF token on the page');
  return { cookie, csrf: m[1]! };
}

export function form(fields: Record<string, string>): { headers: Record<string, string>; payload: string } {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
