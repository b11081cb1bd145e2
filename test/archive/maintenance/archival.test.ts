/**
 * Conquest's archival flow on a real archive (the corpus study, SQLite index): -as selects and recompresses
 * with ArchiveCompression, -au undoes, -am moves to another device (and a failed compare changes nothing),
 * -ae renames, -ab/-ac/-ad go through a cache folder to a "burned" jukebox CD, -av compares with the
 * mirror, -at finds a corrupt file. After each move the retrieve path and the image lister find the files.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Archive } from '../../../src/archive/archive.js';
import {
  type ArchivalOptions,
  compareBunchAfterBurning,
  deleteBunchAfterBurning,
  moveDataToDevice,
  prepareBunchForBurning,
  renameDevice,
  restoreMagFlags,
  selectLruForArchival,
  selectSeriesForArchival,
  testImages,
  verifyMirrorDisk,
} from '../../../src/archive/maintenance/archival.js';
import { MaintenanceError } from '../../../src/archive/maintenance/common.js';
import { loadAndDeleteDir } from '../../../src/archive/maintenance/import.js';
import { selectForRetrieve } from '../../../src/archive/retrieve.js';
import { parseCompressionMode } from '../../../src/codecs/modes.js';
import { nativeCodec } from '../../../src/codecs/native.js';
import { allFrameBytes, describePixels } from '../../../src/codecs/pixel-data.js';
import { closeSharedCodecPool } from '../../../src/codecs/pool.js';
import { recompress } from '../../../src/codecs/recompress.js';
import { seriesImages } from '../../../src/control/index-lookup.js';
import { quoteIdentifier } from '../../../src/db/schema.js';
import { Dataset } from '../../../src/dicom/dataset.js';
import { readDicomFile } from '../../../src/dicom/reader.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { DicomClient, GET_SOP_CLASSES, getContexts } from '../../../src/net/client.js';
import { startServer } from '../../../src/server.js';
import { deviceFoldersOf } from '../../../src/storage/device-names.js';
import { CORPUS_SKIP } from '../../support/corpus.js';
import {
  createTestDatabase,
  setIniKeys,
  TEST_DATABASE_KINDS,
  type TestDatabase,
  unavailable,
} from '../../support/databases.js';
import { pixelHash } from '../../support/pixel-hash.js';
import { openTestArchive, studyFiles, tempServerDir } from './support.js';

const J2K_LOSSLESS = '1.2.840.10008.1.2.4.90';
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const MR_IMAGE = '1.2.840.10008.5.1.4.1.1.4';

interface Row {
  sop: string;
  patient: string;
  series: string;
  device: string;
  file: string;
}

async function rows(archive: Archive): Promise<Row[]> {
  const index = archive.index!;
  const image = index.schema.levels.Image!;
  const q = (n: string) => quoteIdentifier(index.driver.dialect, n);
  const out = await index.driver.all<Record<string, unknown>>(
    `SELECT ${q(image.key.column)} AS k, ${q(image.byTag.get(0x00100020)!.column)} AS p, ${q(image.link!.column)} AS s, ` +
      `${q('DeviceName')} AS d, ${q('ObjectFile')} AS f FROM ${q(image.table)}`,
  );
  return out
    .map((r) => ({
      sop: String(r['k']),
      patient: String(r['p']),
      series: String(r['s']),
      device: String(r['d']),
      file: String(r['f']),
    }))
    .sort((a, b) => (a.sop < b.sop ? -1 : 1));
}

/** The devices of the rows, counted. */
async function devices(archive: Archive): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await rows(archive)) out[r.device] = (out[r.device] ?? 0) + 1;
  return out;
}

/** Regular files under a folder, relative, sorted (not the database, not dot-folders). */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(resolve(root).length + 1))
    .filter((rel) => !rel.split(/[\\/]/).some((s) => s.startsWith('.')) && !rel.startsWith('dbase'))
    .sort();
}

/** Folders under a folder that hold nothing (left behind by a move). */
function emptyFolders(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => readdirSync(p).length === 0);
}

