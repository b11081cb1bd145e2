/**
 * Conquest's compression switches (-nd, -nc#, -nu IN OUT, -jd, -jc#, -j*##, -j-##) and --testcompress:
 * what each switch runs, and end to end through dgate on a copy of a corpus CT.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeAllFrames } from '../../src/codecs/registry.js';
import { loadConfig } from '../../src/config/config.js';
import { switchCommand } from '../../src/control/registry.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';
import { pixelHash } from '../support/pixel-hash.js';
import { freePort } from '../support/ports.js';

const DGATE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'dgate.js');
const CT = 'pixel/mono2_s16_ct.dcm';
const CT_HASH = '6570db37493fbc37ccc3f1e0bf10a064ce7ad9d7365779ba994f4afd18d413aa';
const NKI_PIXELS = 0x7fdf0010;

function dgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DGATE, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The command and arguments a switch runs (as dgate's argument parser hands it over). */
function resolved(switchText: string, rest: readonly string[] = []): { command: string; args: string } {
  const found = switchCommand(switchText);
  assert.ok(found, `-${switchText} is not a switch`);
  const args = found.command.args ? found.command.args(found.value, rest) : found.value;
  return { command: found.command.command, args };
}

describe('compression switches: what they run', () => {
  it('map onto --compress / --uncompress with Conquest mode strings', () => {
    assert.deepEqual(resolved('nc4,a.dcm'), { command: 'compress', args: 'a.dcm,n4' });
    assert.deepEqual(resolved('nc,a.dcm'), { command: 'compress', args: 'a.dcm,n4' });
    assert.deepEqual(resolved('nd,a.dcm'), { command: 'uncompress', args: 'a.dcm' });
    assert.deepEqual(resolved('nda.dcm'), { command: 'uncompress', args: 'a.dcm' });
    assert.deepEqual(resolved('jd,a.dcm'), { command: 'uncompress', args: 'a.dcm' });
    assert.deepEqual(resolved('jc2,a.dcm'), { command: 'compress', args: 'a.dcm,j2' });
    assert.deepEqual(resolved('jck,a.dcm'), { command: 'compress', args: 'a.dcm,jk' });
    assert.deepEqual(resolved('j*jl20,a.dcm'), { command: 'compress', args: 'a.dcm,jl20' });
    assert.deepEqual(resolved('j-n2,a.dcm'), { command: 'compress', args: 'a.dcm,n2' });
    assert.deepEqual(resolved('nu', ['in.dcm', 'out.dcm']), {
      command: 'uncompress',
      args: 'in.dcm,out.dcm',
    });
  });

  it('reject wrong forms with the right one in the message', () => {
    assert.throws(() => resolved('nc9,a.dcm'), /NKI mode 1\.\.4/);
    assert.throws(() => resolved('jcx,a.dcm'), /JPEG mode after j/);
    assert.throws(() => resolved('jc2,'), /needs a file/);
    assert.throws(() => resolved('j*,a.dcm'), /needs a compression mode/);
    assert.throws(() => resolved('nu', ['in.dcm']), /-nu IN OUT/);
  });
});

async function state(path: string): Promise<{ ts: string; nki: boolean; hash: string }> {
  const f = await readDicomFile(path);
  const ts = f.transferSyntax.uid;
  // NKI pixels are private (7FDF,0010): the codecs decode only the standard Pixel Data.
  if (f.dataset.has(NKI_PIXELS)) return { ts, nki: true, hash: '' };
  const { description, frames } = await decodeAllFrames(f.dataset, ts);
  const hash = pixelHash(
    frames.map((x) => x.pixels),
    description,
  );
  return { ts, nki: false, hash };
}

describe('compression switches through dgate', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cq-codecsw-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('-nc4 NKI-compresses in place, -nu writes the decompressed copy, -nd decompresses in place', async () => {
    const file = join(dir, 'nki.dcm');
    copyFileSync(corpusPath(CT), file);
    const nc = await dgate([`-nc4,${file}`]);
    assert.equal(nc.code, 0, nc.stderr);
    assert.equal((await state(file)).nki, true);
    const out = join(dir, 'nki-out.dcm');
    const nu = await dgate(['-nu', file, out]);
    assert.equal(nu.code, 0, nu.stderr);
    assert.deepEqual(await state(out), { ts: '1.2.840.10008.1.2.1', nki: false, hash: CT_HASH });
    const nd = await dgate([`-nd,${file}`]);
    assert.equal(nd.code, 0, nd.stderr);
    assert.equal((await state(file)).hash, CT_HASH);
  });

  it('-jc2 and -j*jk compress in place losslessly, -jd decompresses', async () => {
    const file = join(dir, 'jpeg.dcm');
    copyFileSync(corpusPath(CT), file);
    assert.equal((await dgate([`-jc2,${file}`])).code, 0);
    assert.deepEqual(await state(file), { ts: '1.2.840.10008.1.2.4.57', nki: false, hash: CT_HASH });
    assert.equal((await dgate([`-j*jk,${file}`])).code, 0);
    assert.deepEqual(await state(file), { ts: '1.2.840.10008.1.2.4.90', nki: false, hash: CT_HASH });
    assert.equal((await dgate([`-j-js,${file}`])).code, 0);
    assert.deepEqual(await state(file), { ts: '1.2.840.10008.1.2.4.80', nki: false, hash: CT_HASH });
    assert.equal((await dgate([`-jd,${file}`])).code, 0);
    assert.deepEqual(await state(file), { ts: '1.2.840.10008.1.2.1', nki: false, hash: CT_HASH });
  });

  it('a wrong switch form is a usage error (exit 2)', async () => {
    const r = await dgate(['-jcq,x.dcm']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /JPEG mode after j/);
  });
});

describe('--testcompress without a server', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-testcompress-'));
    loadConfig(dir);
    port = await freePort(); // nobody listens: it runs in dgate
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stores org, MODE, MODE_un and MODE_un_MODE copies with new UIDs for every mode', async () => {
    // 8 bits: every mode applies (DCT JPEG refuses 16-bit samples; that mode would be reported with ***).
    const r = await dgate([`-w${dir}`, `-p${port}`, `--testcompress:${corpusPath('pixel/mono2_u8.dcm')}`]);
    assert.equal(r.code, 0, r.stderr);
    const added = r.stdout.split('\n').filter((l) => l.startsWith('Added file: '));
    // 18 modes x 4 copies, none failed.
    assert.doesNotMatch(r.stdout, /\*\*\*/);
    assert.equal(added.length, 18 * 4);
    assert.ok(added.some((l) => l.endsWith('(compression jk_un_jk)')));
    const files = readdirSync(join(dir, 'data'), { recursive: true, withFileTypes: true }).filter(
      (e) => e.isFile() && e.name.endsWith('.dcm') && !e.parentPath.includes('.incoming'),
    );
    assert.equal(files.length, 18 * 4, 'each copy has its own SOP Instance UID, so none replaces another');
    const j4 = added.find((l) => l.endsWith('(compression j4)'))!;
    const path = j4.slice('Added file: '.length, j4.indexOf(' (compression'));
    assert.ok(existsSync(path));
    const f = await readDicomFile(path);
    assert.equal(f.transferSyntax.uid, '1.2.840.10008.1.2.4.51');
    assert.equal(f.dataset.string('InstanceNumber'), 'j4');
    assert.equal(f.dataset.string('LossyImageCompression'), '01');
  });
});
