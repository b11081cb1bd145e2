/**
 * Placing new objects never replaces another object's file: two objects whose FileNameSyntax names are the
 * same (servers sharing a device make the same time + counter names in the same second) — the second is
 * refused (EEXIST) rather than written over the first; also on a file system without hard links.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Dataset } from '../../src/dicom/dataset.js';
import { ExplicitVRLittleEndian } from '../../src/dicom/transfer-syntax.js';
import { encodeFileHead, writeDataset } from '../../src/dicom/writer.js';
import { LineLogger } from '../../src/logging/logger.js';
import { MemoryObjectLocator, ObjectStore, type ObjectStoreOptions } from '../../src/storage/object-store.js';

function object(n: number): Dataset {
  const ds = new Dataset();
  ds.setStrings('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.setStrings('SOPInstanceUID', `1.2.826.0.1.3680043.2.1143.99.${n}`);
  ds.setStrings('PatientID', 'SAME');
  ds.setStrings('StudyInstanceUID', '1.2.826.0.1.3680043.2.1143.99');
  ds.setStrings('SeriesInstanceUID', '1.2.826.0.1.3680043.2.1143.99.0');
  ds.setBytes('PixelData', 'OB', Buffer.alloc(16, n));
  return ds;
}

async function store(s: ObjectStore, ds: Dataset): Promise<string> {
  const w = s.begin(encodeFileHead(undefined, ds, ExplicitVRLittleEndian.uid));
  w.add(writeDataset(ds, ExplicitVRLittleEndian));
  const placed = await w.commit(ds, ds.string('SOPInstanceUID')!, {
    transferSyntaxUid: ExplicitVRLittleEndian.uid,
    callingAE: 'TEST',
    calledAE: 'CONQUESTSRV1',
  });
  placed.settle();
  return placed.path;
}

/** A device whose file system refuses hard links (as some network shares do). */
class NoHardLinks extends ObjectStore {
  protected override link(): void {
    throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
  }
}

for (const [name, Store] of [
  ['with hard links', ObjectStore],
  ['without hard links', NoHardLinks],
] as const) {
  describe(`object store, new files ${name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-store-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a second object under a name already taken is refused; the first file is kept', async () => {
      const lines: string[] = [];
      const options: ObjectStoreOptions = {
        devices: [dir],
        // One name for every object of the patient: the names collide.
        fileNameSyntax: '%id\\same.dcm',
        fullThresholdMB: 0,
        durable: false,
        locator: new MemoryObjectLocator(),
        log: new LineLogger((l) => lines.push(l)),
      };
      const s = new Store(options);
      try {
        const first = await store(s, object(1));
        const before = readFileSync(first);
        await assert.rejects(store(s, object(2)), (e: NodeJS.ErrnoException) => e.code === 'EEXIST');
        assert.ok(readFileSync(first).equals(before), 'the first object is not overwritten');
        // The same instance again replaces its own file, as before.
        assert.equal(await store(s, object(1)), first);
        if (Store === NoHardLinks) assert.ok(lines.some((l) => /without hard links/.test(l)));
      } finally {
        s.close();
      }
    });
  });
}
