/**
 * `npm run bench web`: DICOMweb latency over HTTP on the loopback (Node's fetch against the server's web
 * app listening on 127.0.0.1), on an index of BENCH_WEB_COUNTS instances (default 10000; e.g. 10000,100000):
 * - QIDO-RS study search, OHIF's study-list query (includefield list, limit 101) and a PatientName prefix;
 * - series /metadata of a 500-instance series (real files, header-only content matters): cold (first
 *   request: every header read) and warm (the precomputed JSON), target < 100 ms warm;
 * - frames/s for a 512×512 16-bit CT series of 50 instances with OHIF's frame Accept header (as stored),
 *   and decoded to native from JPEG Lossless (the stored syntax of a second copy).
 * The rest of the instances are index rows without files (written through the archive's indexer), which
 * the searches need and the retrievals do not. Orthanc (with its DICOMweb plugin) is not on this machine:
 * no comparison figures are made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../src/archive/archive.js';
import { addFile } from '../src/archive/maintenance/import.js';
import { transcodeDataset } from '../src/codecs/transcode.js';
import { loadConfig } from '../src/config/config.js';
import { Dataset } from '../src/dicom/dataset.js';
import { writeDicomFile } from '../src/dicom/writer.js';
import { silentLogger } from '../src/logging/logger.js';
import type { WebContext } from '../src/web/context.js';
import { buildWebApp } from '../src/web/web-server.js';
import { setIniKeys } from '../test/support/databases.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const OHIF_FRAME_ACCEPT = 'multipart/related; type=application/octet-stream; transfer-syntax=*';

function header(i: number, study: number, series: number, rows = 16): Dataset {
  const ds = new Dataset();
  const patient = Math.floor(study / 2);
  ds.setStrings('SOPClassUID', CT);
  ds.setStrings('SOPInstanceUID', `1.2.826.0.1.3680043.9.7433.3.${series}.${i}`);
  ds.setStrings('StudyDate', `2020${String((study % 12) + 1).padStart(2, '0')}15`);
  ds.setStrings('StudyTime', '101010');
  ds.setStrings('AccessionNumber', `A${study}`);
  ds.setStrings('Modality', 'CT');
  ds.setStrings('PatientName', `PAT${String(patient).padStart(6, '0')}^TEST`);
  ds.setStrings('PatientID', `P${patient}`);
  ds.setStrings('PatientBirthDate', '19700101');
  ds.setStrings('PatientSex', 'O');
  ds.setStrings('StudyInstanceUID', `1.2.826.0.1.3680043.9.7433.1.${study}`);
  ds.setStrings('SeriesInstanceUID', `1.2.826.0.1.3680043.9.7433.2.${series}`);
  ds.setStrings('StudyID', String(study));
  ds.setStrings('SeriesNumber', String(series % 100));
  ds.setStrings('InstanceNumber', String(i + 1));
  ds.setStrings('StudyDescription', 'BENCH CT');
  ds.setStrings('SeriesDescription', 'AXIAL');
  ds.setNumbers('SamplesPerPixel', 1, 'US');
  ds.setStrings('PhotometricInterpretation', 'MONOCHROME2');
  ds.setNumbers('Rows', rows, 'US');
  ds.setNumbers('Columns', rows, 'US');
  ds.setNumbers('BitsAllocated', 16, 'US');
  ds.setNumbers('BitsStored', 12, 'US');
  ds.setNumbers('HighBit', 11, 'US');
  ds.setNumbers('PixelRepresentation', 0, 'US');
  ds.setStrings('RescaleIntercept', '-1024');
  ds.setStrings('RescaleSlope', '1');
  return ds;
}

function withPixels(ds: Dataset, rows: number, seed: number): Dataset {
  const px = Buffer.alloc(rows * rows * 2);
  for (let k = 0; k < rows * rows; k++)
    px.writeUInt16LE((Math.sin(k / 97 + seed) * 1500 + 1600) & 0xfff, k * 2);
  ds.setBytes('PixelData', 'OW', px);
  return ds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(fn: () => Promise<unknown>, n: number): Promise<{ median: number; min: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return { median: median(times), min: Math.min(...times) };
}

async function fetchOk(url: string, accept: string): Promise<ArrayBuffer> {
  const r = await fetch(url, { headers: { accept } });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return r.arrayBuffer();
}

async function runAt(total: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cq-bench-web-'));
  loadConfig(dir);
  setIniKeys(dir, { WebAnonymousRole: 'viewer' });
  const config = loadConfig(dir, { writeDefaults: false });
  const archive = await openArchive(config, { log: silentLogger });
  const out: string[] = [];
  try {
    const indexer = archive.indexer!;
    // Rows only: 25 instances a series, 4 series a study.
    const t0 = performance.now();
    const rowsOnly = total - 500 - 100;
    const window: Promise<unknown>[] = [];
    for (let i = 0; i < rowsOnly; i++) {
      const series = Math.floor(i / 25);
      const study = Math.floor(series / 4);
      window.push(
        indexer.index({
          header: header(i % 25, study, series),
          path: join(archive.devices[0]!, 'none', `${i}.dcm`),
        }),
      );
      if (window.length >= 512) await Promise.all(window.splice(0));
    }
    await Promise.all(window);
    // Real files: a 500-instance series (64×64) and a 50-instance 512×512 CT series twice (ELE, JPEG lossless).
    const files = join(dir, 'src');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(files);
    const big = 900_000;
    const addAll = async (list: Dataset[], ts: string) => {
      for (const ds of list) {
        const p = join(files, `${ds.string('SOPInstanceUID')}.dcm`);
        let d = ds;
        if (ts !== '1.2.840.10008.1.2.1') d = await transcodeDataset(ds, '1.2.840.10008.1.2.1', ts);
        (await import('node:fs')).writeFileSync(p, writeDicomFile(undefined, d, ts));
        await addFile(archive, p, { log: silentLogger, asIs: true });
      }
    };
    await addAll(
      Array.from({ length: 500 }, (_, i) => withPixels(header(i, big, big), 64, i)),
      '1.2.840.10008.1.2.1',
    );
    await addAll(
      Array.from({ length: 50 }, (_, i) => withPixels(header(i, big + 1, big + 1, 512), 512, i)),
      '1.2.840.10008.1.2.1',
    );
    await addAll(
      Array.from({ length: 50 }, (_, i) => withPixels(header(i, big + 2, big + 2, 512), 512, i)),
      '1.2.840.10008.1.2.4.70',
    );
    const loadS = (performance.now() - t0) / 1000;
    const ctx: WebContext = {
      archive,
      config: () => config,
      log: silentLogger,
      aeTitle: 'BENCH',
      dicomPort: 0,
      status: () => ({
        startedAt: new Date(),
        associations: 0,
        stored: 0,
        storeFailures: 0,
        queries: 0,
        retrieved: 0,
      }),
    };
    const app = await buildWebApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const a = app.server.address();
    const base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/dicom-web`;
    try {
      const json = 'application/dicom+json';
      const ohif = await timeIt(
        () =>
          fetchOk(
            `${base}/studies?limit=101&offset=0&fuzzymatching=false&includefield=00081030%2C00080060%2C00080090%2C00100030`,
            json,
          ),
        20,
      );
      const byName = await timeIt(() => fetchOk(`${base}/studies?PatientName=PAT0001*`, json), 20);
      const seriesUrl = `${base}/studies/1.2.826.0.1.3680043.9.7433.1.${big}/series/1.2.826.0.1.3680043.9.7433.2.${big}/metadata`;
      const cold = await timeIt(() => fetchOk(seriesUrl, json), 1);
      const warm = await timeIt(() => fetchOk(seriesUrl, json), 20);
      const frames = async (n: number) => {
        const uids = Array.from({ length: 50 }, (_, i) => `1.2.826.0.1.3680043.9.7433.3.${n}.${i}`);
        const t = performance.now();
        for (let pass = 0; pass < 2; pass++)
          for (const u of uids)
            await fetchOk(
              `${base}/studies/1.2.826.0.1.3680043.9.7433.1.${n}/series/1.2.826.0.1.3680043.9.7433.2.${n}/instances/${u}/frames/1`,
              n === big + 1 ? OHIF_FRAME_ACCEPT : 'multipart/related; type="application/octet-stream"',
            );
        return 100 / ((performance.now() - t) / 1000);
      };
      const native = await frames(big + 1);
      const decoded = await frames(big + 2);
      out.push(
        `| ${total.toLocaleString('en')} | ${loadS.toFixed(1)} s | ${ohif.median.toFixed(1)} | ${byName.median.toFixed(1)} | ${cold.median.toFixed(0)} | ${warm.median.toFixed(1)} (min ${warm.min.toFixed(1)}) | ${native.toFixed(0)} | ${decoded.toFixed(0)} |`,
      );
    } finally {
      await app.close();
    }
  } finally {
    await archive.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function webBench(): Promise<void> {
  const counts = (process.env['BENCH_WEB_COUNTS'] ?? '10000')
    .split(',')
    .map(Number)
    .filter((n) => n >= 1000);
  console.log('\n## DICOMweb (HTTP on 127.0.0.1, SQLite index)\n');
  console.log(
    '| instances | setup | QIDO studies, OHIF list (ms, median of 20) | QIDO PatientName=PAT0001* (ms) | series /metadata, 500 instances, cold (ms) | warm (ms, median of 20) | frames/s 512×512 as stored | frames/s 512×512 JPEG Lossless (.70) → native |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const n of counts) for (const line of await runAt(n)) console.log(line);
  console.log(
    '\nOrthanc with its DICOMweb plugin is not installed on this machine: no comparison in this run.',
  );
}
