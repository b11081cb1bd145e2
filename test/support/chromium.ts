/**
 * Debian's Chromium driven by playwright-core, as every browser test starts it: headless, no sandbox (the
 * tests run as root), no GPU, no background networking (this machine's network is closed: Chromium would
 * otherwise try Google's hosts at every start), a fresh profile per launch.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false. */
export const CHROMIUM_SKIP: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found: apt-get install -y chromium`;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchOptions {
  viewport: { width: number; height: number };
  /** WebGL through SwiftShader (pages that render with WebGL, e.g. OHIF's cornerstone3D). */
  webgl?: boolean;
  /** Keep pages from installing service workers (a cached app would hide what the server sends). */
  blockServiceWorkers?: boolean;
  /** Folders to delete after the test (the profile is added). */
  cleanup: string[];
}

export async function launchChromium(options: LaunchOptions): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'cq-chromium-'));
  options.cleanup.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: options.webgl ? [...ARGS, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'] : ARGS,
    viewport: options.viewport,
    ...(options.blockServiceWorkers ? { serviceWorkers: 'block' as const } : {}),
  });
}
