/**
 * The finders and listers (--patientfinder ... --imagelister) against our server started in-process,
 * addressed as `(local)` and as `CONQUESTSRV1@127.0.0.1:port`: what each matches, the values its format
 * receives, duplicates removed, `file` output; and --moveaccession/--movestudies to a DCMTK storescp.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/control/arguments.js';
import { searchDate } from '../../src/control/commands/find.js';
import { localContext } from '../../src/control/local-context.js';
import { commandEntry, switchCommand } from '../../src/control/registry.js';
import { silentLogger } from '../../src/logging/logger.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { printf } from '../../src/text/printf.js';
import { DCMTK_SKIP, runStatus } from '../support/dcmtk.js';
import { freePort } from '../support/ports.js';
import { collector, FIXTURE, storeFiles, uid, writeFixtures } from './query-fixtures.js';

describe('finders and listers on our server', () => {
  let dir: string;
  let server: RunningServer;
  let nodes: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-finders-'));
    server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
    await storeFiles(server.port, writeFixtures(join(dir, 'in')).values());
    nodes = ['(local)', `CONQUESTSRV1@127.0.0.1:${server.port}`];
  });
  after(async () => {
    await server.close(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a command as dgate does (through the registry), in this process; returns its output. */
  async function run(name: string, args: string): Promise<string> {
    const out = collector();
    const ctx = localContext({ dir, aeTitle: undefined, port: server.port, stdout: out, log: silentLogger });
    try {
      const entry = commandEntry(name);
      assert.ok(entry, `--${name} is registered`);
      assert.equal(entry.place, 'local');
      await (await entry.load())(args, ctx);
    } finally {
      await ctx.close();
    }
    return out.text();
  }

  it('--patientfinder: all patients, sorted on the ID (shorter first), name then ID', async () => {
    for (const node of nodes)
      assert.equal(
        await run('patientfinder', `${node}|`),
        'DOE^JANE X9\nDOE^JOHN PAT001\nSMITH^ANNA PAT002\n',
      );
  });

  it('--patientfinder: the string matches ID or name with wildcards around it; `=` is exact', async () => {
    for (const node of nodes) {
      assert.equal(await run('patientfinder', `${node}|DOE`), 'DOE^JANE X9\nDOE^JOHN PAT001\n');
      assert.equal(await run('patientfinder', `${node}|T00`), 'DOE^JOHN PAT001\nSMITH^ANNA PAT002\n');
      assert.equal(await run('patientfinder', `${node}|=PAT002`), 'SMITH^ANNA PAT002\n');
      assert.equal(await run('patientfinder', `${node}|=PAT00`), '');
    }
  });

  it('the format receives the values again and again, as Conquest passes them to fprintf', async () => {
    // name, id, name: the hidden first value shifts the rest.
    assert.equal(await run('patientfinder', '(local)|=X9|%0.0s[%s] %-10s|'), '[X9] DOE^JANE  \n');
  });

  it('--studyfinder: a year finds the studies of that year; date modality name id uid', async () => {
    for (const node of nodes)
      assert.equal(
        await run('studyfinder', `${node}|2024`),
        `20240105 CT DOE^JOHN PAT001 ${uid(1)}\n20240106 MR SMITH^ANNA PAT002 ${uid(2)}\n`,
      );
    assert.equal(await run('studyfinder', '(local)|20230101-20231231|%s %0.0s%0.0s%s'), '20230101 X9\n');
    assert.equal(await run('studyfinder', '(local)|JANE|%s'), '20230101\n');
  });

  it('--seriesfinder: `=studyuid` lists the series of a study, date time modality name id study series', async () => {
    for (const node of nodes)
      assert.equal(
        await run('seriesfinder', `${node}|=${uid(1)}`),
        `20240105 101500 CT DOE^JOHN PAT001 ${uid(1)} ${uid(1, 1)}\n` +
          `20240105 101500 CT DOE^JOHN PAT001 ${uid(1)} ${uid(1, 2)}\n`,
      );
  });

  it('--imagefinder: `=seriesuid` lists the images of a series, SOP UID first, number and location last', async () => {
    const expected = FIXTURE.filter((i) => i.seriesUid === uid(1, 1))
      .sort((a, b) => (a.sopUid < b.sopUid ? -1 : 1))
      .map((i) => `${i.sopUid} ${i.instanceNumber} ${i.instanceNumber * 2.5}\n`)
      .join('');
    for (const node of nodes)
      assert.equal(await run('imagefinder', `${node}|=${uid(1, 1)}|%s %0.0s%0.0s%0.0s%0.0s%s %s`), expected);
    // Without `=` the string is a patient ID (with wildcards): every image of the patient.
    assert.equal((await run('imagefinder', '(local)|PAT001|%s')).split('\n').length - 1, 4);
  });

  it('a finder writes to the file given, relative to the working directory', async () => {
    assert.equal(await run('patientfinder', '(local)|SMITH||found.txt'), '');
    assert.equal(readFileSync(join(dir, 'found.txt'), 'utf8'), 'SMITH^ANNA PAT002\n');
  });

  it('--serieslister: the series of a study, `%s*` by default; `?` counts', async () => {
    for (const node of nodes) {
      const listed = await run('serieslister', `${node}|PAT001|${uid(1)}`);
      assert.deepEqual(listed.split('*').sort(), ['', uid(1, 1), uid(1, 2)]);
      assert.deepEqual(
        (await run('serieslister', `${node}|PAT001|${uid(1)}|%s #%d`)).split('\n').sort(),
        ['', `${uid(1, 1)} #0`, `${uid(1, 2)} #1`].sort(),
      );
      assert.equal(await run('serieslister', `${node}||${uid(2)}|?%d`), '1\n');
    }
  });

  it("--imagelister: this server's files of the series, sorted on image number", async () => {
    const sops = FIXTURE.filter((i) => i.seriesUid === uid(1, 1))
      .sort((a, b) => a.instanceNumber - b.instanceNumber)
      .map((i) => i.sopUid);
    for (const node of nodes) {
      const files = (await run('imagelister', `${node}|PAT001|${uid(1, 1)}`)).split('*');
      assert.equal(files.length, 3, 'joined by *, none after the last');
      for (const f of files) assert.ok(existsSync(f), f);
      assert.deepEqual(
        files.map((f) => readFileSync(f).includes(Buffer.from(sops[files.indexOf(f)]!))),
        [true, true, true],
      );
      assert.equal(
        await run('imagelister', `${node}|PAT001|${uid(1, 1)}|:%s:%s %s/%s`),
        sops.map((s, i) => `PAT001:${s} ${i}/${i + 1}\n`).join(''),
      );
      const devices = (await run('imagelister', `${node}|PAT001|${uid(1, 1)}|#%s %s`)).trim().split('\n');
      assert.deepEqual(
        devices.map((d) => d.split(' ')[0]),
        ['MAG0', 'MAG0', 'MAG0'],
      );
      assert.equal(await run('imagelister', `${node}|PAT001|${uid(1, 1)}|?%d`), '3\n');
    }
  });

  it('a node that is not known, or no node at all, is a usage error', async () => {
    await assert.rejects(run('patientfinder', 'NOSUCHAE|x'), UsageError);
    await assert.rejects(run('serieslister', ''), UsageError);
  });

  it('-g is the switch for --grabimagesfromserver', () => {
    const s = switchCommand('gSERVER,20240101');
    assert.equal(s?.command.command, 'grabimagesfromserver');
    assert.equal(s?.value, 'SERVER,20240101');
  });
});

