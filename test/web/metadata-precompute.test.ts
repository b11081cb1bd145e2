/**
 * DICOMweb metadata is precomputed: a server that stores an object makes its metadata JSON in the
 * background, so the first /metadata request of its series is a cache hit; the JSON is the same as the one
 * made on demand; a re-stored file is made again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Dataset } from '../../src/dicom/dataset.js';
import { ExplicitVRLittleEndian } from '../../src/dicom/transfer-syntax.js';
import { encodeFileHead, writeDataset } from '../../src/dicom/writer.js';
import { MetadataCache } from '../../src/web/dicomweb/metadata.js';

function file(dir: string, i: number, rows = 8): { sopInstanceUid: string; path: string } {
  const ds = new Dataset();
  ds.setStrings('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.setStrings('SOPInstanceUID', `1.2.826.0.1.3680043.2.1143.88.${i}`);
  ds.setStrings('PatientID', 'MD1');
  ds.setStrings('StudyInstanceUID', '1.2.826.0.1.3680043.2.1143.88');
  ds.setStrings('SeriesInstanceUID', '1.2.826.0.1.3680043.2.1143.88.0');
  ds.setNumbers('Rows', rows, 'US');
  ds.setNumbers('Columns', 8, 'US');
  ds.setNumbers('BitsAllocated', 8, 'US');
  ds.setBytes('PixelData', 'OB', Buffer.alloc(rows * 8, i));
  const path = join(dir, `${i}.dcm`);
  writeFileSync(
    path,
    Buffer.concat([
      encodeFileHead(undefined, ds, ExplicitVRLittleEndian.uid),
      writeDataset(ds, ExplicitVRLittleEndian),
    ]),
  );
  return { sopInstanceUid: ds.string('SOPInstanceUID')!, path };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'timed out');
}

describe('DICOMweb metadata precompute', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cq-mdwarm-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('warm() makes the JSON in the background; the first request is then a hit with the same JSON', async () => {
    const items = Array.from({ length: 20 }, (_, i) => file(dir, i));
    const onDemand = new MetadataCache();
    const expected = await onDemand.many(items);
    const cache = new MetadataCache();
    for (const it of items) cache.warm(it);
    assert.equal(cache.warmed, 0, 'nothing is done while stores go on');
    await until(() => cache.warmed === items.length);
    assert.equal(cache.misses, items.length);
    assert.equal(await cache.many(items), expected);
    assert.equal(cache.hits, items.length);
    assert.equal(cache.misses, items.length, 'no request had to read a file');
  });

  it('an instance stored again after it was warmed is made again from the new file', async () => {
    const cache = new MetadataCache();
    const first = file(dir, 100);
    cache.warm(first);
    await until(() => cache.warmed === 1);
    await new Promise((r) => setTimeout(r, 20));
    const again = file(dir, 100, 16); // the same instance, re-stored with other contents
    const json = JSON.parse(await cache.instance(again)) as Record<string, { Value?: unknown[] }>;
    assert.deepEqual(json['00280010']?.Value, [16]);
  });
});
