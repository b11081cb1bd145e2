/**
 * What makes "no file without its index row" hold across a crash. A received object becomes visible under
 * its final name (rename) before its index row commits (the indexer's group commit follows); a process
 * killed in between would leave a file the index does not know. So the final path is appended to a journal
 * just before the rename, and the entry counts as settled once the index has committed (or refused) the
 * object. At the next start the server re-indexes every journalled file that exists (indexing is an
 * upsert, so entries that did commit cost nothing but a read) and empties the journal.
 *
 * The journal is a few append-only files in `<MAG0>/.journal/`, one line per object, written with one
 * write(2) on an O_APPEND descriptor (a process crash cannot lose it: it is in the page cache). Files
 * rotate every ROTATE_AFTER entries; a rotated file is deleted once all its entries have settled, so the
 * journal stays small while the server runs. Each process writes its own files
 * (`placed-<host>-<pid>-<n>.log`), and only the files of dead processes of this host are recovered and
 * removed: a dgate command storing beside the server, a second server started by mistake on the same
 * folder, or a server on another host sharing the storage never touch a live writer's journal.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { leftByDeadProcess, OWNER_TAG } from './process-owner.js';

const ROTATE_AFTER = 4096;

export interface JournalEntry {
  /** Settles the entry: its object is committed to the index, or was refused and removed. */
  settle(): void;
}

interface Generation {
  readonly path: string;
  readonly fd: number;
  entries: number;
  outstanding: number;
  /** The descriptor was closed (never close a number twice: it may belong to another file by then). */
  done: boolean;
}

export class PlacementJournal {
  private current: Generation | undefined;
  private readonly retired = new Set<Generation>();
  private counter = 0;
  private closed = false;

  constructor(readonly folder: string) {
    mkdirSync(folder, { recursive: true });
  }

  /** Records that `path` is about to appear; call settle() when its index row has committed. */
  record(path: string): JournalEntry {
    if (this.closed) throw new Error('the placement journal is closed');
    const gen = this.generation();
    writeSync(gen.fd, `${path}\n`);
    gen.entries++;
    gen.outstanding++;
    let settled = false;
    return {
      settle: () => {
        if (settled) return;
        settled = true;
        gen.outstanding--;
        if (gen !== this.current && gen.outstanding === 0) this.drop(gen);
      },
    };
  }

  /**
   * The paths journalled by processes of this host that have died, that exist on disk, each once. Follow
   * with clearRecovered() once they are indexed.
   */
  recoverable(): string[] {
    const seen = new Set<string>();
    for (const f of this.deadJournalFiles()) {
      for (const line of readFileSync(join(this.folder, f), 'utf8').split('\n'))
        if (line && !seen.has(line) && existsSync(line)) seen.add(line);
    }
    return [...seen];
  }

  /** Deletes the journal files of dead processes (after their paths were re-indexed). */
  clearRecovered(): void {
    for (const f of this.deadJournalFiles()) rmSync(join(this.folder, f), { force: true });
  }

  /** Closes this process's files; those with nothing outstanding are deleted. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const g of [this.current, ...this.retired]) {
      if (!g) continue;
      if (g.outstanding === 0) this.drop(g);
      else release(g);
    }
    this.current = undefined;
    this.retired.clear();
  }

  private deadJournalFiles(): string[] {
    return readdirSync(this.folder).filter((f) => f.endsWith('.log') && leftByDeadProcess(f, 'placed-'));
  }

  private generation(): Generation {
    const cur = this.current;
    if (cur && cur.entries < ROTATE_AFTER) return cur;
    if (cur) {
      if (cur.outstanding === 0) this.drop(cur);
      else this.retired.add(cur);
    }
    const path = join(this.folder, `placed-${OWNER_TAG}-${this.counter++}.log`);
    const next: Generation = { path, fd: openSync(path, 'a'), entries: 0, outstanding: 0, done: false };
    this.current = next;
    return next;
  }

  private drop(gen: Generation): void {
    this.retired.delete(gen);
    release(gen);
    rmSync(gen.path, { force: true });
  }
}

function release(gen: Generation): void {
  if (gen.done) return;
  gen.done = true;
  closeSync(gen.fd);
}
