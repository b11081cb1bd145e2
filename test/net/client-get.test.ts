/**
 * DicomClient.get (C-GET SCU): against our own server started in-process (DCMTK has no C-GET SCP), the
 * objects of a series come back over the same association and are written as Part 10 files whose data sets
 * are byte for byte those stored; a refused or failing sub-operation is reported in the counts and in the
 * final response's Failed SOP Instance UID List.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultDgatesopList } from '../../src/config/dgatesop-list.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { silentLogger } from '../../src/logging/logger.js';
import {
  DicomClient,
  GET_SOP_CLASSES,
  type GetStoreHandler,
  getContexts,
  part10FolderWriter,
  type RetrieveProgress,
  storageClassesAmong,
} from '../../src/net/client.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { FIXTURE, SC, storeFiles, uid, writeFixtures } from '../control/query-fixtures.js';

async function datasetBytes(path: string): Promise<Buffer> {
  const f = await readDicomFile(path, { stopBeforeTag: 0x00080019 });
  return readFileSync(path).subarray(f.datasetOffset);
}

function seriesIdentifier(study: string, series: string): Dataset {
  const ds = new Dataset();
  ds.setStrings('QueryRetrieveLevel', 'SERIES');
  ds.setStrings('StudyInstanceUID', study);
  ds.setStrings('SeriesInstanceUID', series);
  return ds;
}

describe('DicomClient.get against our server', () => {
  let dir: string;
  let server: RunningServer;
  let sent: Map<string, string>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-get-'));
    server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
    sent = writeFixtures(join(dir, 'in'));
    await storeFiles(server.port, sent.values());
  });
  after(async () => {
    await server.close(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = (storage: readonly string[] = [SC]): Promise<DicomClient> =>
    DicomClient.connect(
      { host: '127.0.0.1', port: server.port, callingAETitle: 'GETSCU', calledAETitle: 'CONQUESTSRV1' },
      getContexts(GET_SOP_CLASSES.STUDY, storage),
    );

  it('receives every object of a series as Part 10 files, data sets byte for byte as stored', async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'cq-got-'));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    // All of dgatesop.lst's storage classes proposed (127 of them at most), as a general C-GET SCU does.
    const client = await connect(storageClassesAmong(server.config.sopList.abstractSyntaxes().keys()));
    const writer = part10FolderWriter(out);
    const pending: RetrieveProgress[] = [];
    const result = await client.get(
      GET_SOP_CLASSES.STUDY,
      seriesIdentifier(uid(1), uid(1, 1)),
      writer.onStore,
      (p) => pending.push(p),
    );
    await client.release();
    assert.equal(result.status, 0);
    assert.equal(result.completed, 3);
    assert.equal(result.failed, 0);
    assert.deepEqual(result.failedSopInstanceUids, []);
    assert.equal(pending.length, 2, 'a pending response after each sub-operation but the last');
    const expected = FIXTURE.filter((i) => i.seriesUid === uid(1, 1)).map((i) => `${i.sopUid}.dcm`);
    assert.deepEqual(readdirSync(out).sort(), expected.sort());
    for (const file of readdirSync(out)) {
      const original = sent.get(file.replace(/\.dcm$/, ''))!;
      assert.ok((await datasetBytes(join(out, file))).equals(await datasetBytes(original)), file);
      const meta = (await readDicomFile(join(out, file))).meta;
      assert.equal(meta.string(0x00020003), file.replace(/\.dcm$/, ''));
      assert.equal(meta.string(0x00020010), '1.2.840.10008.1.2.1');
    }
  });

  it('a refused and a failing sub-operation come back as failures with their UIDs', async () => {
    const client = await connect();
    const images = FIXTURE.filter((i) => i.seriesUid === uid(1, 1)).map((i) => i.sopUid);
    const [refused, broken] = [images[0]!, images[1]!];
    const seen: string[] = [];
    const onStore: GetStoreHandler = async (sopClass, sop, ts, dataSet) => {
      assert.equal(sopClass, SC);
      assert.equal(ts, '1.2.840.10008.1.2.1');
      seen.push(sop);
      if (sop === broken) throw new Error('disk on fire');
      for await (const _ of dataSet) {
        // read it all
      }
      return sop === refused ? 0xa700 : 0;
    };
    const result = await client.get(GET_SOP_CLASSES.STUDY, seriesIdentifier(uid(1), uid(1, 1)), onStore);
    // The association is still usable after the failures: a second get on it works.
    const again = await client.get(
      GET_SOP_CLASSES.STUDY,
      seriesIdentifier(uid(1), uid(1, 2)),
      async (_c, _s, _t, ds) => {
        ds.resume();
        return 0;
      },
    );
    await client.release();
    assert.deepEqual(seen.sort(), [...images].sort());
    assert.equal(result.status, 0xb000);
    assert.equal(result.completed, 1);
    assert.equal(result.failed, 2);
    assert.deepEqual(result.failedSopInstanceUids.sort(), [refused, broken].sort());
    assert.equal(again.status, 0);
    assert.equal(again.completed, 1);
  });

  it('a get for nothing that matches completes with no sub-operations', async () => {
    const client = await connect();
    let calls = 0;
    const result = await client.get(GET_SOP_CLASSES.STUDY, seriesIdentifier(uid(1), uid(1, 99)), async () => {
      calls++;
      return 0;
    });
    await client.release();
    assert.equal(result.status, 0);
    assert.equal(result.completed, 0);
    assert.equal(calls, 0);
  });
});

describe('getContexts', () => {
  it('takes the storage classes of dgatesop.lst: storage only, Get and Find classes left out', () => {
    const fromList = storageClassesAmong(defaultDgatesopList().abstractSyntaxes().keys());
    assert.ok(fromList.includes(SC));
    assert.ok(fromList.includes('1.2.840.10008.5.1.4.1.1.2'), 'CT Image Storage');
    assert.ok(!fromList.includes('1.2.840.10008.1.1'), 'not Verification');
    assert.ok(!fromList.includes(GET_SOP_CLASSES.STUDY));
    assert.ok(!fromList.includes('1.2.840.10008.5.1.4.1.2.2.1'), 'not a Find class');
    const contexts = getContexts(GET_SOP_CLASSES.STUDY, fromList);
    assert.ok(contexts.length <= 128);
    assert.equal(contexts.length, Math.min(128, fromList.length + 1));
  });

  it('proposes the Get class and each storage class once, in the SCP role, at most 128 contexts', () => {
    const many = Array.from({ length: 300 }, (_, i) => `1.2.3.${i % 200}`);
    const contexts = getContexts(GET_SOP_CLASSES.PATIENT, many, ['1.2.840.10008.1.2']);
    assert.equal(contexts.length, 128);
    assert.equal(contexts[0]!.abstractSyntax, GET_SOP_CLASSES.PATIENT);
    assert.equal(contexts[0]!.roles, undefined);
    assert.equal(new Set(contexts.map((c) => c.abstractSyntax)).size, 128);
    for (const c of contexts.slice(1)) {
      assert.deepEqual(c.roles, { scuRole: false, scpRole: true });
      assert.deepEqual(c.transferSyntaxes, ['1.2.840.10008.1.2']);
    }
  });
});
