/**
 * dgate --compress / --uncompress / --count_frames (manual Appendix 5, conversion options), end to end:
 * a 16-bit CT compressed with Conquest's modes, decoded by DCMTK where DCMTK has the codec, and back to the
 * original pixels.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeAllFrames } from '../../src/codecs/registry.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { CORPUS_SKIP, corpusPath, repoRoot } from '../support/corpus.js';
import { DCMTK_SKIP } from '../support/dcmtk.js';
import { pixelHash } from '../support/pixel-hash.js';

const run = promisify(execFile);
const DGATE = join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js');
const CT = 'pixel/mono2_s16_ct.dcm';
const CT_HASH = '6570db37493fbc37ccc3f1e0bf10a064ce7ad9d7365779ba994f4afd18d413aa';

const dir = mkdtempSync(join(tmpdir(), 'cq-compress-'));
after(() => rmSync(dir, { recursive: true, force: true }));

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

describe('dgate --compress / --uncompress', { skip: CORPUS_SKIP }, () => {
  const cases: [mode: string, ts: string][] = [
    ['j1', '1.2.840.10008.1.2.4.70'],
    ['j2', '1.2.840.10008.1.2.4.57'],
    ['js', '1.2.840.10008.1.2.4.80'],
    ['jk', '1.2.840.10008.1.2.4.90'],
  ];
  for (const [mode, ts] of cases) {
    it(`${mode}: compressed to ${ts}, and --uncompress gives the original pixels`, async () => {
      const out = join(dir, `ct-${mode}.dcm`);
      const r = await run(process.execPath, [DGATE, `--compress:${corpusPath(CT)},${mode},${out}`], {
        cwd: dir,
      });
      assert.match(r.stdout, new RegExp(`${mode} -> ${ts.replace(/\./g, '\\.')}`));
      const compressed = await hashOf(out);
      assert.equal(compressed.ts, ts);
      assert.equal(compressed.hash, CT_HASH, 'lossless');
      const plain = join(dir, `ct-${mode}-un.dcm`);
      await run(process.execPath, [DGATE, `--uncompress:${out},${plain}`], { cwd: dir });
      const back = await hashOf(plain);
      assert.equal(back.ts, '1.2.840.10008.1.2.1');
      assert.equal(back.hash, CT_HASH);
    });
  }

  it('n4: NKI-compressed into (7FDF,0010), and back', async () => {
    const out = join(dir, 'ct-n4.dcm');
    await run(process.execPath, [DGATE, `--compress:${corpusPath(CT)},n4,${out}`], { cwd: dir });
    const f = await readDicomFile(out);
    assert.ok(f.dataset.has(0x7fdf0010) && !f.dataset.has(0x7fe00010));
    const plain = join(dir, 'ct-n4-un.dcm');
    await run(process.execPath, [DGATE, `--uncompress:${out},${plain}`], { cwd: dir });
    assert.equal((await hashOf(plain)).hash, CT_HASH);
  });

  it('DCMTK decodes what j1 and js wrote to the original pixels', { skip: DCMTK_SKIP }, async () => {
    for (const [mode, tool] of [
      ['j1', 'dcmdjpeg'],
      ['js', 'dcmdjpls'],
    ] as const) {
      const out = join(dir, `ct-${mode}.dcm`);
      const decoded = join(dir, `ct-${mode}-dcmtk.dcm`);
      await run(tool, [out, decoded]);
      assert.equal((await hashOf(decoded)).hash, CT_HASH, tool);
    }
  });

  it('--count_frames prints the number of frames; an unknown mode is refused with the list', async () => {
    const r = await run(process.execPath, [
      DGATE,
      `--count_frames:${corpusPath('codec/jpeg_ll_sv1_nm16mf_bot.dcm')}`,
    ]);
    assert.equal(r.stdout.trim(), '8');
    await assert.rejects(
      run(process.execPath, [DGATE, `--compress:${corpusPath(CT)},zz,${join(dir, 'x.dcm')}`], { cwd: dir }),
      (e: { stderr: string }) => /unknown compression mode 'zz'/.test(e.stderr),
    );
  });
});
