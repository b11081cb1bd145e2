/** Device names → folders, as Conquest's GetPhysicalDevice and FindPhysicalDevice (device.cpp). */
import assert from 'node:assert/strict';
import { join, sep } from 'node:path';
import { describe, it } from 'node:test';
import {
  asDeviceFolders,
  type DeviceFolders,
  deviceFolder,
  deviceSearchOrder,
  formatIntegers,
  locateObjectFile,
  objectFilePath,
  parseDeviceName,
} from '../../src/storage/device-names.js';

const F = (p: string): string => `${join('/arch', p)}${sep}`;

const folders: DeviceFolders = {
  mag: [F('mag0'), F('mag1')],
  mirror: [F('mirror0')],
  cache: [
    `${join('/arch', 'cache', 'cd%02d_%04d')}${sep}`,
    `${join('/arch', 'cache2', 'j%d', 'cd%d')}${sep}`,
  ],
  jukebox: [`${join('/arch', 'jb0', 'cd%04d')}${sep}`, `${join('/arch', 'jb1', 'cd%04d')}${sep}`],
};

describe('device names', () => {
  it('parses the four kinds, case-insensitively, with their numbers after the dots', () => {
    assert.deepEqual(parseDeviceName('MAG0'), { kind: 'MAG', number: 0, suffix: '' });
    assert.deepEqual(parseDeviceName('mag12.Archiving'), {
      kind: 'MAG',
      number: 12,
      suffix: 'Archiving',
      sub1: 0,
    });
    assert.deepEqual(parseDeviceName('JUKEBOX1.123'), {
      kind: 'JUKEBOX',
      number: 1,
      suffix: '123',
      sub1: 123,
    });
    assert.deepEqual(parseDeviceName('Cache0.1.2'), {
      kind: 'CACHE',
      number: 0,
      suffix: '1.2',
      sub1: 1,
      sub2: 2,
    });
    assert.deepEqual(parseDeviceName(' MIRROR3 '), { kind: 'MIRROR', number: 3, suffix: '' });
    for (const bad of ['', 'MAG', 'MAGX', 'DISK0', '0', 'MAG-1', 'MAG0Archiving'])
      assert.equal(parseDeviceName(bad), undefined, bad);
  });

  it('GetPhysicalDevice: MAGn and MAGn.Archiving are the MAG folder; MIRRORn its folder', () => {
    assert.equal(deviceFolder('MAG0', folders), F('mag0'));
    assert.equal(deviceFolder('MAG1.Archiving', folders), F('mag1'));
    assert.equal(deviceFolder('mag1', folders), F('mag1'));
    assert.equal(deviceFolder('MIRROR0', folders), F('mirror0'));
    assert.equal(deviceFolder('MAG2', folders), undefined);
    assert.equal(deviceFolder('MIRROR1', folders), undefined);
    assert.equal(deviceFolder('TAPE0', folders), undefined);
  });

  it('GetPhysicalDevice: CACHEn.j.c and JUKEBOXj.c fill the %d fields of their templates', () => {
    assert.equal(deviceFolder('CACHE0.1.2', folders), `${join('/arch', 'cache', 'cd01_0002')}${sep}`);
    assert.equal(deviceFolder('CACHE1.3.45', folders), `${join('/arch', 'cache2', 'j3', 'cd45')}${sep}`);
    // Missing numbers are 0, as in Conquest.
    assert.equal(deviceFolder('CACHE0', folders), `${join('/arch', 'cache', 'cd00_0000')}${sep}`);
    assert.equal(deviceFolder('JUKEBOX1.2', folders), `${join('/arch', 'jb1', 'cd0002')}${sep}`);
    assert.equal(deviceFolder('JUKEBOX0.123', folders), `${join('/arch', 'jb0', 'cd0123')}${sep}`);
    assert.equal(deviceFolder('JUKEBOX2.1', folders), undefined);
    assert.equal(deviceFolder('CACHE2.1.1', folders), undefined);
  });

  it('an empty device entry (MAGDevices larger than the keys given) resolves to nothing', () => {
    assert.equal(deviceFolder('MAG1', { ...folders, mag: [F('mag0'), ''] }), undefined);
  });

  it('formats C integer conversions', () => {
    assert.equal(formatIntegers('cd%02d_%04d', [1, 23]), 'cd01_0023');
    assert.equal(formatIntegers('%d-%i-%u', [7, -3, 9]), '7--3-9');
    assert.equal(formatIntegers('[%5d][%-5d][%+d][%.3d]', [42, 42, 42, 42]), '[   42][42   ][+42][042]');
    assert.equal(formatIntegers('100%% %d %d', [1]), '100% 1 0');
    assert.equal(formatIntegers('no fields', [1, 2]), 'no fields');
  });

  it('FindPhysicalDevice order: MAG tries its MIRROR, then every MAG and MIRROR', () => {
    assert.deepEqual(deviceSearchOrder('MAG1.Archiving', folders), [F('mag1'), F('mag0'), F('mirror0')]);
    assert.deepEqual(deviceSearchOrder('MAG0', folders), [F('mag0'), F('mirror0'), F('mag1')]);
  });

  it('FindPhysicalDevice order: a jukebox CD tries the other jukeboxes, then the caches for that CD', () => {
    assert.deepEqual(deviceSearchOrder('JUKEBOX0.7', folders), [
      `${join('/arch', 'jb0', 'cd0007')}${sep}`,
      `${join('/arch', 'jb1', 'cd0007')}${sep}`,
      `${join('/arch', 'cache', 'cd00_0007')}${sep}`,
      `${join('/arch', 'cache2', 'j0', 'cd7')}${sep}`,
      F('mag0'),
      F('mag1'),
      F('mirror0'),
    ]);
  });

  it('FindPhysicalDevice order: a cache tries the jukeboxes with its CD', () => {
    assert.deepEqual(deviceSearchOrder('CACHE0.1.5', folders).slice(0, 3), [
      `${join('/arch', 'cache', 'cd01_0005')}${sep}`,
      `${join('/arch', 'jb0', 'cd0005')}${sep}`,
      `${join('/arch', 'jb1', 'cd0005')}${sep}`,
    ]);
  });

  it('an unknown name is looked for on the MAG and MIRROR devices only', () => {
    assert.deepEqual(deviceSearchOrder('TAPE3', folders), [F('mag0'), F('mag1'), F('mirror0')]);
  });

  it('locates a file where it is, else nothing; the row path without looking', () => {
    const burned = join('/arch', 'cache', 'cd00_0007', 'PAT', 'a.dcm');
    const have = new Set([burned]);
    assert.equal(
      locateObjectFile('JUKEBOX0.7', 'PAT\\a.dcm', folders, (p) => have.has(p)),
      burned,
    );
    assert.equal(
      locateObjectFile('JUKEBOX0.7', 'PAT/b.dcm', folders, (p) => have.has(p)),
      undefined,
    );
    assert.equal(
      objectFilePath('MAG0.Archiving', 'PAT/a.dcm', folders),
      join('/arch', 'mag0', 'PAT', 'a.dcm'),
    );
    assert.equal(objectFilePath('MAG9', 'PAT/a.dcm', folders), undefined);
  });

  it('a plain MAG list stands for MAG devices only', () => {
    const f = asDeviceFolders([F('mag0')]);
    assert.equal(deviceFolder('MAG0.Archiving', f), F('mag0'));
    assert.equal(deviceFolder('JUKEBOX0.1', f), undefined);
    assert.equal(asDeviceFolders(folders), folders);
  });
});
