import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PlacementJournal } from '../../src/storage/placement-journal.js';

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

  it('recovers the existing files of unsettled entries of an earlier run, once each', () => {
    const folder = join(root, 'b');
    const files = [0, 1, 2].map((i) => join(root, `obj${i}.dcm`));
    for (const f of files.slice(0, 2)) writeFileSync(f, 'x');
    const crashed = new PlacementJournal(folder);
    for (const f of files) crashed.record(f);
    crashed.record(files[0]!); // replaced: journalled twice
    // No settle, no close: the process died. files[2] never got renamed into place.
    const next = new PlacementJournal(folder);
    assert.deepEqual(next.recoverable().sort(), files.slice(0, 2).sort());
    next.clearRecovered();
    assert.deepEqual(next.recoverable(), []);
    next.close();
  });
});
