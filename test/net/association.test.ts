/**
 * The association layer against scripted peers and DCMTK: negotiation results, rejections, and hostile or
 * broken peers (dropped connections, garbage, truncated PDUs, silence). The server must log, time out
 * where due, keep serving others, and leave no partial file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDicom } from '../../src/dicom/reader.js';
import { AssociationRejectedError } from '../../src/net/association.js';
import { contextsForFiles, DicomClient, describeFile, VERIFICATION_SOP_CLASS } from '../../src/net/client.js';
import { encodePdu } from '../../src/net/pdu.js';
import { canonical } from '../support/canonical.js';
import { CORPUS_SKIP, corpusPath, validCorpusFiles } from '../support/corpus.js';
import { DCMTK_SKIP, runStatus } from '../support/dcmtk.js';
import { startTestScp, type TestScp } from '../support/scp.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';

function clientOptions(port: number, calling = 'TESTSCU') {
  return { host: '127.0.0.1', port, callingAETitle: calling, calledAETitle: 'CONQUESTSRV1' };
}

async function echoWorks(port: number): Promise<boolean> {
  const c = await DicomClient.connect(clientOptions(port), [
    { abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [EXPLICIT_LE] },
  ]);
  const status = await c.echo();
  await c.release();
  return status === 0;
}

/**
 * Files with content under the device: stored objects, and any partial object left behind. The store keeps
 * a few empty temporary files ready in .incoming; those are not objects.
 */
function storedFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (statSync(path).size > 0) out.push(path);
    }
  };
  walk(dir);
  return out;
}

function rawConnect(port: number): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

function closedWithin(socket: import('node:net').Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    socket.resume();
  });
}

describe('negotiation', () => {
  let scp: TestScp;
  before(async () => {
    scp = await startTestScp({ policy: { remoteAETitles: ['TESTSCU', 'ECHOSCU'] }, maxAssociations: 2 });
  });
  after(() => scp.close());

  it('accepts Verification and answers C-ECHO through our SCU', async () => {
    assert.equal(await echoWorks(scp.port), true);
  });

  it('answers an unsupported SOP class with abstract-syntax-not-supported, per context', async () => {
    const c = await DicomClient.connect(clientOptions(scp.port), [
      { abstractSyntax: '1.2.3.4.5.6.7', transferSyntaxes: [EXPLICIT_LE] },
      { abstractSyntax: CT, transferSyntaxes: ['1.2.3.999'] },
      { abstractSyntax: CT, transferSyntaxes: ['1.2.3.999', EXPLICIT_LE] },
    ]);
    const results = c.association.accept!.presentationContexts.map((pc) => pc.result);
    assert.deepEqual(results, [3, 4, 0]);
    assert.equal(c.association.accept!.presentationContexts[2]!.transferSyntax, EXPLICIT_LE);
    await c.release();
  });

  it('rejects an unknown calling AE when RemoteAE lines exist (our SCU)', async () => {
    await assert.rejects(
      DicomClient.connect(clientOptions(scp.port, 'STRANGER'), [
        { abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [EXPLICIT_LE] },
      ]),
      (e: unknown) => {
        assert.ok(e instanceof AssociationRejectedError);
        assert.deepEqual([e.rejection.result, e.rejection.source, e.rejection.reason], [1, 1, 3]);
        assert.match(e.message, /calling-AE-title-not-recognized/);
        return true;
      },
    );
  });

  it('rejects an unknown calling AE when RemoteAE lines exist (echoscu)', { skip: DCMTK_SKIP }, async () => {
    const r = await runStatus('echoscu', ['-aet', 'STRANGER', '127.0.0.1', String(scp.port)]);
    assert.notEqual(r.code, 0);
    assert.match(r.output, /Association Rejected|Calling AE Title Not Recognized/i);
    const ok = await runStatus('echoscu', ['-aet', 'ECHOSCU', '127.0.0.1', String(scp.port)]);
    assert.equal(ok.code, 0, ok.output);
  });

  it('rejects as transient when more associations than allowed are open', async () => {
    const proposal = [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [EXPLICIT_LE] }];
    const a = await DicomClient.connect(clientOptions(scp.port), proposal);
    const b = await DicomClient.connect(clientOptions(scp.port), proposal);
    await assert.rejects(DicomClient.connect(clientOptions(scp.port), proposal), (e: unknown) => {
      assert.ok(e instanceof AssociationRejectedError);
      assert.deepEqual([e.rejection.result, e.rejection.source, e.rejection.reason], [2, 3, 2]);
      return true;
    });
    await a.release();
    await b.release();
  });

  it('accepts SERVER~xx as SERVER and keeps the override', async () => {
    const c = await DicomClient.connect({ ...clientOptions(scp.port), calledAETitle: 'CONQUESTSRV1~j2' }, [
      { abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [EXPLICIT_LE] },
    ]);
    assert.equal(await c.echo(), 0);
    await c.release();
  });
});

