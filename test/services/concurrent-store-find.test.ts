/**
 * Issue 4: "stores and queries at the same time from several associations". Four associations store while
 * a fifth queries over and over: no store fails, no query fails, counts only grow, and at the end every
 * object is found once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Dataset } from '../../src/dicom/dataset.js';
import { ExplicitVRLittleEndian } from '../../src/dicom/transfer-syntax.js';
import { writeDataset } from '../../src/dicom/writer.js';
import { silentLogger } from '../../src/logging/logger.js';
import { DicomClient } from '../../src/net/client.js';
import { type RunningServer, startServer } from '../../src/server.js';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const PER_SENDER = 40;

function object(sender: number, i: number): Dataset {
  const ds = new Dataset();
  ds.setStrings('SOPClassUID', SC);
  ds.setStrings('SOPInstanceUID', `1.2.826.0.1.3680043.2.1143.77.${sender}.${i}`);
  ds.setStrings('PatientName', `Busy^${sender >> 1}`);
  ds.setStrings('PatientID', `BUSY${sender >> 1}`);
  // Two senders share each patient and study: their rows are written from two associations at once.
  ds.setStrings('StudyInstanceUID', `1.2.826.0.1.3680043.2.1143.77.${sender >> 1}`);
  ds.setStrings('SeriesInstanceUID', `1.2.826.0.1.3680043.2.1143.77.${sender >> 1}.${sender}`);
  ds.setStrings('Modality', 'OT');
  ds.setBytes('PixelData', 'OB', Buffer.alloc(256, i));
  return ds;
}

describe('stores and queries at the same time', () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-busy-'));
    server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
  });
  after(async () => {
    await server.close(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = (abstractSyntax: string) =>
    DicomClient.connect(
      { host: '127.0.0.1', port: server.port, callingAETitle: 'BUSY', calledAETitle: 'CONQUESTSRV1' },
      [{ abstractSyntax, transferSyntaxes: [ExplicitVRLittleEndian.uid] }],
    );

  const imageCount = async (client: DicomClient): Promise<number> => {
    const id = new Dataset();
    id.setStrings('QueryRetrieveLevel', 'IMAGE');
    id.setStrings(
      'StudyInstanceUID',
      [0, 1].map((s) => `1.2.826.0.1.3680043.2.1143.77.${s}`),
    );
    id.setStrings('SOPInstanceUID', '');
    const { status, matches } = await client.findAll(STUDY_ROOT_FIND, id);
    assert.equal(status, 0);
    return new Set(matches.map((m) => m.string('SOPInstanceUID'))).size;
  };

  it('four storing associations and one querying one: nothing fails, every object is found once', async () => {
    let storing = true;
    const senders = [0, 1, 2, 3].map(async (sender) => {
      const client = await connect(SC);
      for (let i = 0; i < PER_SENDER; i++) {
        const ds = object(sender, i);
        const rsp = await client.store(
          SC,
          ds.string('SOPInstanceUID')!,
          ExplicitVRLittleEndian.uid,
          writeDataset(ds, ExplicitVRLittleEndian),
        );
        assert.equal(rsp.command.status, 0);
      }
      await client.release();
    });
    const querier = (async () => {
      const client = await connect(STUDY_ROOT_FIND);
      const seen: number[] = [];
      while (storing) seen.push(await imageCount(client));
      await client.release();
      return seen;
    })();
    await Promise.all(senders);
    storing = false;
    const seen = await querier;
    assert.ok(seen.length > 0);
    for (let k = 1; k < seen.length; k++)
      assert.ok(seen[k]! >= seen[k - 1]!, `counts only grow: ${seen.join(',')}`);
    const client = await connect(STUDY_ROOT_FIND);
    assert.equal(await imageCount(client), 4 * PER_SENDER);
    await client.release();
  });
});
