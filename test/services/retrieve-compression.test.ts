/**
 * Issue 5: objects go out in the destination's compression mode (acrnema.map column), falling back to
 * uncompressed when the receiver refuses the compressed syntaxes. Receivers are DCMTK storescp: with +xa
 * it accepts every syntax, by default only the uncompressed ones.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCompressionMode } from '../../src/codecs/modes.js';
import { decodeAllFrames } from '../../src/codecs/registry.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { silentLogger } from '../../src/logging/logger.js';
import { DicomClient, describeFile } from '../../src/net/client.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { proposalFor, sendOrder } from '../../src/services/outgoing-syntax.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';
import { DCMTK_SKIP, storeAsIs } from '../support/dcmtk.js';
import { pixelHash } from '../support/pixel-hash.js';
import { freePort } from '../support/ports.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const JPEG_LL = '1.2.840.10008.1.2.4.57';
const JPEG_LL_SV1 = '1.2.840.10008.1.2.4.70';
const JPEG_LS = '1.2.840.10008.1.2.4.80';
const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';

describe('outgoing syntaxes (Conquest 7.4/7.7)', () => {
  it('a JPEG mode proposes its syntaxes each in a context, plus an uncompressed fallback', () => {
    const p = proposalFor([{ sopClassUid: CT, transferSyntaxUid: EXPLICIT_LE }], parseCompressionMode('j2'));
    assert.deepEqual(
      p.map((c) => c.transferSyntaxes),
      [[EXPLICIT_LE, IMPLICIT_LE], [JPEG_LL], [JPEG_LL_SV1]],
    );
  });

  it('as proposes each stored syntax; un only uncompressed', () => {
    const objects = [
      { sopClassUid: CT, transferSyntaxUid: JPEG_LS },
      { sopClassUid: CT, transferSyntaxUid: EXPLICIT_LE },
    ];
    assert.deepEqual(
      proposalFor(objects, parseCompressionMode('as')).map((c) => c.transferSyntaxes),
      [[EXPLICIT_LE, IMPLICIT_LE], [JPEG_LS]],
    );
    assert.deepEqual(
      proposalFor(objects, parseCompressionMode('un')).map((c) => c.transferSyntaxes),
      [[EXPLICIT_LE, IMPLICIT_LE]],
    );
  });

  it('tries the mode first, then uncompressed; uj keeps JPEG, un decompresses', () => {
    assert.deepEqual(sendOrder(EXPLICIT_LE, [JPEG_LL, EXPLICIT_LE], parseCompressionMode('j2')), [
      JPEG_LL,
      EXPLICIT_LE,
    ]);
    assert.deepEqual(sendOrder(EXPLICIT_LE, [EXPLICIT_LE, IMPLICIT_LE], parseCompressionMode('j2')), [
      EXPLICIT_LE,
      IMPLICIT_LE,
    ]);
    assert.deepEqual(sendOrder(JPEG_LS, [JPEG_LS, EXPLICIT_LE], parseCompressionMode('uj')), [
      JPEG_LS,
      EXPLICIT_LE,
    ]);
    assert.deepEqual(sendOrder(JPEG_LS, [JPEG_LS, EXPLICIT_LE], parseCompressionMode('un')), [
      EXPLICIT_LE,
      JPEG_LS,
    ]);
    assert.deepEqual(sendOrder(JPEG_LS, [IMPLICIT_LE], parseCompressionMode('as')), [IMPLICIT_LE]);
  });
});

describe("C-MOVE in the destination's compression", { skip: DCMTK_SKIP || CORPUS_SKIP }, () => {
  let dir: string;
  let server: RunningServer;
  const receivers: { dir: string; child: ChildProcess }[] = [];
  const sources = ['pixel/mono2_s16_ct.dcm', 'codec/jpegls_ll_mr12.dcm'];
  const hashes = new Map<string, string>();

  async function receiver(args: string[]): Promise<{ dir: string; port: number }> {
    const out = mkdtempSync(join(tmpdir(), 'cq-recv-'));
    const port = await freePort();
    const child = spawn('storescp', [...args, '-od', out, String(port)], {
      stdio: 'ignore',
      env: { ...process.env, TCP_NODELAY: '1' },
    });
    receivers.push({ dir: out, child });
    return { dir: out, port };
  }

  async function hashOf(path: string): Promise<{ hash: string; ts: string; sop: string }> {
    const f = await readDicomFile(path);
    const { description, frames } = await decodeAllFrames(f.dataset, f.transferSyntax.uid);
    return {
      hash: pixelHash(
        frames.map((x) => x.pixels),
        { ...description, photometricInterpretation: frames[0]!.photometricInterpretation },
      ),
      ts: f.transferSyntax.uid,
      sop: f.dataset.string('SOPInstanceUID')!,
    };
  }

  let all: { dir: string; port: number };
  let plain: { dir: string; port: number };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-movecomp-'));
    all = await receiver(['+xa']);
    plain = await receiver([]);
    const first = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
    await first.close(100);
    writeFileSync(
      join(dir, 'acrnema.map'),
      `/* test */\nJPEGALL 127.0.0.1 ${all.port} j2\nJPEGPLAIN 127.0.0.1 ${plain.port} j2\nUNALL 127.0.0.1 ${all.port} un\n`,
    );
    server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
    const files = sources.map((s) => {
      const copy = join(dir, s.replace(/\//g, '_'));
      copyFileSync(corpusPath(s), copy);
      return copy;
    });
    const r = await storeAsIs(dir, server.port, files);
    assert.equal(r.code, 0, r.output.slice(0, 2000));
    for (const f of files) {
      const h = await hashOf(f);
      hashes.set(h.sop, h.hash);
    }
  });
  after(async () => {
    await server?.close(500);
    for (const r of receivers) {
      r.child.kill('SIGTERM');
      rmSync(r.dir, { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function moveAll(destination: string): Promise<number> {
    const client = await DicomClient.connect(
      { host: '127.0.0.1', port: server.port, callingAETitle: 'MOVER', calledAETitle: 'CONQUESTSRV1' },
      [{ abstractSyntax: STUDY_ROOT_MOVE, transferSyntaxes: [EXPLICIT_LE] }],
    );
    const studies = new Set<string>();
    for (const s of sources)
      studies.add((await readDicomFile(corpusPath(s))).dataset.string('StudyInstanceUID')!);
    const id = new Dataset();
    id.setStrings('QueryRetrieveLevel', 'STUDY');
    id.setStrings('StudyInstanceUID', [...studies]);
    const result = await client.move(STUDY_ROOT_MOVE, destination, id);
    await client.release();
    return result.completed;
  }

  async function arrived(at: string, n: number): Promise<{ hash: string; ts: string; sop: string }[]> {
    for (let i = 0; i < 60 && readdirSync(at).length < n; i++) await new Promise((r) => setTimeout(r, 50));
    const out = [];
    for (const f of readdirSync(at)) out.push(await hashOf(join(at, f)));
    for (const f of readdirSync(at)) rmSync(join(at, f));
    return out;
  }

  it('j2 to a receiver that accepts JPEG lossless: JPEG lossless, original pixels', async () => {
    // j2 proposes .57 then .70 (Conquest's order); DCMTK's storescp +xa accepts only .70 of the two.
    assert.equal(await moveAll('JPEGALL'), 2);
    const got = await arrived(all.dir, 2);
    for (const g of got) assert.ok([JPEG_LL, JPEG_LL_SV1].includes(g.ts), g.ts);
    for (const g of got) assert.equal(g.hash, hashes.get(g.sop));
  });

  it('j2 to a receiver that refuses JPEG: uncompressed, original pixels', async () => {
    assert.equal(await moveAll('JPEGPLAIN'), 2);
    const got = await arrived(plain.dir, 2);
    for (const g of got) {
      assert.ok([EXPLICIT_LE, IMPLICIT_LE].includes(g.ts), g.ts);
      assert.equal(g.hash, hashes.get(g.sop));
    }
  });

  it('a corrupt JPEG that must be decompressed fails its sub-operation with its UID; the server goes on', async () => {
    const bad = join(dir, 'corrupt.dcm');
    copyFileSync(corpusPath('bad/corrupt_jpeg_entropy.dcm'), bad);
    const described = await describeFile(bad);
    const sender = await DicomClient.connect(
      { host: '127.0.0.1', port: server.port, callingAETitle: 'SENDER', calledAETitle: 'CONQUESTSRV1' },
      [{ abstractSyntax: described.sopClassUid, transferSyntaxes: [described.transferSyntax.uid] }],
    );
    assert.equal(await sender.storeFile(described), 0, 'stored as received (its structure is valid)');
    await sender.release();
    const f = await readDicomFile(bad);
    const client = await DicomClient.connect(
      { host: '127.0.0.1', port: server.port, callingAETitle: 'MOVER', calledAETitle: 'CONQUESTSRV1' },
      [{ abstractSyntax: STUDY_ROOT_MOVE, transferSyntaxes: [EXPLICIT_LE] }],
    );
    const id = new Dataset();
    id.setStrings('QueryRetrieveLevel', 'STUDY');
    id.setStrings('StudyInstanceUID', f.dataset.string('StudyInstanceUID')!);
    const result = await client.move(STUDY_ROOT_MOVE, 'UNALL', id);
    await client.release();
    assert.equal(result.failed, 1);
    assert.equal(result.status, 0xb000);
    assert.deepEqual(result.failedSopInstanceUids, [f.dataset.string('SOPInstanceUID')]);
    assert.equal(await moveAll('UNALL'), 2, 'the next C-MOVE works');
    await arrived(all.dir, 2);
  });

  it('un: a JPEG-LS object is decompressed even for a receiver that accepts JPEG-LS', async () => {
    assert.equal(await moveAll('UNALL'), 2);
    const got = await arrived(all.dir, 2);
    for (const g of got) {
      assert.ok([EXPLICIT_LE, IMPLICIT_LE].includes(g.ts), g.ts);
      assert.equal(g.hash, hashes.get(g.sop));
    }
  });

  it('an object stored NKI-compressed (called AE ~n4) is retrieved by a plain receiver decompressed', async () => {
    const described = await describeFile(corpusPath(sources[0]!));
    const sender = await DicomClient.connect(
      { host: '127.0.0.1', port: server.port, callingAETitle: 'SENDER', calledAETitle: 'CONQUESTSRV1~n4' },
      [{ abstractSyntax: described.sopClassUid, transferSyntaxes: [described.transferSyntax.uid] }],
    );
    assert.equal(await sender.storeFile(described), 0);
    await sender.release();
    const storedCopies = readdirSync(join(dir, 'data'), { recursive: true, withFileTypes: true })
      .filter(
        (e) => e.isFile() && e.name.endsWith('.dcm') && !/dbase|\.journal|\.incoming/.test(e.parentPath),
      )
      .map((e) => join(e.parentPath, e.name));
    let nki = 0;
    for (const f of storedCopies) if ((await readDicomFile(f)).dataset.has(0x7fdf0010)) nki++;
    assert.equal(nki, 1, 'the CT is stored NKI-compressed');
    assert.equal(await moveAll('UNALL'), 2);
    const got = await arrived(all.dir, 2);
    for (const g of got) assert.equal(g.hash, hashes.get(g.sop), 'pixels back in (7FE0,0010)');
  });
});
