/**
 * Conquest's server-command channel: `dgate -pPORT -qIP --command:args` sends a C-ECHO-RQ carrying the
 * command in (9999,0400); the server answers in (9999,0401). Only OperatorConsole addresses and the
 * server's own AE title may send commands.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { COMMAND_FAILED, COMMAND_REFUSED } from '../../src/control/console.js';
import { sendServerCommand } from '../../src/control/remote.js';
import {
  COMMAND_TEXT_TAG,
  serverCommandOf,
  serverCommandOutput,
  serverCommandRequest,
  serverCommandResponse,
} from '../../src/control/server-command.js';
import { silentLogger } from '../../src/logging/logger.js';
import { DicomClient, VERIFICATION_SOP_CLASS } from '../../src/net/client.js';
import { decodeCommand, encodeCommand } from '../../src/net/dimse/command.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { repoRoot } from '../support/corpus.js';
import { element } from '../support/fixtures.js';

const run = promisify(execFile);
const DGATE = join(repoRoot(), 'dist', 'src', 'cli', 'dgate.js');

describe('server-command elements', () => {
  it('reads the command of a C-ECHO-RQ as Conquest dgate encodes it (odd text padded with a space)', () => {
    const text = Buffer.from('display_status:', 'latin1'); // 15 bytes: odd
    const bytes = Buffer.concat([
      element(0x00000002, 'UI', Buffer.from('1.2.840.10008.1.1\0'), { explicit: false }),
      element(0x00000100, 'US', Buffer.from([0x30, 0x00]), { explicit: false }),
      element(0x00000110, 'US', Buffer.from([0x01, 0x00]), { explicit: false }),
      element(0x00000800, 'US', Buffer.from([0x01, 0x01]), { explicit: false }),
      element(0x99990300, 'UN', Buffer.from('Server command sent using DGATE -- option '), {
        explicit: false,
      }),
      element(0x99990400, 'UN', Buffer.concat([text, Buffer.from(' ')]), { explicit: false }),
    ]);
    const cmd = decodeCommand(bytes);
    assert.equal(cmd.commandField, 0x0030);
    assert.deepEqual(serverCommandOf(cmd), { text: 'display_status:', upload: undefined });
  });

  it('a plain C-ECHO carries no command', () => {
    const cmd = decodeCommand(encodeCommand({ commandField: 0x0030, messageId: 1, hasDataSet: false }));
    assert.equal(serverCommandOf(cmd), undefined);
  });

  it('round-trips request, upload and odd-length output through the command set', () => {
    const req = decodeCommand(
      encodeCommand({
        commandField: 0x0030,
        messageId: 7,
        hasDataSet: false,
        extra: serverCommandRequest('addimagefile:x', Buffer.from('abc')),
      }),
    );
    assert.deepEqual(serverCommandOf(req), { text: 'addimagefile:x', upload: Buffer.from('abc') });
    assert.ok(req.extra?.has(COMMAND_TEXT_TAG));
    const rsp = decodeCommand(
      encodeCommand({
        commandField: 0x8030,
        messageIdBeingRespondedTo: 7,
        status: 0,
        hasDataSet: false,
        extra: serverCommandResponse(Buffer.from('odd')),
      }),
    );
    assert.equal(serverCommandOutput(rsp).toString(), 'odd');
  });

  it('text travels as UTF-8 both ways (paths and names beyond Latin-1)', () => {
    const text = 'addimagefile:/data/Müller/表.dcm';
    const req = decodeCommand(
      encodeCommand({
        commandField: 0x0030,
        messageId: 2,
        hasDataSet: false,
        extra: serverCommandRequest(text),
      }),
    );
    assert.equal(serverCommandOf(req)?.text, text);
  });
});

describe('server commands on a running server', () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-console-'));
    server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
  });
  after(async () => {
    await server.close(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (text: string, aeTitle = server.aeTitle) =>
    sendServerCommand({ host: '127.0.0.1', port: server.port, aeTitle, text, log: silentLogger });

  it('--display_status answers with the counters', async () => {
    const r = await send('display_status:');
    assert.equal(r.status, 0);
    assert.ok(r.understood);
    assert.match(r.output.toString(), /DICOM server 'CONQUESTSRV1'/);
    assert.match(r.output.toString(), /Associations: \d+ served, 1 open now/);
  });

  it('a plain C-ECHO is still answered as Verification, and counted', async () => {
    const before = server.counters.echoes;
    const client = await DicomClient.connect(
      { host: '127.0.0.1', port: server.port, callingAETitle: 'ECHOSCU', calledAETitle: 'CONQUESTSRV1' },
      [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ['1.2.840.10008.1.2'] }],
    );
    assert.equal(await client.echo(), 0);
    await client.release();
    assert.equal(server.counters.echoes, before + 1);
  });

  it('refuses commands from another calling AE title', async () => {
    const r = await send('display_status:', 'INTRUDER');
    assert.equal(r.status, COMMAND_REFUSED);
    assert.equal(r.output.length, 0);
  });

  it('an unknown command fails with a message', async () => {
    const r = await send('nosuchcommand:1');
    assert.equal(r.status, COMMAND_FAILED);
    assert.match(r.output.toString(), /unknown server command --nosuchcommand/);
  });

  it('a failing command reports its error and the server goes on', async () => {
    const r = await send('debuglevel:x');
    assert.equal(r.status, COMMAND_FAILED);
    assert.match(r.output.toString(), /\*\*\* --debuglevel:# needs a number/);
    assert.equal((await send('debuglevel:2')).status, 0);
  });
});

describe('OperatorConsole', () => {
  it('commands from an address that is not the OperatorConsole are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-console-'));
    try {
      const first = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
      await first.close(100);
      // The first start wrote dicom.ini; only another machine may now send commands.
      const ini = join(dir, 'dicom.ini');
      const { readFileSync } = await import('node:fs');
      writeFileSync(
        ini,
        readFileSync(ini, 'utf8').replace(/OperatorConsole\s*=.*/, 'OperatorConsole = 10.9.8.7'),
      );
      const server = await startServer({ dir, port: 0, host: '127.0.0.1', log: silentLogger });
      try {
        const r = await sendServerCommand({
          host: '127.0.0.1',
          port: server.port,
          aeTitle: server.aeTitle,
          text: 'quit:',
          log: silentLogger,
        });
        assert.equal(r.status, COMMAND_REFUSED);
      } finally {
        await server.close(100);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dgate -p --command to a running dgate', () => {
  it('--display_status prints the status, --quit stops the server, then there is no server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cq-console-'));
    const { freePort } = await import('../support/ports.js');
    const port = await freePort();
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [DGATE, `-p${port}`], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    try {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      while (!/listening on port/.test(out)) await new Promise((r) => setTimeout(r, 50));
      const status = await run(process.execPath, [DGATE, `-p${port}`, '--display_status:'], { cwd: dir });
      assert.match(status.stdout, new RegExp(`port ${port}`));
      const quit = await run(process.execPath, [DGATE, `-p${port}`, '-q127.0.0.1', '--quit:'], { cwd: dir });
      assert.match(quit.stdout, /server stopping/);
      assert.equal(await exited, 0);
      await assert.rejects(
        run(process.execPath, [DGATE, `-p${port}`, '--display_status:'], { cwd: dir }),
        (e: { code: number; stderr: string }) => e.code === 1 && /no server is listening/.test(e.stderr),
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
