/**
 * C-FIND SCP end to end: the corpus study folder stored into a running dgate (SQLite index), then DCMTK
 * findscu with the corpus query identifiers; the matches per identifier are those of query/EXPECTED.tsv.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeFile } from '../../src/net/client.js';
import { CORPUS_DIR, CORPUS_SKIP, repoRoot } from '../support/corpus.js';
import { DCMTK_SKIP, runStatus, storescuConfigs } from '../support/dcmtk.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Expected {
  identifier: string;
  level: string;
  matches: string[];
  count: number | undefined;
}

function expectations(): Expected[] {
  const lines = readFileSync(join(CORPUS_DIR, 'query', 'EXPECTED.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return lines.map((l) => {
    const [identifier, level, , matches, count] = l.split('\t');
    return {
      identifier: identifier!,
      level: level!,
      matches: (matches ?? '').split(' ').filter(Boolean),
      count: count ? Number(count) : undefined,
    };
  });
}

describe('C-FIND SCP with findscu on the corpus study', { skip: DCMTK_SKIP || CORPUS_SKIP }, () => {
  let dir: string;
  let port: number;
  let child: ChildProcess;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-find-'));
    port = await freePort();
    child = spawn(process.execPath, [join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js'), `-p${port}`, '-l'], {
      cwd: dir,
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      const r = await runStatus('echoscu', ['127.0.0.1', String(port)]);
      if (r.code === 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const root = join(CORPUS_DIR, 'study');
    const files = readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.dcm'))
      .map((f) => join(root, f));
    const described = await Promise.all(files.map((f) => describeFile(f)));
    for (const g of storescuConfigs(
      dir,
      described.map((f) => ({
        path: f.path,
        sopClassUid: f.sopClassUid,
        transferSyntaxUid: f.transferSyntax.uid,
      })),
    )) {
      const r = await runStatus('storescu', [
        '-xf',
        g.config,
        'Default',
        '127.0.0.1',
        String(port),
        ...g.files,
      ]);
      assert.equal(r.code, 0, r.output.slice(0, 2000));
    }
  });
  after(() => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  async function find(
    model: '-S' | '-P',
    identifier: string,
  ): Promise<{ code: number; responses: string[] }> {
    const r = await runStatus('findscu', [
      '-v',
      model,
      '127.0.0.1',
      String(port),
      join(CORPUS_DIR, 'query', `${identifier}.dcm`),
    ]);
    // Each pending response is printed as a data set after "Find Response: N (Pending)".
    const responses = r.output.split(/Find Response: \d+ \(Pending\)/).slice(1);
    return { code: r.code, responses };
  }

  it('every study-level identifier finds the expected studies (Study Root)', async () => {
    for (const e of expectations().filter((x) => x.level === 'STUDY' && x.count !== undefined)) {
      const { code, responses } = await find('-S', e.identifier);
      assert.equal(code, 0, e.identifier);
      assert.equal(
        responses.length,
        e.count,
        `${e.identifier}: ${responses.length} matches, expected ${e.count}`,
      );
      for (const m of e.matches) {
        const [patient, date] = m.split('/');
        assert.ok(
          responses.some((r) => r.includes(`[${patient}]`) && r.includes(`[${date}]`)),
          `${e.identifier}: no match for ${m}`,
        );
      }
    }
  });

  it('the same identifiers give the same studies in the Patient Root model', async () => {
    const e = expectations().find((x) => x.identifier === 'qr_study_date_range')!;
    const { code, responses } = await find('-P', e.identifier);
    assert.equal(code, 0);
    assert.equal(responses.length, e.count);
  });

  it('patient, series and image level identifiers are answered', async () => {
    const patients = await find('-P', 'qr_patient_level');
    assert.equal(patients.code, 0);
    assert.ok(patients.responses.length >= 1);
    for (const id of ['qr_series_level', 'qr_image_level']) {
      const r = await find('-S', id);
      assert.equal(r.code, 0, id);
      assert.ok(r.responses.length >= 1, `${id}: no match`);
    }
  });

  it('a patient-level query in the Study Root model is refused (no patient level there)', async () => {
    const r = await runStatus('findscu', [
      '-v',
      '-S',
      '127.0.0.1',
      String(port),
      join(CORPUS_DIR, 'query', 'qr_patient_level.dcm'),
    ]);
    assert.doesNotMatch(r.output, /Find Response: \d+ \(Pending\)/);
    assert.match(r.output, /Final Find Response \(Error: DataSetDoesNotMatchSOPClass\)/);
  });
});
