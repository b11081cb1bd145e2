/**
 * Index write rate for synthetic headers (not a test: run `node dist/test/archive/bench-index.js [N]`).
 * 100 patients × 2 studies × 5 series, images spread over them; no file I/O; with and without the cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchiveIndexer } from '../src/archive/indexer.js';
import { DicomSql, defaultDicomSqlText } from '../src/db/dicom-sql.js';
import { openSqliteIndex } from '../src/db/sqlite.js';
import { Dataset } from '../src/dicom/dataset.js';

function synthetic(i: number): Dataset {
  const series = Math.floor(i / 100);
  const study = Math.floor(series / 5);
  const patient = Math.floor(study / 2);
  const d = new Dataset();
  d.setStrings(0x00080016, '1.2.840.10008.5.1.4.1.1.2', 'UI');
  d.setStrings(0x00080018, `1.2.826.0.1.9.${i}`, 'UI');
  d.setStrings(0x00080020, '20240102', 'DA');
  d.setStrings(0x00080060, 'CT', 'CS');
  d.setStrings(0x00081030, 'SYNTHETIC STUDY', 'LO');
  d.setStrings(0x00100010, `PATIENT^${patient}`, 'PN');
  d.setStrings(0x00100020, `P${patient}`, 'LO');
  d.setStrings(0x00100030, '19700101', 'DA');
  d.setStrings(0x00100040, 'F', 'CS');
  d.setStrings(0x0020000d, `1.2.826.0.1.7.${study}`, 'UI');
  d.setStrings(0x0020000e, `1.2.826.0.1.8.${series}`, 'UI');
  d.setStrings(0x00200013, String(i % 100), 'IS');
  d.setNumbers(0x00280010, 512, 'US');
  d.setNumbers(0x00280011, 512, 'US');
  return d;
}

async function run(n: number, cache: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'cqts-bench-'));
  try {
    const opened = openSqliteIndex({
      file: join(dir, 'b.db3'),
      dicomSql: DicomSql.parse(defaultDicomSqlText()),
    });
    const indexer = new ArchiveIndexer({
      schema: opened.schema,
      driver: opened.driver,
      devices: [dir],
      cache,
    });
    const headers = Array.from({ length: n }, (_, i) => synthetic(i));
    const t0 = performance.now();
    // Arrive as a server would see them: many in flight at once (64 concurrent associations).
    const window = 64;
    let next = 0;
    await Promise.all(
      Array.from({ length: window }, async () => {
        while (next < n) {
          const i = next++;
          await indexer.index({ header: headers[i]!, objectFile: `P/${i}.dcm`, deviceName: 'MAG0' });
        }
      }),
    );
    const ms = performance.now() - t0;
    console.log(
      `${n} images, cache ${cache ? 'on ' : 'off'}: ${(n / (ms / 1000)).toFixed(0)} images/s ` +
        `(${ms.toFixed(0)} ms, ${indexer.stats.transactions} transactions, ${indexer.stats.cacheHits} cached upserts)`,
    );
    await opened.driver.close();
    return n / (ms / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Index write rate for synthetic headers (no file I/O), with and without the row cache. */
export async function indexBench(): Promise<void> {
  const n = Number(process.env['BENCH_INDEX_COUNT'] ?? 100_000);
  console.log(`\n## Index writes (SQLite, group commit; the seed's Conquest figure is 170 images/s)\n`);
  await run(n, true);
  await run(n, false);
}
