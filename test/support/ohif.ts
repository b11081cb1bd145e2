/**
 * The OHIF 3 viewer for browser tests: the prebuilt app from the npm registry (@ohif/app ships its
 * production build in package/dist), fetched as a tarball with `npm pack` — never `npm install`, which would
 * pull React and OHIF's whole toolchain — and cached under node_modules/.cache, plus a tiny static server
 * for it with an app-config.js that points OHIF's DICOMweb data source at a Conquest TS web port.
 */
import { execFile } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './corpus.js';

const execFileAsync = promisify(execFile);

export const OHIF_VERSION = '3.13.2';
const PACKAGE = `@ohif/app@${OHIF_VERSION}`;

export const OHIF_CACHE = join(repoRoot(), 'node_modules', '.cache', `ohif-${OHIF_VERSION}`);

/** The extracted dist/ folder, or a reason to skip (registry unreachable, no tar). */
export type OhifDist = { dist: string; skip?: undefined } | { dist?: undefined; skip: string };

/**
 * OHIF's dist/ from the cache, fetching and extracting it first when absent. Extraction goes to a
 * temporary folder that is renamed into place, so an interrupted run never leaves a half-filled cache.
 */
export async function ensureOhifDist(cache: string = OHIF_CACHE): Promise<OhifDist> {
  const dist = join(cache, 'dist');
  if (existsSync(join(dist, 'index.html'))) return { dist };
  mkdirSync(cache, { recursive: true });
  let tarball = findTarball(cache);
  if (!tarball) {
    try {
      // --ignore-scripts: only the tarball is wanted; nothing of the package runs here.
      await execFileAsync(
        'npm',
        [
          'pack',
          PACKAGE,
          '--pack-destination',
          cache,
          '--ignore-scripts',
          // An unreachable registry should give a quick skip, not npm's minutes of retries.
          '--fetch-retries=1',
          '--fetch-retry-maxtimeout=10000',
        ],
        {
          timeout: 300_000,
          maxBuffer: 16 << 20,
        },
      );
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      const why = (err.stderr?.trim() || err.message).trim().split('\n').slice(0, 2).join(' ');
      return { skip: `cannot fetch ${PACKAGE} from the npm registry (${why})` };
    }
    tarball = findTarball(cache);
    if (!tarball) return { skip: `npm pack ${PACKAGE} wrote no tarball into ${cache}` };
  }
  const staging = join(cache, `extract-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  try {
    await execFileAsync('tar', ['-xzf', tarball, '-C', staging, 'package/dist'], { timeout: 300_000 });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    return { skip: `cannot extract ${tarball}: ${(e as Error).message}` };
  }
  if (!existsSync(join(staging, 'package', 'dist', 'index.html'))) {
    rmSync(staging, { recursive: true, force: true });
    return { skip: `${tarball} has no package/dist/index.html` };
  }
  // Another run may have finished first; then its copy is as good as ours.
  if (!existsSync(join(dist, 'index.html'))) {
    rmSync(dist, { recursive: true, force: true });
    renameSync(join(staging, 'package', 'dist'), dist);
  }
  rmSync(staging, { recursive: true, force: true });
  return { dist };
}

function findTarball(cache: string): string | undefined {
  const name = readdirSync(cache).find((n) => n.startsWith('ohif-app-') && n.endsWith('.tgz'));
  return name ? join(cache, name) : undefined;
}

/** Where OHIF finds the archive: the roots of one Conquest TS web server. */
export interface OhifDataSource {
  /** e.g. http://127.0.0.1:8080 (no trailing slash) */
  webBase: string;
}

/**
 * OHIF's app-config.js with a single DICOMweb data source, in the shape of OHIF 3.13's
 * platform/app/public/config/default.js (the dist's own app-config.js), pointed at our server.
 */
export function ohifAppConfig({ webBase }: OhifDataSource): string {
  const root = `${webBase}/dicom-web`;
  const config = {
    name: 'conquest-ts-test',
    routerBasename: null,
    extensions: [],
    modes: [],
    customizationService: {},
    showStudyList: true,
    maxNumberOfWebWorkers: 3,
    showWarningMessageForCrossOrigin: false,
    showCPUFallbackMessage: false,
    showLoadingIndicator: true,
    experimentalStudyBrowserSort: false,
    strictZSpacingForVolumeViewport: true,
    groupEnabledModesFirst: true,
    allowMultiSelectExport: false,
    maxNumRequests: { interaction: 100, thumbnail: 5, prefetch: 25 },
    showErrorDetails: 'always',
    // The "investigational use" banner covers the viewport's lower overlay; a test has nothing to confirm.
    investigationalUseDialog: { option: 'never' },
    defaultDataSourceName: 'conquest',
    dataSources: [
      {
        namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
        sourceName: 'conquest',
        configuration: {
          friendlyName: 'Conquest TS',
          name: 'conquest',
          wadoUriRoot: `${webBase}/wado`,
          qidoRoot: root,
          wadoRoot: root,
          qidoSupportsIncludeField: true,
          supportsReject: false,
          imageRendering: 'wadors',
          thumbnailRendering: 'wadors',
          enableStudyLazyLoad: true,
          supportsFuzzyMatching: true,
          supportsWildcard: true,
          staticWado: false,
          singlepart: 'bulkdata,video',
          bulkDataURI: { enabled: true, relativeResolution: 'studies' },
          omitQuotationForMultipartRequest: true,
        },
      },
    ],
  };
  return `/** Written by test/support/ohif.ts. */\nwindow.config = ${JSON.stringify(config, null, 2)};\n`;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.jsonc': 'application/json',
  '.webapp': 'application/manifest+json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  port: number;
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves `dist` on 127.0.0.1:`port` (0 = any): GET and HEAD only, `/app-config.js` from memory, any path
 * without a file behind it and without an extension answered with index.html (OHIF routes /viewer,
 * /segmentation… in the browser). A path that leaves `dist` — by `..`, an encoded slash or a symbolic
 * link — is a 404, never a file.
 */
export function serveOhif(dist: string, appConfig: string, port = 0): Promise<StaticServer> {
  const rootReal = realpathSync(dist);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      send(400, 'text/plain', 'bad path');
      return;
    }
    // A `..` segment (raw or percent-encoded), a backslash or a NUL never names a file of the app.
    if (pathname.includes('\0') || pathname.includes('\\') || pathname.split('/').includes('..')) {
      send(404, 'text/plain', 'not found');
      return;
    }
    if (pathname === '/app-config.js') {
      send(200, TYPES['.js']!, appConfig);
      return;
    }
    const file = safeFile(rootReal, pathname);
    if (file) {
      const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'content-length': statSync(file).size });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
      return;
    }
    if (extname(pathname) === '') {
      send(200, TYPES['.html']!, readIndex(rootReal));
      return;
    }
    send(404, 'text/plain', 'not found');
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const p = (server.address() as { port: number }).port;
      resolvePromise({
        port: p,
        origin: `http://127.0.0.1:${p}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

let indexCache: { root: string; body: Buffer } | undefined;
function readIndex(root: string): Buffer {
  if (indexCache?.root !== root) {
    // Read once: index.html is small and every SPA route answers with it.
    indexCache = { root, body: readFileSync(join(root, 'index.html')) };
  }
  return indexCache.body;
}

/** The regular file under `root` that `pathname` names, or undefined when there is none or it escapes. */
export function safeFile(root: string, pathname: string): string | undefined {
  const candidate = resolve(root, `.${pathname}`);
  const rel = relative(root, candidate);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) return undefined;
  if (!existsSync(candidate)) return undefined;
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return undefined;
  }
  if (!real.startsWith(root + sep)) return undefined;
  return statSync(real).isFile() ? real : undefined;
}
