/**
 * The archival commands and their -a switches: the switch forms map onto the commands as in dgate.cpp's
 * ParseArgs (note -amFROM,TO against --movedatatodevice:to,from), and the commands run through dgate.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';
import { UsageError } from '../../src/control/arguments.js';
import { commandEntry, switchCommand } from '../../src/control/registry.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';
import { freePort } from '../support/ports.js';

const DGATE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'dgate.js');

/** The command and arguments a switch item runs. */
function viaSwitch(item: string): string {
  const s = switchCommand(item.slice(1));
  assert.ok(s, `${item} is not a switch`);
  const args = s.command.args ? s.command.args(s.value, []) : s.value;
  return `--${s.command.command}:${args}`;
}

describe('archival switches', () => {
  it('map onto the commands in dgate.cpp ParseArgs order', () => {
    assert.equal(viaSwitch('-as650000,1'), '--selectlruforarchival:650000,MAG1');
    assert.equal(viaSwitch('-as650000'), '--selectlruforarchival:650000,MAG0');
    assert.equal(viaSwitch('-as-2000,MAG2'), '--selectlruforarchival:-2000,MAG2');
    // -amFROM,TO runs MoveDataToDevice(FROM, TO); the command form is to,from.
    assert.equal(viaSwitch('-amMAG0.Archiving,MAG1'), '--movedatatodevice:MAG1,MAG0.Archiving');
    assert.equal(viaSwitch('-aeMAG1,JUKEBOX0.1'), '--renamedevice:MAG1,JUKEBOX0.1');
    assert.equal(viaSwitch('-abJUKEBOX1.2,3'), '--preparebunchforburning:JUKEBOX1.2,MAG3');
    assert.equal(viaSwitch('-abJUKEBOX1.2'), '--preparebunchforburning:JUKEBOX1.2,MAG0');
    assert.equal(viaSwitch('-au'), '--restoremagflags:');
    assert.equal(viaSwitch('-acJUKEBOX1.2'), '--comparebunchafterburning:JUKEBOX1.2');
    assert.equal(viaSwitch('-adJUKEBOX1.2'), '--deletebunchafterburning:JUKEBOX1.2');
    assert.equal(viaSwitch('-avMAG0'), '--verifymirrordisk:MAG0');
    assert.equal(viaSwitch('-atMAG0.Archiving'), '--testimages:MAG0.Archiving');
    // -ar stays regen of a device.
    assert.equal(viaSwitch('-arMAG0'), '--regendevice:MAG0');
  });

  it('refuse incomplete forms with the right one', () => {
    for (const bad of ['-amMAG0', '-aeMAG0,', '-asX', '-as100,disk', '-av', '-at', '-ab', '-ac', '-ad'])
      assert.throws(() => viaSwitch(bad), UsageError, bad);
  });

  it('every archival command exists', () => {
    for (const name of [
      'selectlruforarchival',
      'selectseriestomove',
      'restoremagflags',
      'movedatatodevice',
      'moveseriestodevice',
      'renamedevice',
      'verifymirrordisk',
      'testimages',
      'preparebunchforburning',
      'comparebunchafterburning',
      'deletebunchafterburning',
    ])
      assert.equal(commandEntry(name)?.place, 'either', name);
  });
});

function dgate(
  dir: string,
  port: number,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DGATE, `-w${dir}`, `-p${port}`, ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('archival commands through dgate (no server: they run in dgate)', { skip: CORPUS_SKIP }, () => {
  let dir: string;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cq-archival-cmd-'));
    loadConfig(dir);
    port = await freePort();
    for (const f of [
      'study/PAT001/20190115_A1001/s01_CT/0001.dcm',
      'study/PAT002/20200630_A3003/s01_CT/0001.dcm',
    ])
      assert.equal((await dgate(dir, port, [`--addimagefile:${corpusPath(f)}`])).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('-as selects, -at test-reads the selection, -au undoes', async () => {
    const as = await dgate(dir, port, ['-as100000,0']);
    assert.equal(as.code, 0, as.stderr);
    assert.match(as.stdout, /^Archival: set archive flag for patient: PAT00[12]\n/);
    assert.match(as.stdout, /Archival: total archive amount: \d+ KB\n$/);
    const at = await dgate(dir, port, ['-atMAG0.Archiving']);
    assert.equal(at.code, 0, at.stderr);
    assert.match(at.stdout, /Archival: test read all data for patient: PAT001\n/);
    const again = await dgate(dir, port, ['--selectlruforarchival:100000,MAG0']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already selected/);
    const au = await dgate(dir, port, ['-au']);
    assert.equal(au.code, 0, au.stderr);
    assert.equal(au.stdout, 'Resetting archive flag on device: MAG0 (2 images)\n');
  });

  it('an unknown device fails with exit code 1; a wrong form with 2', async () => {
    const am = await dgate(dir, port, ['-amMAG0,MAG9']);
    assert.equal(am.code, 1);
    assert.match(am.stderr, /'MAG9' is not a configured device/);
    const usage = await dgate(dir, port, ['-amMAG0']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /-amFROM,TO needs two device names/);
    const nothing = await dgate(dir, port, ['--movedatatodevice:MAG0,MAG0.Archiving']);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /MoveDataToDevice: Nothing to do/);
  });
});
