import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PlacementJournal } from '../../src/storage/placement-journal.js';
import { leftByDeadProcess, OWNER_TAG } from '../../src/storage/process-owner.js';

/** Renames this process's journal files as if a process that no longer exists had written them. */
function playDead(folder: string): void {
  for (const f of readdirSync(folder))
    renameSync(join(folder, f), join(folder, f.replace(`-${process.pid}-`, `-${DEAD_PID}-`)));
}

/** Above Linux's pid_max: never a live process. */
const DEAD_PID = 99_999_999;

const root = mkdtempSync(join(tmpdir(), 'cq-pj-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('PlacementJournal', () => {
  it('keeps only unsettled entries while running, and nothing after a clean close', () => {
    const folder = join(root, 'a');
    const journal = new PlacementJournal(folder);
    const entries = Array.from({ length: 10_000 }, (_, i) => journal.record(`/x/${i}`));
    assert.ok(readdirSync(folder).length >= 2, 'rotated at least once');
    for (const e of entries.slice(0, 9_000)) e.settle();
    // The generations holding only settled entries are gone; the current one and any holding the rest stay.
    assert.ok(readdirSync(folder).length <= 2);
    for (const e of entries.slice(9_000)) e.settle();
    entries[0]!.settle(); // settling twice changes nothing
    journal.close();
    assert.deepEqual(readdirSync(folder), []);
  });

  it('recovers the existing files of unsettled entries of a dead process, once each', () => {
    const folder = join(root, 'b');
    const files = [0, 1, 2].map((i) => join(root, `obj${i}.dcm`));
    for (const f of files.slice(0, 2)) writeFileSync(f, 'x');
    const crashed = new PlacementJournal(folder);
    for (const f of files) crashed.record(f);
    crashed.record(files[0]!); // replaced: journalled twice
    // No settle, no close: while its writer lives, nobody else may take its journal...
    const beside = new PlacementJournal(folder);
    assert.deepEqual(beside.recoverable(), []);
    // ...once it has died (here: its files renamed to a pid no process has), they are recovered.
    playDead(folder);
    assert.deepEqual(beside.recoverable().sort(), files.slice(0, 2).sort());
    beside.clearRecovered();
    assert.deepEqual(beside.recoverable(), []);
    beside.close();
  });

  it('leaves the journal files of other hosts alone', () => {
    const folder = join(root, 'c');
    const target = join(root, 'other-host.dcm');
    writeFileSync(target, 'x');
    const journal = new PlacementJournal(folder);
    writeFileSync(join(folder, 'placed-some.other.host-12345-0.log'), `${target}\n`);
    assert.deepEqual(journal.recoverable(), []);
    journal.clearRecovered();
    assert.deepEqual(readdirSync(folder), ['placed-some.other.host-12345-0.log']);
    journal.close();
  });
});

describe("files left by dead processes (regression: a second server on the same folder took the first one's journal)", () => {
  it('only names of this host with a pid that no longer runs count as left behind', () => {
    const tag = OWNER_TAG.slice(0, OWNER_TAG.lastIndexOf('-'));
    assert.equal(leftByDeadProcess(`placed-${OWNER_TAG}-0.log`, 'placed-'), false, 'this process');
    assert.equal(leftByDeadProcess(`placed-${tag}-${DEAD_PID}-0.log`, 'placed-'), true);
    assert.equal(leftByDeadProcess(`${tag}-${DEAD_PID}-ab12.part`, ''), true);
    assert.equal(leftByDeadProcess(`${DEAD_PID}-ab12.part`, ''), true, 'the older name without a host');
    assert.equal(leftByDeadProcess(`${process.pid}-ab12.part`, ''), false);
    assert.equal(leftByDeadProcess(`other.host-${DEAD_PID}-ab12.part`, ''), false, 'another host');
    assert.equal(leftByDeadProcess('notes.txt', ''), false);
  });
});
