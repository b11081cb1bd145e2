/**
 * Verification and Storage SCP against DCMTK's echoscu and storescu: every valid corpus file in its own
 * transfer syntax, at two PDU sizes, on one association and on four at once; the stored files hold the
 * data set as it was sent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../../src/dicom/dataset.js';
import { parseDicom } from '../../src/dicom/reader.js';
import { contextsForFiles, DicomClient, describeFile } from '../../src/net/client.js';
import { type CanonicalElement, canonical } from '../support/canonical.js';
import { CORPUS_SKIP, corpusPath, validCorpusFiles } from '../support/corpus.js';
import { DCMTK_SKIP, type FileToSend, runStatus, storescuConfigs } from '../support/dcmtk.js';
import { startTestScp, type TestScp } from '../support/scp.js';

/**
 * What storescu sends may differ in form from the file it read: it recalculates group lengths, writes
 * sequences with explicit lengths, trims the padding of some values (DS), drops Data Set Trailing Padding
 * (FFFC,FFFC), which PS3.5 7.8 lets any application remove. The comparison ignores those and
 * only those: elements, VRs (but UN, which Implicit VR cannot tell), values and items must be equal.
 */
function sendable(ds: Dataset): CanonicalElement[] {
  const strip = (els: CanonicalElement[]): CanonicalElement[] =>
    els
      .filter(([tag]) => !tag.endsWith(',0000)') && tag !== '(FFFC,FFFC)')
      .map(([tag, vr, value]) => [
        tag,
        vr,
        typeof value === 'string' ? value.replace(/(20|00)+$/, '') : value.map(strip),
      ]);
  return strip(canonical(ds, { looseVR: true }));
}

function assertSameDataSet(sentPath: string, storedPath: string): void {
  const sent = parseDicom(readFileSync(sentPath));
  const stored = parseDicom(readFileSync(storedPath));
  assert.equal(stored.transferSyntax.uid, sent.transferSyntax.uid, sentPath);
  assert.equal(stored.meta.string(0x00020003), sent.dataset.string('SOPInstanceUID'));
  assert.deepEqual(sendable(stored.dataset), sendable(sent.dataset), `${sentPath} → ${storedPath}`);
}

function corpusFilesToSend(): FileToSend[] {
  return validCorpusFiles()
    .filter((e) => !e.path.startsWith('query/'))
    .map((e) => {
      const path = corpusPath(e);
      const head = parseDicom(readFileSync(path), { stopBeforeTag: 0x00080019 });
      return {
        path,
        sopClassUid: head.dataset.string('SOPClassUID')!,
        transferSyntaxUid: head.transferSyntax.uid,
      };
    });
}

describe('Verification SCP with echoscu', { skip: DCMTK_SKIP }, () => {
  let scp: TestScp;
  before(async () => {
    scp = await startTestScp();
  });
  after(() => scp.close());

  it('answers C-ECHO and logs the association', async () => {
    const r = await runStatus('echoscu', [
      '-v',
      '-aet',
      'ECHOER',
      '-aec',
      'CONQUESTSRV1',
      '127.0.0.1',
      String(scp.port),
    ]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Received Echo Response \(Success\)/);
    assert.ok(scp.log.some((l) => /association from ECHOER \(127\.0\.0\.1\) to CONQUESTSRV1/.test(l)));
  });
});