describe('hostile and broken peers', () => {
  let scp: TestScp;
  before(async () => {
    scp = await startTestScp({ artimMs: 500, idleMs: 1500 });
  });
  after(() => scp.close());

  it('a peer that drops the connection mid-object leaves no file, and the server goes on', async () => {
    const file = { sop: CT, uid: '1.2.826.0.1.3680043.8.498.1' };
    const c = await DicomClient.connect(clientOptions(scp.port), [
      { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
    ]);
    async function* halfAnObject(): AsyncGenerator<Buffer> {
      yield Buffer.from('0800050004000000', 'hex'); // start of an element header only
      yield Buffer.alloc(200_000, 1);
      c.association.socket.destroy();
    }
    await assert.rejects(c.store(file.sop, file.uid, EXPLICIT_LE, halfAnObject()));
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(storedFiles(scp.dir), []);
    assert.equal(scp.stored.length, 0);
    assert.equal(await echoWorks(scp.port), true);
  });

  it('garbage instead of a PDU is refused; the server goes on', async () => {
    const s = await rawConnect(scp.port);
    s.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(await closedWithin(s, 3000), true);
    assert.ok(
      scp.log.some((l) => /malformed PDU|unknown PDU type/.test(l)),
      scp.log.join('\n'),
    );
    assert.equal(await echoWorks(scp.port), true);
  });

  it('a PDU whose length runs beyond its bytes, then silence, is timed out by ARTIM', async () => {
    const rq = encodePdu({
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAETitle: 'CONQUESTSRV1',
      callingAETitle: 'SILENT',
      applicationContextName: '1.2.840.10008.3.1.1.1',
      presentationContexts: [
        { id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [EXPLICIT_LE] },
      ],
      userInformation: { maxPduLength: 16384 },
    });
    const s = await rawConnect(scp.port);
    s.write(rq.subarray(0, rq.length - 10));
    assert.equal(await closedWithin(s, 3000), true);
    assert.ok(scp.log.some((l) => /ARTIM timer expired/.test(l)));
    assert.equal(await echoWorks(scp.port), true);
  });

  it('a peer that connects and says nothing is closed by ARTIM', async () => {
    const s = await rawConnect(scp.port);
    const started = Date.now();
    assert.equal(await closedWithin(s, 3000), true);
    assert.ok(Date.now() - started >= 400);
  });

  it('an established association that goes silent is aborted after TCPIPTimeOut', async () => {
    const c = await DicomClient.connect(clientOptions(scp.port), [
      { abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [EXPLICIT_LE] },
    ]);
    await c.association.closed;
    assert.ok(scp.log.some((l) => /TCPIPTimeOut/.test(l)));
  });
});

describe('our SCU into DCMTK storescp', { skip: DCMTK_SKIP || CORPUS_SKIP }, () => {
  it('sends corpus files as they are on one association; they arrive equal', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-storescp-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const port = 20000 + Math.floor(Math.random() * 20000);
    // +xa: accept all transfer syntaxes storescp knows; -od: one file per object in dir.
    const child = spawn('storescp', ['+xa', '-od', dir, '-uf', String(port)], {
      env: { ...process.env, TCP_NODELAY: '1' },
      stdio: 'ignore',
    });
    t.after(() => child.kill());
    await new Promise((r) => setTimeout(r, 300));
    const entries = validCorpusFiles().filter((e) => e.path.startsWith('study/') || e.path.startsWith('ts/'));
    const files = await Promise.all(entries.map((e) => describeFile(corpusPath(e))));
    const client = await DicomClient.connect(
      { ...clientOptions(port), calledAETitle: 'STORESCP' },
      contextsForFiles(files),
    );
    let sent = 0;
    for (const f of files) {
      if (!client.findContext(f.sopClassUid, [f.transferSyntax.uid])) continue;
      assert.equal(await client.storeFile(f), 0, f.path);
      sent++;
    }
    await client.release();
    assert.ok(sent >= entries.length - 4, `${sent} of ${entries.length} sent`);
    for (const f of files.slice(0, sent)) {
      const arrived = readdirSync(dir).find(
        (n) => n.endsWith(f.sopInstanceUid) || n.includes(f.sopInstanceUid),
      );
      assert.ok(arrived, `${f.path} did not arrive`);
      const a = parseDicom(readFileSync(join(dir, arrived)));
      const b = parseDicom(readFileSync(f.path));
      assert.deepEqual(canonical(a.dataset), canonical(b.dataset), f.path);
    }
    assert.ok(existsSync(dir));
  });
});
