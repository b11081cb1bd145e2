/**
 * The drop folders (manual: "files entered in this folder are automatically loaded into the server and
 * deleted"): MAG0's `incoming` folder (not `.incoming`, the store's own temporary folder) and the folder
 * dicom.ini's WatchFolder names.
 *
 * Each folder is scanned at start, on fs.watch events, and every `rescanMs` (fs.watch misses events on
 * network shares and under load). A file is loaded only once its size and modification time have stayed
 * the same for `stableMs` (it may still be being copied); it is loaded as --loadanddeletedir loads files
 * and deleted once stored. A file that cannot be loaded stays where it is and is reported once; it is tried
 * again only when it changes (a copy that was not finished, a file replaced by a good one).
 */
import { type FSWatcher, promises as fsp, mkdirSync, watch } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Archive } from '../archive/archive.js';
import { TaskWindow, walkFiles } from '../archive/maintenance/common.js';
import { loadAndDelete } from '../archive/maintenance/import.js';
import type { Logger } from '../logging/logger.js';

const LOAD_WINDOW = 16;

export interface IncomingWatcher {
  /** Stops watching and waits for the loads in progress. */
  close(): Promise<void>;
  /** Resolves after the next complete scan (for tests and --loadanddeletedir-like waiting). */
  scanned(): Promise<void>;
}

export interface WatchOptions {
  /** Periodic rescan (default 2000 ms). */
  rescanMs?: number;
  /** How long size and mtime must stay unchanged before a file is loaded (default 1000 ms). */
  stableMs?: number;
}

/** The folders the server watches: MAG0/incoming, and WatchFolder when set. */
export function incomingFolders(devices: readonly string[], watchFolder: string): string[] {
  const out: string[] = [];
  if (devices[0] !== undefined) out.push(resolve(devices[0], 'incoming'));
  if (watchFolder.trim() !== '') {
    const w = resolve(watchFolder);
    if (!out.includes(w)) out.push(w);
  }
  return out;
}

interface Seen {
  signature: string;
  since: number;
}

export function watchIncoming(
  archive: Archive,
  folders: readonly string[],
  log: Logger,
  options: WatchOptions = {},
): IncomingWatcher {
  const rescanMs = options.rescanMs ?? 2000;
  const stableMs = options.stableMs ?? 1000;
  const roots = folders.map((f) => resolve(f));
  for (const r of roots) mkdirSync(r, { recursive: true });
  /** Files being watched for stability: path → last signature and since when. */
  const seen = new Map<string, Seen>();
  /** Files that could not be loaded: path → signature at that time. */
  const failed = new Map<string, string>();
  let closed = false;
  let scanning: Promise<void> | undefined;
  let again = false;
  const waiters: (() => void)[] = [];

  const loadOne = async (path: string, signature: string): Promise<void> => {
    const why = await loadAndDelete(archive, path, { log });
    seen.delete(path);
    if (why === undefined) {
      log.info(`loaded and deleted ${path}`);
      return;
    }
    failed.set(path, signature);
    log.warn(`not loaded (stays in place): ${path}: ${why}`);
  };

  const scanFolder = async (
    root: string,
    now: number,
    present: Set<string>,
    window: TaskWindow,
  ): Promise<void> => {
    for await (const path of walkFiles(root, (name) => !name.startsWith('.'), log)) {
      if (closed) return;
      present.add(path);
      const st = await fsp.stat(path).catch(() => undefined);
      if (!st) continue;
      const signature = `${st.size}:${st.mtimeMs}`;
      if (failed.get(path) === signature) continue;
      failed.delete(path);
      const s = seen.get(path);
      if (!s || s.signature !== signature) {
        seen.set(path, { signature, since: now });
        continue;
      }
      if (now - s.since >= stableMs) await window.add(() => loadOne(path, signature));
    }
  };

  const scanOnce = async (): Promise<void> => {
    const now = Date.now();
    const present = new Set<string>();
    // Several files at once, so that the index writer commits them together; all done before the scan ends.
    const window = new TaskWindow(LOAD_WINDOW);
    for (const root of roots) await scanFolder(root, now, present, window);
    await window.drain();
    // Forget files that went away (moved out by the user).
    for (const p of seen.keys()) if (!present.has(p)) seen.delete(p);
    for (const p of failed.keys()) if (!present.has(p)) failed.delete(p);
  };

  const scan = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (scanning) {
      again = true;
      return scanning;
    }
    scanning = (async () => {
      do {
        again = false;
        try {
          await scanOnce();
        } catch (e) {
          log.error(`incoming folder scan failed: ${(e as Error).message}`);
        }
      } while (again && !closed);
      scanning = undefined;
      for (const w of waiters.splice(0)) w();
    })();
    return scanning;
  };

  // A change may be the start of a copy: scan once it could be stable.
  let pending: NodeJS.Timeout | undefined;
  const soon = (): void => {
    if (pending || closed) return;
    pending = setTimeout(() => {
      pending = undefined;
      void scan();
    }, stableMs);
    pending.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const r of roots) {
    try {
      const w = watch(r, { recursive: true }, soon);
      w.on('error', (e) => log.warn(`watching ${r}: ${e.message}; the periodic rescan goes on`));
      // Watching alone must not keep the process alive (a server that failed to start must exit).
      w.unref();
      watchers.push(w);
    } catch (e) {
      log.warn(`cannot watch ${r} (${(e as Error).message}); rescanning every ${rescanMs} ms`);
    }
  }
  const timer = setInterval(() => void scan(), rescanMs);
  timer.unref();
  log.info(`loading files dropped in ${roots.map((r) => join(r, '')).join(', ')}`);
  void scan();

  return {
    close: async () => {
      closed = true;
      clearInterval(timer);
      if (pending) clearTimeout(pending);
      for (const w of watchers) w.close();
      await scanning;
    },
    scanned: () =>
      new Promise<void>((r) => {
        waiters.push(r);
        void scan();
      }),
  };
}
