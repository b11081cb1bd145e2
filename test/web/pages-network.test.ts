/**
 * Issue 7, the network actions of the pages, between two in-process servers over real sockets: send a
 * study to a known AE with progress, query the other AE ("find"), and move a study back from it.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addFile } from '../../src/archive/maintenance/import.js';
import { loadConfig } from '../../src/config/config.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { silentLogger } from '../../src/logging/logger.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { CORPUS_SKIP } from '../support/corpus.js';
import { freePort } from '../support/ports.js';
import { corpusFiles } from './web-fixture.js';

const PASSWORD = 'network-admin-1';

async function imageCount(server: RunningServer): Promise<number> {
  const ix = server.archive.index!;
  const row = await ix.driver.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM ${ix.schema.levels.Image!.table}`,
  );
  return Number(row?.n);
}

/** A browser-like client of one server's web port: session cookie and CSRF token. */
class WebClient {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  async login(user: string, password: string): Promise<void> {
    const r = await fetch(`${this.base}/login`, {
      method: 'POST',
      body: new URLSearchParams({ user, password }),
      redirect: 'manual',
    });
    assert.equal(r.status, 303);
    this.cookie = /cq_session=[^;]+/.exec(r.headers.get('set-cookie') ?? '')![0];
    const page = await this.get('/patients');
    this.csrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())![1]!;
  }

  get(path: string): Promise<Response> {
    return fetch(`${this.base}${path}`, { headers: { cookie: this.cookie } });
  }

  post(path: string, fields: Record<string, string>): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { cookie: this.cookie },
      body: new URLSearchParams({ ...fields, _csrf: this.csrf }),
      redirect: 'manual',
    });
  }

  /** Polls a job until it is no longer running. */
  async waitJob(
    page: string,
  ): Promise<{ state: string; done: number; total: number; failed: number; message: string }> {
    const id = /data-job="([0-9a-f]+)"/.exec(page)?.[1];
    assert.ok(id, page.slice(0, 800));
    for (let i = 0; i < 200; i++) {
      const j = (await (await this.get(`/jobs/${id}`)).json()) as {
        state: string;
        done: number;
        total: number;
        failed: number;
        message: string;
      };
      if (j.state !== 'running') return j;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('job did not finish');
  }
}

describe('send, find and move from the web pages', { skip: CORPUS_SKIP }, () => {
  const dirs: string[] = [];
  let a: RunningServer;
  let b: RunningServer;
  let web: WebClient;
  let study: string;
  let files: string[];

  before(async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    for (const [name, other, otherPort] of [
      ['a', 'SERVERB', portB],
      ['b', 'CONQUESTSRV1', portA],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), `cq-webnet-${name}-`));
      dirs.push(dir);
      loadConfig(dir);
      writeFileSync(join(dir, 'acrnema.map'), `/* test */\n${other} 127.0.0.1 ${otherPort} un\n`);
      appendFileSync(join(dir, 'dicom.ini'), `\nadmin_password = ${PASSWORD}\n`);
    }
    a = await startServer({
      dir: dirs[0]!,
      port: portA,
      webPort: await freePort(),
      host: '127.0.0.1',
      log: silentLogger,
    });
    b = await startServer({
      dir: dirs[1]!,
      port: portB,
      webPort: 0,
      aeTitle: 'SERVERB',
      host: '127.0.0.1',
      log: silentLogger,
    });
    files = corpusFiles('study/PAT003/20221231_A5005');
    for (const f of files) await addFile(a.archive, f, { log: silentLogger });
    study = (await readDicomFile(files[0]!)).dataset.string('StudyInstanceUID')!;
    web = new WebClient(`http://127.0.0.1:${a.webPort}`);
    await web.login('admin', PASSWORD);
  });
  after(async () => {
    await a?.close(200);
    await b?.close(200);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('sends a study to a known AE and shows the progress', async () => {
    const page = await (await web.get(`/send?level=study&key=${study}`)).text();
    assert.match(page, /<option value="SERVERB">/);
    const r = await web.post('/send', { level: 'STUDY', key: study, dest: 'SERVERB' });
    assert.equal(r.status, 200);
    const job = await web.waitJob(await r.text());
    assert.equal(job.state, 'done', job.message);
    assert.equal(job.done, files.length);
    assert.equal(job.total, files.length);
    assert.equal(await imageCount(b), files.length);
  });

  it('refuses a destination that is not in acrnema.map', async () => {
    const r = await web.post('/send', { level: 'STUDY', key: study, dest: 'NOWHERE' });
    assert.equal(r.status, 400);
  });

  it('queries the other AE and moves a study from it to this server', async () => {
    const found = await (await web.get('/find?ae=SERVERB&level=STUDY&q=PAT003')).text();
    assert.match(found, /1 match\(es\) on SERVERB/);
    assert.match(found, new RegExp(`name="key" value="${study.replace(/\./g, '\\.')}"`));
    const del = await web.post('/delete', { level: 'STUDY', key: study, confirm: 'yes' });
    assert.equal(del.status, 200);
    assert.equal(await imageCount(a), 0);
    const r = await web.post('/find/move', { ae: 'SERVERB', level: 'STUDY', key: study });
    const job = await web.waitJob(await r.text());
    assert.equal(job.state, 'done', job.message);
    assert.equal(job.done, files.length);
    assert.equal(await imageCount(a), files.length);
  });
});