/** The corpus hash rule over the decoded pixels, whatever the file's syntax. */
async function pixelHashOf(path: string): Promise<{ hash: string; ts: string }> {
  const file = await readDicomFile(path);
  const ts = file.transferSyntax.uid;
  const plain = await recompress(file.dataset, ts, parseCompressionMode('un'));
  const d = describePixels(plain.dataset, plain.transferSyntaxUid);
  const frames: Buffer[] = [];
  for (const raw of allFrameBytes(plain.dataset, plain.transferSyntaxUid))
    frames.push((await nativeCodec.decode(raw, d, plain.transferSyntaxUid)).pixels);
  return { hash: pixelHash(frames, d), ts };
}

function kbOf(paths: readonly string[]): number {
  return Math.trunc(paths.reduce((s, p) => s + statSync(p).size / 1024, 0) + 0.512);
}

for (const kind of TEST_DATABASE_KINDS) {
  const why = CORPUS_SKIP || (await unavailable(kind));
  describe(`archival: select, undo, move, rename, jukebox, mirror, test read (${kind} index)`, {
    skip: why,
  }, () => {
    let dir: string;
    let database: TestDatabase;
    let archive: Archive;
    let mag0: string;
    let mag1: string;
    let mirror: string;
    let cacheRoot: string;
    let jukeboxRoot: string;
    const lines: string[] = [];
    const opts: ArchivalOptions = { log: silentLogger, print: (l) => lines.push(l) };
    /** SOP Instance UID → the pixel hash of the corpus original. */
    const originals = new Map<string, string>();
    let originalKb = 0;
    /** KB per patient after -as (jk). */
    const kbAfter = new Map<string, number>();

    const folders = () => deviceFoldersOf({ ...archive.config.server, magDevices: archive.devices });
    const pathsOf = (rs: readonly Row[], root: string) => rs.map((r) => join(root, r.file));
    const take = (): string[] => lines.splice(0);

    before(async () => {
      dir = tempServerDir('cq-archival-');
      mag0 = join(dir, 'data');
      mag1 = join(dir, 'mag1');
      mirror = join(dir, 'mirror0');
      cacheRoot = join(dir, 'cache');
      jukeboxRoot = join(dir, 'jukebox');
      database = await createTestDatabase(kind, dir);
      setIniKeys(dir, {
        ...database.ini,
        ArchiveCompression: 'jk',
        MAGDevices: '2',
        MAGDevice1: mag1,
        LRUSort: 'StudyDate',
        MIRRORDevices: '1',
        MIRRORDevice0: mirror,
        CACHEDevices: '1',
        CACHEDevice0: join(cacheRoot, 'cd%02d_%04d'),
        JUKEBOXDevices: '1',
        JUKEBOXDevice0: join(jukeboxRoot, 'cd%04d'),
      });
      archive = await openTestArchive(dir);
      const drop = join(dir, 'drop');
      const all = studyFiles();
      for (const f of all) {
        const to = join(drop, basename(dirname(dirname(f))), basename(dirname(f)), basename(f));
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(f, to);
        const ds = (await readDicomFile(f)).dataset;
        originals.set(ds.string('SOPInstanceUID')!, (await pixelHashOf(f)).hash);
      }
      originalKb = kbOf(all);
      const r = await loadAndDeleteDir(archive, drop, { log: silentLogger });
      assert.equal(r.loaded, all.length);
    });

    after(async () => {
      await archive?.close();
      await database?.drop();
      await closeSharedCodecPool();
      rmSync(dir, { recursive: true, force: true });
    });

    it('-as: LRUSort order, every file recompressed in place to JPEG 2000 lossless, KB counted after', async () => {
      const before = await rows(archive);
      const r = await selectLruForArchival(archive, 100_000_000, 'MAG0', opts);
      // Newest study: PAT002 2021-11-11, PAT003 2023-01-01, PAT001 2024-02-29 — oldest last study first.
      assert.deepEqual(
        r.selected.map((s) => s.patientId),
        ['PAT002', 'PAT003', 'PAT001'],
      );
      assert.deepEqual(await devices(archive), { 'MAG0.Archiving': before.length });
      assert.equal(r.recompressed, before.length);
      assert.equal(r.recompressFailed, 0);
      const after = await rows(archive);
      // Same rows, same file names: only DeviceName changed.
      assert.deepEqual(
        after.map((x) => [x.sop, x.file]),
        before.map((x) => [x.sop, x.file]),
      );
      for (const row of after) {
        const { hash, ts } = await pixelHashOf(join(mag0, row.file));
        assert.equal(ts, J2K_LOSSLESS, row.file);
        assert.equal(hash, originals.get(row.sop), `${row.file}: decoded pixels differ from the original`);
      }
      for (const s of r.selected) {
        const files = pathsOf(
          after.filter((x) => x.patient === s.patientId),
          mag0,
        );
        assert.equal(s.kb, kbOf(files), `${s.patientId}: KB as the files are now`);
        assert.equal(s.images, files.length);
        kbAfter.set(s.patientId, s.kb);
      }
      assert.equal(
        r.totalKb,
        r.selected.reduce((t, s) => t + s.kb, 0),
      );
      assert.ok(r.totalKb < originalKb, `${r.totalKb} KB after jk, ${originalKb} KB before`);
      const out = take();
      assert.ok(out.includes('Archival: set archive flag for patient: PAT002'));
      assert.ok(out.includes(`Archival: total archive amount: ${r.totalKb} KB`));
      assert.ok(out.some((l) => /^Archival: +\d+ KB will be written for patient: PAT003$/.test(l)));
    });

    it('-as refuses while patients of the device are selected', async () => {
      await assert.rejects(
        selectLruForArchival(archive, 1000, 'MAG0', opts),
        (e: unknown) => e instanceof MaintenanceError && /already selected/.test(e.message),
      );
    });

    it('-au: every MAGn.Archiving row back to MAGn, the files as they are', async () => {
      const n = await restoreMagFlags(archive, opts);
      assert.equal(n, (await rows(archive)).length);
      assert.deepEqual(Object.keys(await devices(archive)), ['MAG0']);
      assert.deepEqual(take(), [
        `Resetting archive flag on device: MAG0 (${n} images)`,
        'Resetting archive flag on device: MAG1',
      ]);
    });

    it('-as with a negative amount takes the most recent first; it stops at the amount and looks past what does not fit', async () => {
      const [k1, k2, k3] = ['PAT001', 'PAT002', 'PAT003'].map((p) => kbAfter.get(p)!);
      // Most recent first: PAT001, PAT003, PAT002. With room for PAT001 and PAT002 only, PAT003 (larger than
      // PAT002 in the corpus) is looked past and PAT002 still taken.
      assert.ok(k3! > k2!, `corpus sizes: PAT003 ${k3} KB, PAT002 ${k2} KB`);
      const r = await selectLruForArchival(archive, -(k1! + k2!), 'MAG0', opts);
      assert.deepEqual(
        r.selected.map((s) => s.patientId),
        ['PAT001', 'PAT002'],
      );
      assert.deepEqual(r.skipped, ['PAT003']);
      assert.equal(r.totalKb, k1! + k2!);
      // Files already in jk are not rewritten again.
      assert.equal(r.recompressed, 0);
      const now = await rows(archive);
      assert.ok(now.filter((x) => x.patient === 'PAT003').every((x) => x.device === 'MAG0'));
      assert.ok(now.filter((x) => x.patient !== 'PAT003').every((x) => x.device === 'MAG0.Archiving'));
      await restoreMagFlags(archive, opts);
      take();
    });

    it('-am: a copy that does not compare stops the move; rows, sources and target are as before', async () => {
      await selectLruForArchival(archive, 100_000_000, 'MAG0', opts);
      const before = await rows(archive);
      let corrupted = 0;
      await assert.rejects(
        moveDataToDevice(archive, 'MAG0.Archiving', 'MAG1', {
          ...opts,
          hooks: {
            afterCopy: (_source, target) => {
              if (corrupted++ === 3) {
                const b = readFileSync(target);
                b[b.length - 1] = b[b.length - 1]! ^ 0xff;
                writeFileSync(target, b);
              }
            },
          },
        }),
        (e: unknown) => e instanceof MaintenanceError && /Comparison failed for files/.test(e.message),
      );
      assert.deepEqual(await rows(archive), before);
      assert.deepEqual(filesUnder(mag0), before.map((r) => r.file).sort());
      assert.deepEqual(filesUnder(mag1), []);
      take();
    });

    it('-am MAG0.Archiving → MAG1: files moved, rows on MAG1, sources and their folders gone; retrieval finds them', async () => {
      const before = await rows(archive);
      const r = await moveDataToDevice(archive, 'MAG0.Archiving', 'MAG1', opts);
      assert.equal(r.moved, before.length);
      assert.equal(r.deleted, before.length);
      assert.deepEqual(await devices(archive), { MAG1: before.length });
      assert.deepEqual(filesUnder(mag1), before.map((x) => x.file).sort());
      assert.deepEqual(filesUnder(mag0), []);
      assert.deepEqual(emptyFolders(mag0), []);
      const out = take();
      assert.ok(out[0]!.startsWith('MoveDataToDevice: moving '));
      assert.ok(out.includes('MoveDataToDevice: compared image data for patient: PAT001'));
      assert.ok(out.includes('MoveDataToDevice: deleted source data for patient: PAT003'));

      const id = new Dataset();
      id.setStrings('QueryRetrieveLevel', 'PATIENT');
      id.setStrings('PatientID', 'PAT002');
      const items = await selectForRetrieve(
        archive.index!.schema,
        archive.index!.driver,
        folders(),
        'PATIENT',
        id,
      );
      assert.equal(items.length, before.filter((x) => x.patient === 'PAT002').length);
      for (const it of items) {
        assert.ok(it.path.startsWith(resolve(mag1)), it.path);
        assert.ok(existsSync(it.path));
      }
      const series = before.find((x) => x.patient === 'PAT001')!.series;
      const listed = await seriesImages(archive, series, 'PAT001');
      assert.ok(listed.length > 0);
      for (const img of listed)
        assert.ok(img.path && existsSync(img.path) && img.path.startsWith(resolve(mag1)));
    });

    it('-ae renames the device in the index only; -am brings the data back to MAG0', async () => {
      const n = (await rows(archive)).length;
      assert.equal(await renameDevice(archive, 'MAG1', 'MAG7', opts), n);
      assert.deepEqual(await devices(archive), { MAG7: n });
      assert.equal(filesUnder(mag1).length, n);
      assert.deepEqual(take(), [`Archival: set new device name DeviceName = 'MAG7' (${n} images from MAG1)`]);
      assert.equal(await renameDevice(archive, 'MAG7', 'MAG1', opts), n);
      await moveDataToDevice(archive, 'MAG1', 'MAG0', opts);
      assert.deepEqual(await devices(archive), { MAG0: n });
      assert.equal(filesUnder(mag0).length, n);
      assert.deepEqual(filesUnder(mag1), []);
      // Moving onto the same folder only renames (nothing is copied onto itself and deleted).
      await moveDataToDevice(archive, 'MAG0', 'MAG0.Archiving', opts);
      assert.equal(filesUnder(mag0).length, n);
      await restoreMagFlags(archive, opts);
      take();
    });

    it('-ab JUKEBOX0.1: the selected patients go to the cache folder, rows become JUKEBOX0.1, found there', async () => {
      const budget = kbAfter.get('PAT002')!;
      const sel = await selectLruForArchival(archive, budget, 'MAG0', opts);
      assert.deepEqual(
        sel.selected.map((s) => s.patientId),
        ['PAT002'],
      );
      const pat2 = (await rows(archive)).filter((x) => x.patient === 'PAT002');
      const r = await prepareBunchForBurning(archive, 'JUKEBOX0.1', 'MAG0', opts);
      const cache = join(cacheRoot, 'cd00_0001');
      assert.equal(resolve(r.cacheFolder!), resolve(cache));
      assert.equal(r.moved, pat2.length);
      assert.deepEqual(filesUnder(cache), pat2.map((x) => x.file).sort());
      assert.ok(!filesUnder(mag0).some((f) => pat2.some((x) => x.file === f)));
      const d = await devices(archive);
      assert.equal(d['JUKEBOX0.1'], pat2.length);
      assert.ok(take().includes(`Archival: writing to cache-device: ${r.cacheFolder}`));

      // Not burned yet: the jukebox folder does not exist; the retrieve path finds the files in the cache.
      const id = new Dataset();
      id.setStrings('QueryRetrieveLevel', 'PATIENT');
      id.setStrings('PatientID', 'PAT002');
      const items = await selectForRetrieve(
        archive.index!.schema,
        archive.index!.driver,
        folders(),
        'PATIENT',
        id,
      );
      assert.equal(items.length, pat2.length);
      for (const it of items) assert.ok(it.path.startsWith(resolve(cache)) && existsSync(it.path), it.path);

      // The same CD cannot be prepared twice.
      await selectLruForArchival(archive, 100_000_000, 'MAG0', opts);
      await assert.rejects(
        prepareBunchForBurning(archive, 'JUKEBOX0.1', 'MAG0', opts),
        (e: unknown) => e instanceof MaintenanceError && /has been used before/.test(e.message),
      );
      await restoreMagFlags(archive, opts);
      await assert.rejects(
        prepareBunchForBurning(archive, 'MAG1', 'MAG0', opts),
        (e: unknown) => e instanceof MaintenanceError && /should have been a JUKEBOX device/.test(e.message),
      );
      take();
    });

    it('-ac compares the burned CD with the cache; -ad refuses on a difference, then deletes the cache', async () => {
      const cache = join(cacheRoot, 'cd00_0001');
      const cd = join(jukeboxRoot, 'cd0001');
      cpSync(cache, cd, { recursive: true }); // "burning"
      const ok = await compareBunchAfterBurning(archive, 'JUKEBOX0.1', opts);
      assert.deepEqual([ok.failures.length, ok.passed], [0, ['PAT002']]);
      assert.ok(take().includes('Archival: verified jukebox data for patient: PAT002'));

      const victim = join(cd, filesUnder(cd)[0]!);
      const good = readFileSync(victim);
      writeFileSync(victim, Buffer.concat([good, Buffer.from('x')]));
      const bad = await compareBunchAfterBurning(archive, 'JUKEBOX0.1', opts);
      assert.equal(bad.failures.length, 1);
      assert.deepEqual(bad.failed, ['PAT002']);
      await assert.rejects(
        deleteBunchAfterBurning(archive, 'JUKEBOX0.1', opts),
        (e: unknown) => e instanceof MaintenanceError && /not deleted/.test(e.message),
      );
      assert.ok(filesUnder(cache).length > 0);
      writeFileSync(victim, good);
      take();

      const n = filesUnder(cache).length;
      const r = await deleteBunchAfterBurning(archive, 'JUKEBOX0.1', opts);
      assert.equal(r.deleted, n);
      assert.ok(!existsSync(cache));
      assert.ok(take().includes('Archival: deleted cache data for patient: PAT002'));
      const id = new Dataset();
      id.setStrings('QueryRetrieveLevel', 'PATIENT');
      id.setStrings('PatientID', 'PAT002');
      const items = await selectForRetrieve(
        archive.index!.schema,
        archive.index!.driver,
        folders(),
        'PATIENT',
        id,
      );
      for (const it of items) assert.ok(it.path.startsWith(resolve(cd)) && existsSync(it.path), it.path);
    });

    it('a running server sends the images whose rows say JUKEBOX0.1 (C-GET), read from the CD', async () => {
      const pat2 = (await rows(archive)).filter((x) => x.patient === 'PAT002');
      const server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
      try {
        const client = await DicomClient.connect(
          { host: '127.0.0.1', port: server.port, callingAETitle: 'GETSCU', calledAETitle: 'CONQUESTSRV1' },
          getContexts(GET_SOP_CLASSES.PATIENT, [CT_IMAGE, MR_IMAGE]),
        );
        const got = new Set<string>();
        try {
          const id = new Dataset();
          id.setStrings('QueryRetrieveLevel', 'PATIENT');
          id.setStrings('PatientID', 'PAT002');
          const r = await client.get(GET_SOP_CLASSES.PATIENT, id, async (_c, sop, _ts, data) => {
            for await (const _chunk of data);
            got.add(sop);
            return 0;
          });
          assert.deepEqual([r.status, r.completed, r.failed], [0, pat2.length, 0]);
        } finally {
          await client.release();
        }
        assert.deepEqual([...got].sort(), pat2.map((x) => x.sop).sort());
      } finally {
        await server.close(500);
      }
    });

    it('-av compares MAG0 with MIRROR0 and names the file that differs', async () => {
      cpSync(mag0, mirror, { recursive: true, filter: (src) => !src.includes(`${join(mag0, 'dbase')}`) });
      const ok = await verifyMirrorDisk(archive, 'MAG0', opts);
      assert.equal(ok.failures.length, 0);
      assert.deepEqual([...ok.passed].sort(), ['PAT001', 'PAT003']);
      const rel = filesUnder(mirror).find((f) => f.includes('PAT003'))!;
      truncateSync(join(mirror, rel), 100);
      take();
      const bad = await verifyMirrorDisk(archive, 'MAG0', opts);
      assert.deepEqual(
        bad.failures.map((f) => f.file.replace(/\\/g, '/')),
        [rel.replace(/\\/g, '/')],
      );
      assert.deepEqual(bad.failed, ['PAT003']);
      const out = take();
      assert.ok(
        out.includes(`***Comparison failed for files: ${join(mag0, rel)} and ${join(mirror, rel)}`),
        out.join('\n'),
      );
      await assert.rejects(
        verifyMirrorDisk(archive, 'JUKEBOX0.1', opts),
        (e: unknown) => e instanceof MaintenanceError && /must be a MAG device/.test(e.message),
      );
    });

    it('-at reads every file of the device and reports the corrupt one', async () => {
      const good = await testImages(archive, 'MAG0', opts);
      assert.equal(good.failures.length, 0);
      assert.equal(good.files, filesUnder(mag0).length);
      const rel = filesUnder(mag0).find((f) => f.includes('PAT001'))!;
      truncateSync(join(mag0, rel), 400);
      take();
      const bad = await testImages(archive, 'MAG0', opts);
      assert.deepEqual(
        bad.failures.map((f) => f.file.replace(/\\/g, '/')),
        [rel.replace(/\\/g, '/')],
      );
      assert.ok(take().some((l) => l.startsWith(`***Test read failed for file: ${join(mag0, rel)} (`)));
      // The jukebox CD reads fine.
      assert.equal((await testImages(archive, 'JUKEBOX0.1', opts)).failures.length, 0);
    });

    it('--selectseriestomove by age and size, --moveseriestodevice moves per series', async () => {
      const none = await selectSeriesForArchival(archive, 'MAG0', 100_000, 0, opts);
      assert.deepEqual(none.series, []);
      const one = await selectSeriesForArchival(archive, 'MAG0', 0, 1, opts);
      // The series that passes the amount is included, then the selection stops.
      assert.equal(one.series.length, 1);
      let now = await rows(archive);
      for (const r of now.filter((x) => x.device.startsWith('MAG0')))
        assert.equal(r.device, r.series === one.series[0] ? 'MAG0.Archiving' : 'MAG0');
      await restoreMagFlags(archive, opts);
      const all = await selectSeriesForArchival(archive, 'MAG0', -100_000, 0, opts);
      const onMag0 = now.filter((x) => x.device.startsWith('MAG0'));
      assert.equal(all.series.length, new Set(onMag0.map((x) => x.series)).size);
      take();
      const r = await moveDataToDevice(archive, 'MAG0.Archiving', 'MAG1', { ...opts, bySeries: true });
      assert.equal(r.moved, onMag0.length);
      assert.deepEqual(new Set(r.groups), new Set(all.series));
      assert.ok(take().includes(`MoveSeriesToDevice: compared image data for series: ${all.series[0]}`));
      now = await rows(archive);
      assert.deepEqual(await devices(archive), {
        'JUKEBOX0.1': now.length - onMag0.length,
        MAG1: onMag0.length,
      });
      assert.deepEqual(filesUnder(mag0), []);
    });
  });
}
