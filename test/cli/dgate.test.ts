import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/corpus.js';
import { element, part10, text } from '../support/fixtures.js';

const DGATE = join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js');

function dgate(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [DGATE, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('dgate command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cq-cli-'));
  const good = join(dir, 'good.dcm');
  writeFileSync(
    good,
    part10(
      Buffer.concat([element(0x00080060, 'CS', 'CT'), element(0x00100010, 'PN', text('Doe^John'))]),
      '1.2.840.10008.1.2.1',
    ),
  );
  const bad = join(dir, 'bad.dcm');
  writeFileSync(bad, Buffer.from('not a dicom file at all, just words\n'));

  it('prints usage for -? and --help', () => {
    for (const flag of ['-?', '--help']) {
      const r = dgate(flag);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /--dump_header:filein,fileout/);
    }
  });

  it('--dump_header writes a dcmdump-style dump to stdout or to a file', () => {
    const r = dgate(`--dump_header:${good}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\(0010,0010\) PN \[Doe\^John\]/);
    const out = join(dir, 'dump.txt');
    assert.equal(dgate(`--dump_header:${good},${out}`).status, 0);
    assert.match(readFileSync(out, 'utf8'), /\(0008,0060\) CS \[CT\]/);
  });

  it('--dump_json writes DICOM JSON', () => {
    const r = dgate(`--dump_json:${good}`);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as Record<string, { vr: string; Value?: unknown[] }>;
    assert.deepEqual(json['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'Doe^John' }] });
  });

  it('a malformed file gives a clear message and a non-zero exit', () => {
    const r = dgate(`--dump_header:${bad}`);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /not a DICOM file.*at byte 0/);
    const missing = dgate(`--dump_header:${join(dir, 'nope.dcm')}`);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /ENOENT|no such file/);
  });

  it('an unknown command is refused with exit code 2', () => {
    const r = dgate('--no_such_command:1');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown or not yet available command --no_such_command/);
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
