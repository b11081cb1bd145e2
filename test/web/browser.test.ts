/**
 * Issue 7, in a real browser: Debian's Chromium driven by playwright-core. Logs in, searches, opens a
 * study, views a series and steps through it with the keys, sends the series to a second server and
 * uploads a file; screenshots go to test-artifacts/web/. Skipped (visibly) without /usr/bin/chromium
 * (`apt-get install -y chromium`).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addFile } from '../../src/archive/maintenance/import.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/logging/logger.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { CHROMIUM_SKIP, launchChromium } from '../support/chromium.js';
import { CORPUS_SKIP, repoRoot } from '../support/corpus.js';
import { freePort } from '../support/ports.js';
import { corpusFiles } from './web-fixture.js';

const SKIP = CORPUS_SKIP || CHROMIUM_SKIP;
const PASSWORD = 'browser-admin-1';
const ARTIFACTS = join(repoRoot(), 'test-artifacts', 'web');
/**
 * Polls until the viewer's image has loaded (locator.evaluate, not waitForFunction: the pages' CSP
 * forbids the eval that the latter uses).
 */
async function imageShown(page: import('playwright-core').Page): Promise<void> {
  const img = page.locator('#viewer-image');
  for (let i = 0; i < 200; i++) {
    const ok = await img.evaluate((e) => {
      const x = e as unknown as { complete: boolean; naturalWidth: number };
      return x.complete && x.naturalWidth > 0;
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the viewer image did not load');
}

async function imageCount(server: RunningServer): Promise<number> {
  const ix = server.archive.index!;
  const row = await ix.driver.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM ${ix.schema.levels.Image!.table}`,
  );
  return Number(row?.n);
}

describe('the web interface in Chromium', { skip: SKIP, timeout: 180_000 }, () => {
  const dirs: string[] = [];
  let a: RunningServer;
  let b: RunningServer;
  // playwright-core is loaded only when the test runs (it is a dev dependency).
  let context: import('playwright-core').BrowserContext;
  let page: import('playwright-core').Page;
  let base: string;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const [portA, portB] = [await freePort(), await freePort()];
    for (const [name, other, otherPort] of [
      ['a', 'SERVERB', portB],
      ['b', 'CONQUESTSRV1', portA],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), `cq-browser-${name}-`));
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
    for (const f of corpusFiles('study/PAT001/20190115_A1001'))
      await addFile(a.archive, f, { log: silentLogger });
    base = `http://127.0.0.1:${a.webPort}`;
    context = await launchChromium({ viewport: { width: 1280, height: 900 }, cleanup: dirs });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await context?.close();
    await a?.close(200);
    await b?.close(200);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('logs in', async () => {
    await page.goto(`${base}/patients`);
    assert.match(page.url(), /\/login\?next=/);
    await page.getByLabel('User').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await shot('01-login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/patients$/);
    assert.ok(await page.getByText('admin (admin)').isVisible());
  });

  it('searches and opens a study', async () => {
    await page.getByLabel('Name or patient ID contains').fill('doe');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('link', { name: 'PAT001' }).click();
    await page.waitForURL(/\/patient\?id=PAT001/);
    await shot('02-studies');
    await page.getByRole('link', { name: 'CT CHEST W/O CONTRAST' }).click();
    await page.waitForURL(/\/study\?uid=/);
    await shot('03-series');
  });

  it('views a series and steps through it with the keys', async () => {
    await page.getByRole('link', { name: 'View' }).nth(1).click();
    await page.waitForURL(/\/viewer\/series\?uid=/);
    const img = page.locator('#viewer-image');
    await imageShown(page);
    assert.equal(await img.getAttribute('data-slice'), '0');
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    assert.equal(await img.getAttribute('data-slice'), '2');
    await page.keyboard.press('PageUp');
    assert.equal(await img.getAttribute('data-slice'), '1');
    await page.locator('#stage').hover();
    await page.mouse.wheel(0, 100);
    await page.locator('#viewer-image[data-slice="2"]').waitFor();
    await page.keyboard.press('p');
    await page
      .locator('#viewer-status')
      .filter({ hasText: /L 40 W 400/ })
      .waitFor();
    await page.keyboard.press('b');
    await page
      .locator('#viewer-status')
      .filter({ hasText: /L 0 W 400/ })
      .waitFor();
    await page.keyboard.press('h');
    await page.keyboard.press('n');
    await page.keyboard.press('i');
    await page.keyboard.press('ArrowLeft');
    const style = await img.getAttribute('style');
    assert.match(style ?? '', /invert\(1\)/);
    assert.match(style ?? '', /scale\(1\.25\)/);
    assert.match((await img.getAttribute('src')) ?? '', /wc=0&ww=320/);
    await imageShown(page);
    await page.keyboard.press('q');
    await page
      .locator('#viewer-header')
      .filter({ hasText: /\(0010,0010\)/ })
      .waitFor();
    await shot('04-viewer');
  });

  it('sends the series to a second server, with progress', async () => {
    const series = new URL(page.url()).searchParams.get('uid')!;
    await page.goto(`${base}/series?uid=${series}`);
    const n = await page.locator('tbody tr').count();
    await page.getByRole('link', { name: 'Send' }).first().click();
    await page.getByLabel('Destination (acrnema.map)').selectOption('SERVERB');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('#job-message').filter({ hasText: /^done/ }).waitFor();
    await shot('05-sent');
    assert.equal(await imageCount(b), n);
  });

  it('uploads a file', async () => {
    const before = await imageCount(a);
    await page.goto(`${base}/upload`);
    await page
      .getByLabel('DICOM files or ZIP files')
      .setInputFiles(corpusFiles('study/PAT003/20221231_A5005')[0]!);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByText('1 of 1 file(s) stored.').waitFor();
    await shot('06-uploaded');
    assert.equal(await imageCount(a), before + 1);
  });
});
