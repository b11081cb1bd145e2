/**
 * The indexer on every driver: a batch in which one object clashes (its SOP Instance UID is already stored
 * in another series) keeps every other object of the same transaction — on the networked drivers the batch
 * is first written without savepoints and, when an object is refused, written again with them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ArchiveIndexer, UidClashError } from '../../src/archive/indexer.js';
import { DicomSql, defaultDicomSqlText } from '../../src/db/dicom-sql.js';
import { openIndexDatabase } from '../../src/db/open-index.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { createTestDatabase, TEST_DATABASE_KINDS, unavailable } from '../support/databases.js';

function header(sop: number, series: number): Dataset {
  const d = new Dataset();
  d.setStrings('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  d.setStrings('SOPInstanceUID', `1.2.826.0.1.3680043.2.1143.77.${sop}`);
  d.setStrings('PatientID', 'IDX1');
  d.setStrings('PatientName', 'Index^Test');
  d.setStrings('StudyInstanceUID', '1.2.826.0.1.3680043.2.1143.77.0');
  d.setStrings('SeriesInstanceUID', `1.2.826.0.1.3680043.2.1143.77.0.${series}`);
  d.setStrings('Modality', 'OT');
  return d;
}

for (const kind of TEST_DATABASE_KINDS) {
  const why = await unavailable(kind);
  describe(`indexer on ${kind}`, { skip: why }, () => {
    const dir = mkdtempSync(join(tmpdir(), `cq-ixd-${kind}-`));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('one clashing object in a batch is refused; the rest of the batch is kept', async () => {
      const db = await createTestDatabase(kind, dir);
      const connection =
        kind === 'sqlite'
          ? ({ kind, file: db.name } as const)
          : ({
              kind,
              host: db.ini['SQLHost']!,
              database: db.name,
              user: db.ini['Username']!,
              password: '',
            } as const);
      const index = await openIndexDatabase({ connection, dicomSql: DicomSql.parse(defaultDicomSqlText()) });
      const indexer = new ArchiveIndexer({ schema: index.schema, driver: index.driver, devices: [dir] });
      try {
        await indexer.index({ header: header(1, 1), deviceName: 'MAG0', objectFile: 'a/1.dcm' });
        // One batch: four new objects and, in the middle, instance 1 again in another series.
        const results = await Promise.allSettled([
          indexer.index({ header: header(2, 1), deviceName: 'MAG0', objectFile: 'a/2.dcm' }),
          indexer.index({ header: header(3, 1), deviceName: 'MAG0', objectFile: 'a/3.dcm' }),
          indexer.index({ header: header(1, 2), deviceName: 'MAG0', objectFile: 'b/1.dcm' }),
          indexer.index({ header: header(4, 2), deviceName: 'MAG0', objectFile: 'b/4.dcm' }),
          indexer.index({ header: header(5, 2), deviceName: 'MAG0', objectFile: 'b/5.dcm' }),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
        );
        assert.ok((results[2] as PromiseRejectedResult).reason instanceof UidClashError);
        const rows = await index.driver.all<{ s: string; f: string }>(
          'SELECT SOPInstanc AS s, ObjectFile AS f FROM DICOMImages ORDER BY SOPInstanc',
        );
        assert.deepEqual(
          rows.map((r) => `${r.s.split('.').pop()}:${r.f}`),
          ['1:a/1.dcm', '2:a/2.dcm', '3:a/3.dcm', '4:b/4.dcm', '5:b/5.dcm'],
        );
        const series = await index.driver.get<{ n: number }>('SELECT COUNT(*) AS n FROM DICOMSeries');
        assert.equal(Number(series!.n), 2);
        // Two copies of one new instance in one batch: one row, naming the later copy's file.
        const copies = await Promise.all([
          indexer.index({ header: header(6, 2), deviceName: 'MAG0', objectFile: 'b/6a.dcm' }),
          indexer.index({ header: header(7, 2), deviceName: 'MAG0', objectFile: 'b/7.dcm' }),
          indexer.index({ header: header(6, 2), deviceName: 'MAG0', objectFile: 'b/6b.dcm' }),
        ]);
        assert.deepEqual(
          copies.map((c) => c.added),
          [true, true, false],
        );
        assert.match(copies[2]!.replacedFile ?? '', /6a\.dcm$/);
        const six = await index.driver.get<{ f: string }>(
          'SELECT ObjectFile AS f FROM DICOMImages WHERE SOPInstanc = ?',
          ['1.2.826.0.1.3680043.2.1143.77.6'],
        );
        assert.equal(six?.f, 'b/6b.dcm');
      } finally {
        await indexer.close();
        await index.driver.close();
        await db.drop();
      }
    });
  });
}
