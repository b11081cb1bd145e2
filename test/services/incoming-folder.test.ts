/**
 * The drop folders (MAG0/incoming, WatchFolder): files put there are loaded and deleted once their size has
 * stayed the same; a file that cannot be loaded stays and is reported once, not in a loop.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Archive } from '../../src/archive/archive.js';
import { LineLogger } from '../../src/logging/logger.js';
import { incomingFolders, watchIncoming } from '../../src/services/incoming-folder.js';
import {
  count,
  openTestArchive,
  rowFiles,
  studyFiles,
  tempServerDir,
} from '../archive/maintenance/support.js';
import { CORPUS_SKIP } from '../support/corpus.js';

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

describe('incoming folders', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  let archive: Archive;
  const lines: string[] = [];
  const log = new LineLogger((l) => lines.push(l));
  before(async () => {
    dir = tempServerDir('cq-incoming-');
    archive = await openTestArchive(dir);
  });
  after(async () => {
    await archive.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("are MAG0/incoming (not the store's .incoming) and WatchFolder", () => {
    assert.deepEqual(incomingFolders(['/a/data/'], ''), [resolve('/a/data/incoming')]);
    assert.deepEqual(incomingFolders(['/a/data/'], '/drop'), [resolve('/a/data/incoming'), '/drop']);
  });

  it('load dropped files, delete them, and leave a non-DICOM file in place, reported once', async () => {
    const incoming = join(archive.devices[0]!, 'incoming');
    const watched = join(dir, 'watched');
    const watcher = watchIncoming(archive, [incoming, watched], log, { rescanMs: 100, stableMs: 200 });
    try {
      const a = studyFiles('PAT001/20240229_A2002');
      const b = studyFiles('PAT003/20230101_noacc');
      mkdirSync(join(incoming, 'sub'), { recursive: true });
      for (const [i, f] of a.entries()) copyFileSync(f, join(incoming, 'sub', `${i}.dcm`));
      for (const [i, f] of b.entries()) copyFileSync(f, join(watched, `${i}`));
      writeFileSync(join(watched, 'notes.txt'), 'not an image');
      await until(
        'the folders to empty',
        () => filesIn(incoming).length === 0 && filesIn(watched).length === 1,
      );
      assert.equal(count(archive, 'Image'), a.length + b.length);
      assert.ok(rowFiles(archive).every((f) => existsSync(f)));
      // Several more scans: the bad file is not tried again.
      await new Promise((r) => setTimeout(r, 600));
      await watcher.scanned();
      assert.deepEqual(filesIn(watched), ['notes.txt']);
      const reports = lines.filter((l) => l.includes('notes.txt'));
      assert.equal(reports.length, 1, reports.join('\n'));
      assert.match(reports[0]!, /not loaded \(stays in place\)/);
    } finally {
      await watcher.close();
    }
  });

  it('waits while a file is still growing, and tries a changed bad file again', async () => {
    const watched = join(dir, 'watched2');
    const watcher = watchIncoming(archive, [watched], log, { rescanMs: 100, stableMs: 400 });
    try {
      const [src] = studyFiles('PAT002/20200630_A3003');
      const full = (await import('node:fs')).readFileSync(src!);
      const target = join(watched, 'growing.dcm');
      // Written in pieces, each before the file could count as stable.
      for (let i = 1; i <= 4; i++) {
        writeFileSync(target, full.subarray(0, Math.floor((full.length * i) / 4)));
        await new Promise((r) => setTimeout(r, 150));
        if (i < 4) assert.ok(existsSync(target), `loaded while still being written (${i}/4)`);
      }
      await until('the grown file to be loaded', () => !existsSync(target));
      writeFileSync(join(watched, 'late.dcm'), 'half a copy');
      await until('the bad file to be reported', () => lines.some((l) => l.includes('late.dcm')));
      copyFileSync(src!, join(watched, 'late.dcm'));
      await until('the repaired file to be loaded', () => !existsSync(join(watched, 'late.dcm')));
    } finally {
      await watcher.close();
    }
  });
});
