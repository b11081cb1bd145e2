/**
 * Issue 4: "a crash (kill -9) during a burst of stores leaves index and files consistent after restart".
 * A file is renamed into place before its index row commits; the placement journal closes that window.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openArchive } from '../../src/archive/archive.js';
import { loadConfig } from '../../src/config/config.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { ExplicitVRLittleEndian } from '../../src/dicom/transfer-syntax.js';
import { encodeFileHead, writeDataset } from '../../src/dicom/writer.js';
import { silentLogger } from '../../src/logging/logger.js';
import { DicomClient } from '../../src/net/client.js';
import { repoRoot } from '../support/corpus.js';
import { freePort } from '../support/ports.js';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const DGATE = join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js');

function object(patient: number, study: number, image: number): Dataset {
  const ds = new Dataset();
  ds.setStrings('SOPClassUID', SC);
  ds.setStrings('SOPInstanceUID', `1.2.826.0.1.3680043.2.1143.9.${patient}.${study}.${image}`);
  ds.setStrings('PatientName', `Crash^${patient}`);
  ds.setStrings('PatientID', `CR${patient}`);
  ds.setStrings('StudyInstanceUID', `1.2.826.0.1.3680043.2.1143.9.${patient}.${study}`);
  ds.setStrings('SeriesInstanceUID', `1.2.826.0.1.3680043.2.1143.9.${patient}.${study}.0`);
  ds.setStrings('Modality', 'OT');
  ds.setNumbers('Rows', 16, 'US');
  ds.setNumbers('Columns', 16, 'US');
  ds.setBytes('PixelData', 'OW', Buffer.alloc(512, image & 0xff));
  return ds;
}

/** Stored object files under the MAG device (the journal and temporary folders are not objects). */
function objectFiles(mag: string): string[] {
  if (!existsSync(mag)) return [];
  return readdirSync(mag, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !/[/\\]\.(incoming|journal)([/\\]|$)/.test(`${e.parentPath}/`))
    .filter((e) => !e.parentPath.includes('dbase'))
    .map((e) => join(e.parentPath, e.name));
}

function imageRows(dir: string): number {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (
    p: string,
    o: { readonly: boolean },
  ) => { prepare(sql: string): { get(): { n: number } }; close(): void };
  const db = new Database(join(dir, 'data', 'dbase', 'conquest.db3'), { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) AS n FROM DICOMImages').get().n;
  } finally {
    db.close();
  }
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('placement journal', () => {
  it('files placed but never indexed (a crash between rename and commit) are indexed at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-journal-'));
    dirs.push(dir);
    const config = loadConfig(dir);
    const first = await openArchive(config, { log: silentLogger, owner: true });
    for (let i = 0; i < 5; i++) {
      const ds = object(1, 1, i);
      const writer = first.store.begin(encodeFileHead(undefined, ds, ExplicitVRLittleEndian.uid));
      writer.add(writeDataset(ds, ExplicitVRLittleEndian));
      // Placed, never indexed, never settled: what a kill between the rename and the commit leaves.
      await writer.commit(ds, ds.string('SOPInstanceUID')!, {
        transferSyntaxUid: ExplicitVRLittleEndian.uid,
        callingAE: 'TEST',
        calledAE: 'CONQUESTSRV1',
      });
    }
    await first.close();
    // The "crashed" process is this one: make its journal look like a dead process's.
    for (const f of readdirSync(join(dir, 'data', '.journal')))
      renameSync(
        join(dir, 'data', '.journal', f),
        join(dir, 'data', '.journal', f.replace(`-${process.pid}-`, '-99999999-')),
      );
    assert.equal(objectFiles(join(dir, 'data')).length, 5);
    assert.equal(imageRows(dir), 0, 'nothing was indexed before the "crash"');

    const second = await openArchive(loadConfig(dir), { log: silentLogger, owner: true });
    assert.equal(await second.recover(), 5);
    assert.equal(await second.recover(), 0, 'the journal is emptied once recovered');
    await second.close();
    assert.equal(imageRows(dir), 5);
  });
});

function startDgate(dir: string, port: number): { child: ChildProcess; listening: Promise<void> } {
  const child = spawn(process.execPath, [DGATE, `-p${port}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listening = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/listening on port/.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`dgate exited (${code}): ${out}`)));
  });
  return { child, listening };
}

describe('kill -9 during a burst of stores', () => {
  it('after restart every stored file has its index row and every row its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-crash-'));
    dirs.push(dir);
    const port = await freePort();
    const server = startDgate(dir, port);
    await server.listening;
    let acknowledged = 0;
    const burst = async (patient: number): Promise<void> => {
      const client = await DicomClient.connect(
        { host: '127.0.0.1', port, callingAETitle: 'BURST', calledAETitle: 'CONQUESTSRV1' },
        [{ abstractSyntax: SC, transferSyntaxes: [ExplicitVRLittleEndian.uid] }],
      );
      for (let i = 0; ; i++) {
        const ds = object(patient, i >> 4, i);
        const rsp = await client.store(
          SC,
          ds.string('SOPInstanceUID')!,
          ExplicitVRLittleEndian.uid,
          writeDataset(ds, ExplicitVRLittleEndian),
        );
        if (rsp.command.status === 0) acknowledged++;
      }
    };
    const senders = [1, 2, 3, 4].map((p) => burst(p).catch(() => undefined));
    while (acknowledged < 150) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGKILL');
    await Promise.all(senders);
    const afterKill = objectFiles(join(dir, 'data')).length;
    assert.ok(afterKill >= acknowledged, `${afterKill} files for ${acknowledged} acknowledged stores`);

    const restarted = startDgate(dir, port);
    await restarted.listening;
    restarted.child.kill('SIGTERM');
    await new Promise((r) => restarted.child.once('exit', r));
    const files = objectFiles(join(dir, 'data')).length;
    assert.equal(imageRows(dir), files, 'one index row per stored file');
    assert.ok(files >= acknowledged, 'no acknowledged object is lost');
  });
});
