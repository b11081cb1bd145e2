/**
 * Conquest's configuration commands (--get_param ... --get_sqldef, --checksum) and the -d -m -k -t -o
 * switches: on a folder's files without a server, and in a running server, where they read and change
 * the server's own configuration (acrnema.map destinations, accepted SOP classes and transfer syntaxes).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { conquestChecksum } from '../../src/control/commands/config-lists.js';
import { localContext } from '../../src/control/local-context.js';
import { commandEntry, switchCommand } from '../../src/control/registry.js';
import { sendServerCommand } from '../../src/control/remote.js';
import { SqliteDriver } from '../../src/db/sqlite.js';
import { silentLogger } from '../../src/logging/logger.js';
import { AssociationRejectedError } from '../../src/net/association.js';
import { DicomClient, VERIFICATION_SOP_CLASS } from '../../src/net/client.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { freePort } from '../support/ports.js';

const run = promisify(execFile);
/** dgate of the same build as this test (dist*\/test/control → dist*\/src/cli). */
const DGATE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'dgate.js');

/** Runs a command in this process on the files of `dir` (as dgate does without a server). */
async function local(dir: string, name: string, args = ''): Promise<string> {
  let out = '';
  const ctx = localContext({
    dir,
    aeTitle: undefined,
    port: undefined,
    stdout: { write: (t: string) => (out += t) },
    log: silentLogger,
  });
  try {
    const entry = commandEntry(name);
    assert.ok(entry, `--${name} is registered`);
    await (await entry.load())(args, ctx);
  } finally {
    await ctx.close();
  }
  return out;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'cq-config-cmd-'));
}

describe('--checksum', () => {
  it('--checksum is the CRC-32 table run from 0 without final inversion (Conquest ComputeCRC)', () => {
    assert.equal(conquestChecksum('hello'), 4029829531);
    assert.equal(conquestChecksum(''), 0);
  });
});