describe('Storage SCP with storescu', { skip: DCMTK_SKIP || CORPUS_SKIP }, () => {
  let scp: TestScp;
  let cfgDir: string;
  let files: FileToSend[] = [];
  let groups: { config: string; files: string[] }[] = [];
  before(async () => {
    scp = await startTestScp();
    cfgDir = mkdtempSync(join(tmpdir(), 'cq-storescu-'));
    files = corpusFilesToSend();
    groups = storescuConfigs(cfgDir, files);
  });
  after(async () => {
    await scp.close();
    rmSync(cfgDir, { recursive: true, force: true });
  });

  function checkAllStored(): void {
    assert.equal(scp.stored.length, files.length);
    const bySop = new Map(scp.stored.map((s) => [s.sopInstanceUid, s.path]));
    for (const f of files) {
      const sent = parseDicom(readFileSync(f.path), { stopBeforeTag: 0x00080019 });
      const path = bySop.get(sent.dataset.string('SOPInstanceUID') ?? '');
      assert.ok(path, `${f.path} not stored`);
      assertSameDataSet(f.path, path);
    }
  }

  for (const pdu of [4096, 131072]) {
    it(`stores every valid corpus file as sent, one association per group, -pdu ${pdu}`, async () => {
      scp.stored.length = 0;
      for (const g of groups) {
        const r = await runStatus('storescu', [
          '-xf',
          g.config,
          'Default',
          '-pdu',
          String(pdu),
          '127.0.0.1',
          String(scp.port),
          ...g.files,
        ]);
        assert.equal(r.code, 0, r.output.slice(0, 3000));
        assert.doesNotMatch(r.output, /Store Failed|Abort/);
      }
      checkAllStored();
    });
  }

  it('serves four storescu associations at once', async () => {
    scp.stored.length = 0;
    const runs: Promise<{ code: number; output: string }>[] = [];
    for (const g of groups) {
      for (let k = 0; k < 4; k++) {
        const part = g.files.filter((_, i) => i % 4 === k);
        if (part.length)
          runs.push(
            runStatus('storescu', ['-xf', g.config, 'Default', '127.0.0.1', String(scp.port), ...part]),
          );
      }
    }
    for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.output.slice(0, 3000));
    checkAllStored();
  });

  it('a duplicate SOP Instance UID replaces the earlier file', async () => {
    const f = files.find((e) => e.path.includes('/study/'))!;
    const cfg = storescuConfigs(cfgDir, [f])[0]!;
    scp.stored.length = 0;
    const r = await runStatus('storescu', [
      '-xf',
      cfg.config,
      'Default',
      '127.0.0.1',
      String(scp.port),
      f.path,
      f.path,
    ]);
    assert.equal(r.code, 0, r.output);
    assert.equal(scp.stored.length, 2);
    assert.equal(scp.stored[0]!.path, scp.stored[1]!.path);
    assertSameDataSet(f.path, scp.stored[1]!.path);
  });
});

describe('Storage SCP with our SCU: byte for byte', { skip: CORPUS_SKIP }, () => {
  it('the data set part of each stored file is the bytes that were sent', async (t) => {
    const scp = await startTestScp();
    t.after(() => scp.close());
    const entries = validCorpusFiles().filter((e) => !e.path.startsWith('query/'));
    const files = await Promise.all(entries.map((e) => describeFile(corpusPath(e))));
    for (let i = 0; i < files.length; i += 100) {
      const group = files.slice(i, i + 100);
      const client = await DicomClient.connect(
        { host: '127.0.0.1', port: scp.port, callingAETitle: 'BYTES', calledAETitle: 'CONQUESTSRV1' },
        contextsForFiles(group),
      );
      for (const f of group) assert.equal(await client.storeFile(f), 0, f.path);
      await client.release();
    }
    assert.equal(scp.stored.length, files.length);
    const bySop = new Map(scp.stored.map((s) => [s.sopInstanceUid, s.path]));
    for (const f of files) {
      const sent = readFileSync(f.path).subarray(f.datasetOffset);
      const storedPath = bySop.get(f.sopInstanceUid)!;
      const stored = readFileSync(storedPath);
      const head = parseDicom(stored, { stopBeforeTag: 0 });
      assert.ok(
        stored.subarray(head.datasetOffset).equals(sent),
        `${f.path}: stored data set differs from the bytes sent`,
      );
      assert.equal(head.meta.string(0x00020016), 'BYTES');
    }
  });
});
