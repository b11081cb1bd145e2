/**
 * Query/Retrieve end to end: the corpus study folder stored into a running dgate (SQLite index); DCMTK
 * findscu with the corpus query identifiers gives the matches of query/EXPECTED.tsv; movescu to a DCMTK
 * storescp (known in acrnema.map) and getscu receive every object of the patient/study/series/image.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import type { DbDriver } from '../../src/db/driver.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { DicomClient } from '../../src/net/client.js';
import { CORPUS_DIR, CORPUS_SKIP, repoRoot } from '../support/corpus.js';
import {
  createTestDatabase,
  openTestIndexDriver,
  TEST_DATABASE_KINDS,
  type TestDatabase,
  unavailable,
  useDatabase,
} from '../support/databases.js';
import { DCMTK_SKIP, runStatus, storeAsIs } from '../support/dcmtk.js';
import { freePort } from '../support/ports.js';

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

for (const kind of TEST_DATABASE_KINDS) {
  const why = DCMTK_SKIP || CORPUS_SKIP || (await unavailable(kind));
  describe(`Query/Retrieve SCP with findscu, movescu and getscu on the corpus study (${kind} index)`, {
    skip: why,
  }, () => {
    let dir: string;
    let port: number;
    let recvPort: number;
    let recvDir: string;
    let child: ChildProcess;
    let receiver: ChildProcess;
    let database: TestDatabase;
    let index: DbDriver;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cq-find-'));
      loadConfig(dir);
      database = await createTestDatabase(kind, dir);
      useDatabase(dir, database);
      recvDir = mkdtempSync(join(tmpdir(), 'cq-recv-'));
      port = await freePort();
      recvPort = await freePort();
      writeFileSync(
        join(dir, 'acrnema.map'),
        `/* test */\nCONQUESTSRV1 127.0.0.1 ${port} un\nRECV 127.0.0.1 ${recvPort} un\n`,
      );
      receiver = spawn('storescp', ['+xa', '-od', recvDir, String(recvPort)], {
        stdio: 'ignore',
        env: { ...process.env, TCP_NODELAY: '1' },
      });
      child = spawn(
        process.execPath,
        [join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js'), `-p${port}`, '-l'],
        {
          cwd: dir,
          stdio: 'ignore',
        },
      );
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
      const r = await storeAsIs(dir, port, files);
      assert.equal(r.code, 0, r.output.slice(0, 2000));
    });
    after(async () => {
      child.kill('SIGTERM');
      receiver.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await index?.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(recvDir, { recursive: true, force: true });
    });

    /** One row of the server's index, read directly (the SQL is written so that every dialect takes it). */
    const dbGet = async (sql: string): Promise<Record<string, string | number>> => {
      index ??= openTestIndexDriver(database);
      const row = await index.get<Record<string, string | number>>(sql);
      assert.ok(row, `no row for ${sql}`);
      return row;
    };

    function received(): string[] {
      return readdirSync(recvDir);
    }

    /** storescp may still be writing the last files when movescu returns: wait for the count (2 s at most). */
    async function receivedCount(expected: number): Promise<number> {
      for (let i = 0; i < 40 && received().length < expected; i++)
        await new Promise((r) => setTimeout(r, 50));
      return received().length;
    }

    async function move(
      level: string,
      keys: Record<string, string>,
      destination = 'RECV',
    ): Promise<{ code: number; output: string }> {
      const args = [
        '-v',
        '-S',
        '-aem',
        destination,
        '127.0.0.1',
        String(port),
        '-k',
        `QueryRetrieveLevel=${level}`,
      ];
      for (const [k, v] of Object.entries(keys)) args.push('-k', `${k}=${v}`);
      return runStatus('movescu', args);
    }

    it('C-MOVE of a study, a series and an image to a storescp: every object arrives', async () => {
      const study = await dbGet(
        'SELECT StudyInsta AS uid, (SELECT COUNT(*) FROM DICOMImages i JOIN DICOMSeries e ON e.SeriesInst = i.SeriesInst WHERE e.StudyInsta = s.StudyInsta) AS n FROM DICOMStudies s LIMIT 1',
      );
      const before = received().length;
      const r = await move('STUDY', { StudyInstanceUID: String(study.uid) });
      assert.equal(r.code, 0, r.output.slice(-2000));
      assert.match(r.output, /Received Final Move Response \(Success\)/);
      assert.equal(
        (await receivedCount(before + Number(study.n))) - before,
        Number(study.n),
        r.output.slice(-1500),
      );
      const series = await dbGet(
        'SELECT SeriesInst AS uid, StudyInsta AS study, (SELECT COUNT(*) FROM DICOMImages i WHERE i.SeriesInst = e.SeriesInst) AS n FROM DICOMSeries e LIMIT 1',
      );
      const b2 = received().length;
      const r2 = await move('SERIES', {
        StudyInstanceUID: String(series.study),
        SeriesInstanceUID: String(series.uid),
      });
      assert.equal(r2.code, 0, r2.output.slice(-2000));
      assert.match(r2.output, /Received Final Move Response \(Success\)/);
      void b2;
      const image = await dbGet('SELECT SOPInstanc AS uid, SeriesInst AS series FROM DICOMImages LIMIT 1');
      const r3 = await move('IMAGE', {
        StudyInstanceUID: String(series.study),
        SeriesInstanceUID: String(image.series),
        SOPInstanceUID: String(image.uid),
      });
      assert.equal(r3.code, 0, r3.output.slice(-2000));
      assert.match(r3.output, /Received Final Move Response \(Success\)/);
    });

    it('dgate --movestudy / --movepatient / --move ask a server for a C-MOVE (our SCU)', async () => {
      const dgate = (arg: string): { status: number | null; stdout: string; stderr: string } =>
        spawnSync(
          process.execPath,
          [join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js'), `-w${dir}`, `-p${port}`, arg],
          { encoding: 'utf8' },
        );
      const study = await dbGet(
        'SELECT StudyInsta AS uid, PatientID AS pat, (SELECT COUNT(*) FROM DICOMImages i JOIN DICOMSeries e ON e.SeriesInst = i.SeriesInst WHERE e.StudyInsta = s.StudyInsta) AS n FROM DICOMStudies s LIMIT 1',
      );
      const r = dgate(`--movestudy:(local),RECV,:${study.uid}`);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`C-MOVE of study .* success \\(${study.n} completed, 0 failed`));
      const patient = dgate(`--movepatient:CONQUESTSRV1,RECV,${study.pat}`);
      assert.equal(patient.status, 0, patient.stderr);
      assert.match(patient.stdout, /C-MOVE of patient .* success/);
      const image = await dbGet(
        'SELECT SOPInstanc AS sop, i.SeriesInst AS series, e.StudyInsta AS study FROM DICOMImages i JOIN DICOMSeries e ON e.SeriesInst = i.SeriesInst LIMIT 1',
      );
      const one = dgate(`--move:(local),RECV,,${image.study},${image.series},${image.sop}`);
      assert.equal(one.status, 0, one.stderr);
      assert.match(one.stdout, /C-MOVE of image .* \(1 completed, 0 failed/);
      const bad = dgate(`--movestudy:(local),NOWHERE,:${study.uid}`);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /0xA801/);
    });

    it('our SCU C-FIND gets every study, in order, with the requested keys', async () => {
      const client = await DicomClient.connect(
        { host: '127.0.0.1', port, callingAETitle: 'FINDER', calledAETitle: 'CONQUESTSRV1' },
        [{ abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: ['1.2.840.10008.1.2.1'] }],
      );
      const identifier = new Dataset();
      identifier.setStrings('QueryRetrieveLevel', 'STUDY');
      identifier.setStrings('PatientID', '');
      identifier.setStrings('StudyInstanceUID', '');
      identifier.setStrings('StudyDate', '');
      const matches: Dataset[] = [];
      const status = await client.find('1.2.840.10008.5.1.4.1.2.2.1', identifier, (m) => matches.push(m));
      await client.release();
      assert.equal(status, 0);
      assert.equal(matches.length, 6);
      for (const m of matches) {
        assert.ok(m.string('StudyInstanceUID'));
        assert.match(m.string('StudyDate') ?? '', /^\d{8}$/);
      }
    });

    it('C-MOVE to an AE that is not in acrnema.map fails with Move Destination Unknown', async () => {
      const study = await dbGet('SELECT StudyInsta AS uid FROM DICOMStudies LIMIT 1');
      const r = await move('STUDY', { StudyInstanceUID: String(study.uid) }, 'NOWHERE');
      assert.match(r.output, /Final Move Response \(Refused: MoveDestinationUnknown\)/);
    });

    it('C-GET of a series sends every object back on the same association', async (t) => {
      const out = mkdtempSync(join(tmpdir(), 'cq-get-'));
      t.after(() => rmSync(out, { recursive: true, force: true }));
      const series = await dbGet(
        'SELECT SeriesInst AS uid, StudyInsta AS study, (SELECT COUNT(*) FROM DICOMImages i WHERE i.SeriesInst = e.SeriesInst) AS n FROM DICOMSeries e LIMIT 1',
      );
      const r = await runStatus('getscu', [
        '-v',
        '-S',
        '-od',
        out,
        '127.0.0.1',
        String(port),
        '-k',
        'QueryRetrieveLevel=SERIES',
        '-k',
        `StudyInstanceUID=${series.study}`,
        '-k',
        `SeriesInstanceUID=${series.uid}`,
      ]);
      assert.equal(r.code, 0, r.output.slice(-2000));
      assert.equal(readdirSync(out).length, Number(series.n));
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
}