describe('--moveaccession and --movestudies to a DCMTK storescp', { skip: DCMTK_SKIP }, () => {
  let dir: string;
  let recvDir: string;
  let server: RunningServer;
  let receiver: ChildProcess;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-movefam-'));
    recvDir = mkdtempSync(join(tmpdir(), 'cq-movefam-recv-'));
    const recvPort = await freePort();
    writeFileSync(join(dir, 'acrnema.map'), `RECV 127.0.0.1 ${recvPort} un\n`);
    receiver = spawn('storescp', ['+xa', '-od', recvDir, String(recvPort)], {
      stdio: 'ignore',
      env: { ...process.env, TCP_NODELAY: '1' },
    });
    server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
    await storeFiles(server.port, writeFixtures(join(dir, 'in')).values());
    for (let i = 0; i < 100; i++) {
      if ((await runStatus('echoscu', ['127.0.0.1', String(recvPort)])).code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    receiver.kill('SIGTERM');
    await server.close(1000);
    rmSync(dir, { recursive: true, force: true });
    rmSync(recvDir, { recursive: true, force: true });
  });

  async function run(name: string, args: string): Promise<string> {
    const out = collector();
    const ctx = localContext({ dir, aeTitle: undefined, port: server.port, stdout: out, log: silentLogger });
    try {
      await (await commandEntry(name)!.load())(args, ctx);
    } finally {
      await ctx.close();
    }
    return out.text();
  }

  /** storescp may still be writing the last file when the move answers. */
  async function received(n: number): Promise<string[]> {
    for (let i = 0; i < 40 && readdirSync(recvDir).length < n; i++)
      await new Promise((r) => setTimeout(r, 50));
    return readdirSync(recvDir);
  }

  it('--moveaccession finds the study by accession number and moves it', async () => {
    const out = await run('moveaccession', '(local),RECV,PAT002:ACC2');
    assert.match(out, /1 studies with accession number ACC2/);
    assert.match(out, /C-MOVE of study from CONQUESTSRV1 to RECV: success \(2 completed, 0 failed/);
    const files = await received(2);
    assert.equal(files.length, 2);
  });

  it('--movestudies moves every study of a date range, one move per study', async () => {
    const before = readdirSync(recvDir).length;
    const out = await run('movestudies', '(local),RECV,20240101-20241231');
    assert.match(out, /--movestudies: 2 studies of 20240101-20241231 on CONQUESTSRV1/);
    assert.equal(out.match(/C-MOVE of study .* success/g)?.length, 2);
    // Study 2 arrived before: storescp overwrites it under the same name.
    assert.equal((await received(before + 4)).length, before + 4);
  });

  it('a date that is not one is a usage error; no study on the date moves nothing', async () => {
    await assert.rejects(run('movestudies', '(local),RECV,2024'), UsageError);
    const out = await run('movestudies', '(local),RECV,19990101');
    assert.match(out, /0 studies of 19990101/);
  });
});

describe('printf and the search string as a date', () => {
  it('formats as C does: widths, precision, flags, numbers from strings, missing arguments', () => {
    assert.equal(printf('%s|%5s|%-5s|%.2s|%0.0s.', ['a', 'b', 'c', 'def', 'gone']), 'a|    b|c    |de|.');
    assert.equal(
      printf('%d %04d %+d %x %X %o %u %%', [42, 7, 3, 255, 255, 8, -1]),
      '42 0007 +3 ff FF 10 4294967295 %',
    );
    assert.equal(
      printf('%d|%5.1f|%e|%g|%c', ['12abc', 2.26, 1234.5, 0.0001, 65]),
      '12|  2.3|1.234500e+03|0.0001|A',
    );
    assert.equal(printf('%*d|%-*s|', [4, 9, 3, 'x']), '   9|x  |');
    assert.equal(printf('%s %s %d', ['only']), 'only  0');
  });

  it('reads yyyy, yyyymm, yyyymmdd and ranges as Conquest does, else not a date', () => {
    assert.equal(searchDate('2024'), '20240101-20241231');
    assert.equal(searchDate('202402'), '20240201-20240231');
    assert.equal(searchDate('20240203'), '20240203');
    assert.equal(searchDate('20240203-'), '20240203-');
    assert.equal(searchDate('-20240203'), '-20240203');
    assert.equal(searchDate('20240203-20240301'), '20240203-20240301');
    for (const no of ['', 'DOE', '1800', '12345', '2024020', '20240203-2024'])
      assert.equal(searchDate(no), undefined, no);
  });
});
