/** dgate --forward:file,mode,AE with Conquest's modes: compressed when the receiver accepts it, else uncompressed. */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeAllFrames } from '../../src/codecs/registry.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { CORPUS_SKIP, corpusPath, repoRoot } from '../support/corpus.js';
import { DCMTK_SKIP } from '../support/dcmtk.js';
import { pixelHash } from '../support/pixel-hash.js';
import { freePort } from '../support/ports.js';

const run = promisify(execFile);
const DGATE = join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js');
const CT_HASH = '6570db37493fbc37ccc3f1e0bf10a064ce7ad9d7365779ba994f4afd18d413aa';

const cleanup: (() => void)[] = [];
after(() => {
  for (const c of cleanup) c();
});

async function receiver(args: string[]): Promise<{ dir: string; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cq-fwd-'));
  const port = await freePort();
  const child: ChildProcess = spawn('storescp', [...args, '-od', dir, String(port)], {
    stdio: 'ignore',
    env: { ...process.env, TCP_NODELAY: '1' },
  });
  cleanup.push(() => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise((r) => setTimeout(r, 300));
  return { dir, port };
}

async function arrived(dir: string): Promise<{ ts: string; hash: string }> {
  for (let i = 0; i < 40 && readdirSync(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  const f = await readDicomFile(join(dir, readdirSync(dir)[0]!));
  const { description, frames } = await decodeAllFrames(f.dataset, f.transferSyntax.uid);
  return {
    ts: f.transferSyntax.uid,
    hash: pixelHash(
      frames.map((x) => x.pixels),
      description,
    ),
  };
}

describe('dgate --forward in a compression mode', { skip: DCMTK_SKIP || CORPUS_SKIP }, () => {
  it('j1 to a receiver that accepts JPEG lossless: .70; to one that does not: uncompressed; same pixels', async () => {
    const all = await receiver(['+xa']);
    const plain = await receiver([]);
    const file = corpusPath('pixel/mono2_s16_ct.dcm');
    await run(process.execPath, [DGATE, `--forward:${file},j1,STORESCP@127.0.0.1:${all.port}`]);
    assert.deepEqual(await arrived(all.dir), { ts: '1.2.840.10008.1.2.4.70', hash: CT_HASH });
    await run(process.execPath, [DGATE, `--forward:${file},j1,STORESCP@127.0.0.1:${plain.port}`]);
    const got = await arrived(plain.dir);
    assert.equal(got.hash, CT_HASH);
    assert.ok(['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'].includes(got.ts), got.ts);
  });
});
