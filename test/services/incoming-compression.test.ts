/**
 * IncomingCompression (manual 7.2) and the `SERVER~xx` called-AE override: objects are stored in the
 * mode's syntax; retrieving them uncompressed gives the original pixels; vX keeps nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeAllFrames } from '../../src/codecs/registry.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { silentLogger } from '../../src/logging/logger.js';
import { DicomClient, describeFile } from '../../src/net/client.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';
import { pixelHash } from '../support/pixel-hash.js';

const CT_FILE = 'pixel/mono2_s16_ct.dcm';
const CT_HASH = '6570db37493fbc37ccc3f1e0bf10a064ce7ad9d7365779ba994f4afd18d413aa';

function storedFiles(dir: string): string[] {
  return readdirSync(join(dir, 'data'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !/dbase|\.incoming|\.journal/.test(e.parentPath))
    .map((e) => join(e.parentPath, e.name));
}

async function hashOf(path: string): Promise<{ hash: string; ts: string }> {
  const f = await readDicomFile(path);
  const { description, frames } = await decodeAllFrames(f.dataset, f.transferSyntax.uid);
  return {
    hash: pixelHash(
      frames.map((x) => x.pixels),
      description,
    ),
    ts: f.transferSyntax.uid,
  };
}

describe('IncomingCompression', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-incoming-'));
    const first = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
    await first.close(100);
    const ini = join(dir, 'dicom.ini');
    writeFileSync(
      ini,
      readFileSync(ini, 'utf8').replace(/IncomingCompression\s*=.*/, 'IncomingCompression = jk'),
    );
    server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
  });
  after(async () => {
    await server.close(500);
    rmSync(dir, { recursive: true, force: true });
  });

  async function store(calledAE: string): Promise<number> {
    const file = await describeFile(corpusPath(CT_FILE));
    const client = await DicomClient.connect(
      { host: '127.0.0.1', port: server.port, callingAETitle: 'SENDER', calledAETitle: calledAE },
      [{ abstractSyntax: file.sopClassUid, transferSyntaxes: [file.transferSyntax.uid] }],
    );
    const status = await client.storeFile(file);
    await client.release();
    return status;
  }

  it('jk: a native CT is stored as JPEG 2000 lossless with the same pixels', async () => {
    assert.equal(await store('CONQUESTSRV1'), 0);
    const files = storedFiles(dir);
    assert.equal(files.length, 1);
    assert.deepEqual(await hashOf(files[0]!), { hash: CT_HASH, ts: '1.2.840.10008.1.2.4.90' });
  });

  it('CONQUESTSRV1~js overrides it: the same object is replaced by a JPEG-LS copy', async () => {
    assert.equal(await store('CONQUESTSRV1~js'), 0);
    const files = storedFiles(dir);
    assert.equal(files.length, 1, 'same SOP Instance UID: the file is replaced');
    assert.deepEqual(await hashOf(files[0]!), { hash: CT_HASH, ts: '1.2.840.10008.1.2.4.80' });
  });

  it('~vX: accepted and not stored (a cache that keeps nothing)', async () => {
    const before = storedFiles(dir).map((f) => readFileSync(f).length);
    assert.equal(await store('CONQUESTSRV1~v0'), 0);
    assert.deepEqual(
      storedFiles(dir).map((f) => readFileSync(f).length),
      before,
    );
  });
});

describe('DroppedFileCompression', { skip: CORPUS_SKIP }, () => {
  it('js: a file added with --addimagefile is stored as JPEG-LS with the same pixels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-dropped-'));
    try {
      const { loadConfig } = await import('../../src/config/config.js');
      const { openArchive } = await import('../../src/archive/archive.js');
      const { addFile } = await import('../../src/archive/maintenance/import.js');
      loadConfig(dir); // writes the first-install dicom.ini
      const ini = join(dir, 'dicom.ini');
      writeFileSync(
        ini,
        readFileSync(ini, 'utf8').replace(/DroppedFileCompression\s*=.*/, 'DroppedFileCompression = js'),
      );
      const archive = await openArchive(loadConfig(dir), { log: silentLogger, owner: true });
      try {
        const added = await addFile(archive, corpusPath(CT_FILE), { log: silentLogger });
        assert.deepEqual(await hashOf(added.path), { hash: CT_HASH, ts: '1.2.840.10008.1.2.4.80' });
      } finally {
        await archive.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