describe('configuration commands on the files (no server)', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    loadConfig(dir); // first-install dicom.ini, acrnema.map, dgatesop.lst
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--get_param reads [sscscp] case-insensitively, with and without a format, nothing for absent keys', async () => {
    assert.equal(await local(dir, 'get_param', 'MyACRNema'), 'CONQUESTSRV1');
    assert.equal(await local(dir, 'get_ini_param', 'tcpport,port=%s;'), 'port=5678;');
    assert.equal(await local(dir, 'get_param', 'MyACRNema,[%-14s]'), '[CONQUESTSRV1  ]');
    assert.equal(
      await local(dir, 'get_param', 'TCPPort,%.2s|%6d'),
      '56|     0',
      'one argument, as in Conquest',
    );
    assert.equal(await local(dir, 'get_param', 'NoSuchKey'), '');
    await assert.rejects(local(dir, 'get_param', ''), /--get_param:name\[,fmt\]/);
  });

  it('--get_ini_num and --get_ini give the file lines with their line ends', async () => {
    const lines = readFileSync(join(dir, 'dicom.ini'), 'utf8').split(/(?<=\n)/);
    assert.equal(await local(dir, 'get_ini_num', '3'), lines[3]);
    assert.equal(await local(dir, 'get_ini_num', '3,<%s>'), `<${lines[3]}>`);
    assert.equal(await local(dir, 'get_ini', ''), lines.join(''));
    assert.equal(await local(dir, 'get_ini', '>%s'), lines.map((l) => `>${l}`).join(''));
    await assert.rejects(local(dir, 'get_ini_num', 'x'), /index must be a number/);
  });

  it('--put_param and --delete_param change one line, keeping comments, order, CRLF and encoding', async () => {
    const d = tempDir();
    try {
      const text =
        '# header comment\r\n[sscscp]\r\nMicroPACS = sscscp\r\n# about the AE\r\nMyACRNema = CAF\xe9\r\nTCPPort = 104\r\n\r\n[lua]\r\nx = 1\r\n';
      writeFileSync(join(d, 'dicom.ini'), Buffer.from(text, 'latin1'));
      await local(d, 'put_param', 'tcpport,11112');
      await local(d, 'put_param', 'NewKey,a,b,c');
      let now = readFileSync(join(d, 'dicom.ini')).toString('latin1');
      assert.equal(
        now,
        text
          .replace('TCPPort = 104', 'TCPPort = 11112')
          .replace('TCPPort = 11112\r\n', `TCPPort = 11112\r\n${'NewKey'.padEnd(25)}= a,b,c\r\n`),
      );
      assert.equal(await local(d, 'get_param', 'NewKey'), 'a,b,c');
      await local(d, 'delete_param', 'newkey');
      now = readFileSync(join(d, 'dicom.ini')).toString('latin1');
      assert.equal(now, text.replace('TCPPort = 104', 'TCPPort = 11112'));
      assert.equal(await local(d, 'get_param', 'MyACRNema'), 'CAF\xe9');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('--put_param of an LF file keeps LF; the value goes to the MicroPACS section', async () => {
    const d = tempDir();
    try {
      writeFileSync(
        join(d, 'dicom.ini'),
        '[other]\nMicroPACS = x\n[sscscp]\nMicroPACS = mine\n[mine]\nA = 1\n',
      );
      await local(d, 'put_param', 'B,2');
      assert.equal(
        readFileSync(join(d, 'dicom.ini'), 'utf8'),
        `[other]\nMicroPACS = x\n[sscscp]\nMicroPACS = mine\n[mine]\nA = 1\n${'B'.padEnd(25)}= 2\n`,
      );
      assert.equal(await local(d, 'get_param', 'b'), '2');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('--get_amap/--get_amaps format entries as Conquest; wildcards only by index', async () => {
    const row = (ae: string, host: string, port: string) =>
      `${ae.padEnd(17)} ${host.padEnd(30)} ${port.padEnd(10)} ${'un'.padEnd(16)}`;
    assert.equal(await local(dir, 'get_amap', '0'), row('CONQUESTSRV1', '127.0.0.1', '5678'));
    assert.equal(await local(dir, 'get_amap', '1,%s:%s:%s:%s/%s'), 'V*:*:1234:un/V*');
    assert.equal(await local(dir, 'get_amap', '99'), '');
    assert.equal(await local(dir, 'get_amaps', ''), `${row('CONQUESTSRV1', '127.0.0.1', '5678')}\n`);
    assert.equal(await local(dir, 'get_amaps', '%s,'), 'CONQUESTSRV1,');
  });

  it('--put_amap/--delete_amap edit acrnema.map (header kept); --write_amap/--read_amap round-trip', async () => {
    const d = tempDir();
    try {
      loadConfig(d);
      const path = join(d, 'acrnema.map');
      const before = readFileSync(path, 'utf8');
      await local(d, 'put_amap', '4,NEWAE,10.0.0.5,104,j2');
      await local(d, 'put_amap', '0,,,11112'); // empty fields keep the old values
      assert.equal(await local(d, 'get_amap', '4,%s %s %s %s'), 'NEWAE 10.0.0.5 104 j2');
      assert.equal(await local(d, 'get_amap', '0,%s %s %s %s'), 'CONQUESTSRV1 127.0.0.1 11112 un');
      const after = readFileSync(path, 'utf8');
      assert.ok(after.startsWith(before.slice(0, before.indexOf('***** */') + 8)), 'header comment kept');
      await local(d, 'delete_amap', '4');
      await local(d, 'write_amap', '');
      await local(d, 'read_amap', '');
      assert.equal(await local(d, 'get_amap', '4'), '');
      assert.match(readFileSync(path, 'utf8'), /^CONQUESTSRV1\s+127\.0\.0\.1\s+11112\s+un/m);
      await assert.rejects(local(d, 'put_amap', '9,ONLYAE'), /AE, host and port are needed/);
      await assert.rejects(local(d, 'put_amap', '0,X,h,notaport'), /port 'notaport'/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('--get_sop and siblings; --put_sop/--delete_transfer write dgatesop.lst', async () => {
    const d = tempDir();
    try {
      loadConfig(d);
      assert.equal(await local(d, 'get_sop', '0'), '1.2.840.10008.1.1 Verification');
      assert.equal(await local(d, 'get_transfer', '0,%s'), '1.2.840.10008.1.2');
      assert.equal(await local(d, 'get_localae', '0'), '');
      await local(d, 'put_sop', '100000,1.2.3.4.5.6,MyPrivateStorage');
      await local(d, 'put_remoteae', '0,GOODPEER,Peer');
      assert.equal(await local(d, 'get_remoteae', '0'), 'GOODPEER Peer');
      const list = loadConfig(d).sopList;
      assert.ok(list.acceptsAbstractSyntax('1.2.3.4.5.6'));
      const count = list.count('transfer');
      await local(d, 'delete_transfer', '1');
      const after = loadConfig(d).sopList;
      assert.equal(after.count('transfer'), count - 1);
      assert.ok(!after.acceptsTransferSyntax('1.2.840.10008.1.2.1'));
      assert.match(
        readFileSync(join(d, 'dgatesop.lst'), 'utf8'),
        /^# DICOM Application \/ sop \/ transfer UID list\./m,
      );
      await assert.rejects(local(d, 'put_sop', '0,1.2.3'), /the name is missing/);
      await assert.rejects(local(d, 'put_transfer', '0,notauid,X'), /not a UID/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('--get_sqldef, --get_dic, --get_freestore, --checksum', async () => {
    assert.equal(
      await local(dir, 'get_sqldef', 'patient,0'),
      `0x0010, 0x0020 ${'PatientID'.padStart(20)}   64 SQL_C_CHAR ${'DT_STR'.padStart(12)}`,
    );
    assert.equal(await local(dir, 'get_sqldef', 'PATIENT,2,%x %x %s|%d'), '10 30 PatientBirthDate|8');
    assert.equal(await local(dir, 'get_sqldef', 'patient,999'), '');
    await assert.rejects(local(dir, 'get_sqldef', 'nolevel,0'), /patient, study, series, image, worklist/);
    assert.match(await local(dir, 'get_dic', '0'), /^[0-9a-f]{4} [0-9a-f]{4} [A-Z]{2} \S+$/);
    assert.match(await local(dir, 'get_freestore', 'MAG0'), /^-?\d+$/);
    assert.equal(await local(dir, 'get_freestore', 'MAG7,%d MB'), '-1 MB');
    assert.equal(await local(dir, 'checksum', 'hello'), '4029829531');
  });

  it('the switches -d -m -k -t -o stand for commands', () => {
    assert.deepEqual(
      ['d', 'm', 'k', 't', 'o'].map((f) => switchCommand(f)?.command.command),
      ['list_devices', 'list_amap', 'list_dicomsql', 'test_console', 'test_database'],
    );
  });

  it("-d, -m and -k print Conquest's listings", async () => {
    const devices = await local(dir, 'list_devices');
    assert.match(devices, /^\*\* MAG DEVICE CHECK\n\nFree space on MAG {3}Device 0 := -?\d+ MByte\n$/);
    const map = await local(dir, 'list_amap');
    assert.match(
      map,
      /^\*\*\tAE \/ IP-PORT Map dump\n\nCONQUESTSRV1 {6}127\.0\.0\.1 {22}5678 {7}un {14}\nV\* /,
    );
    const sql = await local(dir, 'list_dicomsql');
    assert.match(
      sql,
      /^\*\*\tDatabase Description dump\n\n--Patient Database: DICOMPatients\n0x0010,0x0020 {3}PatientID {4}64 {2}SQL_C_CHAR {10}DT_STR {12}\n/,
    );
    assert.match(sql, /--WorkList Database: DICOMWorkList\n/);
  });
});

describe('dgate -o (database test)', () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    const s = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
    await s.close(100); // leaves dicom.ini, dicom.sql and a created index
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a healthy index and leaves it unchanged', async () => {
    const out = await local(dir, 'test_database');
    assert.match(out, /tables match dicom\.sql/);
    assert.match(out, /Writing, reading and deleting a test record \(rolled back\)/);
    assert.match(out, /Succesful end of test/);
    const db = new SqliteDriver(join(dir, 'data', 'dbase', 'conquest.db3'), { wal: false });
    assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM DICOMPatients'))!.n, 0);
    await db.close();
  });

  it('a missing table is a clear error (exit 1 from dgate -o)', async () => {
    const db = new SqliteDriver(join(dir, 'data', 'dbase', 'conquest.db3'));
    db.exec('DROP TABLE DICOMSeries');
    await db.close();
    await assert.rejects(local(dir, 'test_database'), /does not match dicom\.sql \(1 problem\)/);
    const e = await run(process.execPath, [DGATE, `-w${dir}`, '-o']).then(
      () => undefined,
      (x: { code: number; stdout: string; stderr: string }) => x,
    );
    assert.ok(e, 'dgate -o fails');
    assert.equal(e.code, 1);
    assert.match(e.stdout, /\*\*\* table DICOMSeries is missing/);
    assert.match(e.stderr, /run dgate -r/);
  });

  it('a missing database file is a clear error', async () => {
    const d = tempDir();
    try {
      loadConfig(d);
      await assert.rejects(local(d, 'test_database'), /Unable to open database .*does not exist/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('configuration commands in a running server', () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    dir = tempDir();
    server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
  });
  after(async () => {
    await server.close(500);
    rmSync(dir, { recursive: true, force: true });
  });

  const send = async (text: string): Promise<string> => {
    const r = await sendServerCommand({
      host: '127.0.0.1',
      port: server.port,
      aeTitle: server.aeTitle,
      text,
      log: silentLogger,
    });
    assert.equal(r.status, 0, `--${text}: ${r.output.toString()}`);
    return r.output.toString('latin1');
  };

  /** Whether an association proposing this one context gets it accepted. */
  const accepts = async (abstractSyntax: string, transferSyntax: string): Promise<boolean> => {
    let client: DicomClient;
    try {
      client = await DicomClient.connect(
        { host: '127.0.0.1', port: server.port, callingAETitle: 'TESTSCU', calledAETitle: server.aeTitle },
        [{ abstractSyntax, transferSyntaxes: [transferSyntax] }],
      );
    } catch (e) {
      if (e instanceof AssociationRejectedError) return false;
      throw e;
    }
    const ctx = client.findContext(abstractSyntax, [transferSyntax]);
    await client.release();
    return ctx?.transferSyntax === transferSyntax;
  };

  it("--put_amap changes the server's map in memory only, until --write_amap; --read_amap restores the file", async () => {
    const port = await freePort();
    await send(`put_amap:4,MOVEDEST,127.0.0.1,${port},un`);
    assert.match(await send('get_amaps:'), new RegExp(`^MOVEDEST\\s+127\\.0\\.0\\.1\\s+${port}\\s+un`, 'm'));
    assert.equal(server.config.acrNemaMap.resolve('MOVEDEST')?.port, port, 'a C-MOVE to MOVEDEST resolves');
    assert.doesNotMatch(readFileSync(join(dir, 'acrnema.map'), 'utf8'), /MOVEDEST/);
    await send('read_amap:');
    assert.equal(server.config.acrNemaMap.resolve('MOVEDEST'), undefined);
    await send(`put_amap:4,MOVEDEST,127.0.0.1,${port},un`);
    await send('write_amap:');
    assert.match(readFileSync(join(dir, 'acrnema.map'), 'utf8'), /^MOVEDEST\s+127\.0\.0\.1/m);
    await send('delete_amap:4');
    assert.doesNotMatch(await send('get_amaps:'), /MOVEDEST/);
  });

  it('--put_sop of a new SOP class: an association proposing it is accepted at once', async () => {
    const uid = '1.2.826.0.1.3680043.9.9999.1';
    assert.equal(await accepts(uid, '1.2.840.10008.1.2'), false);
    await send(`put_sop:100000,${uid},TestStorage`);
    assert.equal(await accepts(uid, '1.2.840.10008.1.2'), true);
    assert.match(
      readFileSync(join(dir, 'dgatesop.lst'), 'utf8'),
      /^TestStorage\s+1\.2\.826\.0\.1\.3680043\.9\.9999\.1\s+sop/m,
    );
  });

  it('--delete_transfer of Explicit VR Little Endian: no longer accepted', async () => {
    const explicit = '1.2.840.10008.1.2.1';
    assert.equal(await accepts(VERIFICATION_SOP_CLASS, explicit), true);
    const index = server.config.sopList.transferSyntaxes().findIndex((t) => t.uid === explicit);
    assert.ok(index >= 0);
    assert.equal(await send(`get_transfer:${index},%s`), explicit);
    await send(`delete_transfer:${index}`);
    assert.equal(await accepts(VERIFICATION_SOP_CLASS, explicit), false);
    assert.equal(await accepts(VERIFICATION_SOP_CLASS, '1.2.840.10008.1.2'), true);
  });

  it('--put_param writes dicom.ini; --get_param shows the new value after --read_ini', async () => {
    assert.equal(await send('get_param:PACSName'), 'CONQUESTSRV1');
    await send('put_param:PACSName,RENAMED');
    assert.match(readFileSync(join(dir, 'dicom.ini'), 'utf8'), /^PACSName\s+= RENAMED$/m);
    assert.equal(await send('get_param:PACSName'), 'CONQUESTSRV1', 'applied only by --read_ini, as Conquest');
    await send('read_ini:');
    assert.equal(await send('get_param:PACSName'), 'RENAMED');
    assert.equal(server.config.server.pacsName, 'RENAMED');
  });

  it('dgate -t: the console test echoes the server and runs a server command', async () => {
    const { stdout } = await run(process.execPath, [DGATE, `-w${dir}`, `-p${server.port}`, '-t']);
    assert.match(stdout, /If you can read this, the console communication is OK/);
    assert.match(stdout, new RegExp(`C-ECHO to CONQUESTSRV1 at 127\\.0\\.0\\.1:${server.port}: success`));
    assert.match(stdout, /--get_param:MyACRNema answered 'CONQUESTSRV1'/);
    const port = await freePort();
    await assert.rejects(
      run(process.execPath, [DGATE, `-w${dir}`, `-p${port}`, '-t']),
      (e: { code: number; stderr: string }) => e.code === 1 && /no server is listening/.test(e.stderr),
    );
  });

  it('dgate --get_amap from the command line is answered by the server', async () => {
    await send('put_amap:5,ONLYINSERVER,10.1.2.3,104,un');
    const { stdout } = await run(process.execPath, [
      DGATE,
      `-w${dir}`,
      `-p${server.port}`,
      '--get_amap:5,%s@%s',
    ]);
    assert.equal(stdout, 'ONLYINSERVER@10.1.2.3');
  });
});
