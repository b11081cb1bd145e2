import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import {
  buildServerConfig,
  ConfigError,
  configKeys,
  defaultDicomIniText,
  generateUidPrefix,
  KEY_FAMILIES,
  loadConfig,
  mapConfigPath,
  SCALAR_KEYS,
  windowsInstallRoot,
} from '../../src/config/config.js';
import { IniFile } from '../../src/config/ini.js';
import { repoRoot } from '../support/corpus.js';
import { MANUAL_DICOM_INI } from './manual-examples.js';

/** The routing example of the manual (Appendix 2), under a [sscscp] header; its table-rule line left out. */
const MANUAL_ROUTING_INI = `[sscscp]
ForwardAssociationLevel\t= SERIES
ForwardAssociationCloseDelay\t= 5
ForwardAssociationRefreshDelay\t= 3600
ExportConverters\t= 6
DelayedForwarderThreads\t= 5

ExportModality0\t= CT
ExportStationName0\t= CT_SCANNER
ExportCalledAE0\t= CONQUESTSRV1
ExportCallingAE0\t= CONQUESTSRV2
ExportFilter0\t= Rows = 512 and Columns = 512
ExportConverter0\t= forward to SERVER1

ExportModality1\t= MR
ExportConverter1\t= forward compressed as j2 to SERVER2

ExportModality2\t= RT*

ExportConverter2\t= forward to RTSERVER; forward to RTSERVER2 org MYSERVER
ExportConverter3\t= forward patient to VIEWERAE after 60
ExportConverter4\t= forward study to SERVER3
Exportconverter5\t= ifequal "%u","SERVER2"; stop; between "9", "17"; defer; forward to SERVER2
ExportConverter6\t= forward study to PACS after 60 script lua:Data.PatientName=
`;

/** "DICOM Routing without database" and "DICOM Gateway or virtual server" (Appendix 2). */
const MANUAL_GATEWAY_INI = `[sscscp]
SQLHost          =
SQLServer        =
Username         =
Password        =

ForwardAssociationLevel    = SERIES
ImportConverter0           = ifequal "%m", "CT"; { forward to AE1 channel *; destroy; }
ImportConverter1           = ifequal "%m", "MRI"; { forward to AE2 channel *; destroy; }

VirtualServerFor0    = SERVER1
VirtualServerFor1    = SERVER2,CACHESTUDIES
VirtualServerFor2    = SERVER3,CACHESTUDIES,NONVIRTUAL

[lua]
association=require('association')

[scripts]
Test = nop test
`;

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'conquest-config-'));
  temps.push(d);
  return d;
}
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function build(text: string, dir = '/srv/pacs', platform: NodeJS.Platform = 'linux') {
  return buildServerConfig(IniFile.parse(text, join(dir, 'dicom.ini')), dir, { platform });
}

test("UIDPrefix is generated as Conquest's installer does (the manual's example)", () => {
  assert.equal(
    generateUidPrefix(new Date(2016, 2, 13, 20, 33, 35, 798)),
    '1.2.826.0.1.3680043.2.135.736036.74015798',
  );
  assert.equal(generateUidPrefix(new Date(2000, 0, 1)), '1.2.826.0.1.3680043.2.135.730120.0');
  assert.match(generateUidPrefix(), /^1\.2\.826\.0\.1\.3680043\.2\.135\.\d{6}\.\d{1,8}$/);
});

test('a first start writes the three files, and a second start reads them back unchanged', () => {
  const dir = join(tempDir(), 'new-server');
  const first = loadConfig(dir, { now: new Date(2024, 5, 1, 12, 0, 0, 0) });
  assert.deepEqual(first.created, [
    join(dir, 'dicom.ini'),
    join(dir, 'acrnema.map'),
    join(dir, 'dgatesop.lst'),
  ]);
  assert.deepEqual(first.warnings, []);
  const s = first.server;
  assert.equal(s.dir, dir);
  assert.equal(s.rootSection, 'sscscp');
  assert.equal(s.myACRNema, 'CONQUESTSRV1');
  assert.equal(s.tcpPort, 5678);
  assert.equal(s.webPort, 8080);
  assert.equal(s.pacsName, 'CONQUESTSRV1');
  assert.equal(s.uidPrefix, '1.2.826.0.1.3680043.2.135.739038.43200000');
  assert.equal(s.fileNameSyntax, '4');
  assert.equal(s.sqLite, true);
  assert.equal(s.databaseDriver, 'sqlite');
  assert.equal(s.sqlServer, join(dir, 'data/dbase/conquest.db3'));
  assert.deepEqual(s.magDevices, [`${join(dir, 'data')}/`]);
  assert.equal(s.magDeviceFullThreshHold, 30);
  assert.equal(s.incomingCompression, 'un');
  assert.equal(s.archiveCompression, 'as');
  assert.equal(s.acrNemaMap, join(dir, 'acrnema.map'));
  assert.equal(s.sopClassList, join(dir, 'dgatesop.lst'));
  assert.equal(first.acrNemaMap.resolve('CONQUESTSRV1')?.port, 5678);
  assert.equal(first.sopList.acceptsAbstractSyntax('1.2.840.10008.5.1.4.1.1.2'), true);

  const ini = readFileSync(join(dir, 'dicom.ini'), 'utf8');
  assert.match(ini, /^# This file contains configuration information for the DICOM server\n/);
  for (const line of [
    '\n[sscscp]\nMicroPACS                = sscscp\n',
    '\nMAGDevice0               = ./data/\n',
    '\nSQLServer                = ./data/dbase/conquest.db3\n',
    '\nWebPort                  = 8080\n',
  ])
    assert.ok(ini.includes(line), line);
  assert.equal(ini, defaultDicomIniText({ now: new Date(2024, 5, 1, 12, 0, 0, 0) }));

  const bytes = ['dicom.ini', 'acrnema.map', 'dgatesop.lst'].map((f) => readFileSync(join(dir, f)));
  const second = loadConfig(dir);
  assert.deepEqual(second.created, []);
  assert.deepEqual(
    ['dicom.ini', 'acrnema.map', 'dgatesop.lst'].map((f) => readFileSync(join(dir, f))),
    bytes,
  );
  assert.equal(second.server.uidPrefix, s.uidPrefix);
  assert.deepEqual({ ...second.server, raw: 0, rawIn: 0, script: 0 }, { ...s, raw: 0, rawIn: 0, script: 0 });

  // --put_param, then a restart, sees the new value; only that line changed.
  second.ini.set('sscscp', 'TCPPort', '11112');
  second.ini.write();
  const third = loadConfig(dir);
  assert.equal(third.server.tcpPort, 11112);
  const a = bytes[0]!.toString('utf8').split('\n');
  const b = readFileSync(join(dir, 'dicom.ini'), 'utf8').split('\n');
  assert.deepEqual(
    b.flatMap((l, i) => (l === a[i] ? [] : [l])),
    ['TCPPort                  = 11112'],
  );
});

test('missing files only are created; an existing dicom.ini names the AE in the new acrnema.map', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'dicom.ini'), '[sscscp]\nMyACRNema = MYPACS\nTCPPort = 104\n');
  const c = loadConfig(dir);
  assert.deepEqual(c.created, [join(dir, 'acrnema.map'), join(dir, 'dgatesop.lst')]);
  assert.equal(c.acrNemaMap.get(0)?.ae, 'MYPACS');
  assert.equal(c.acrNemaMap.resolve('MYPACS')?.port, 104);
  // Without writing: the same defaults, in memory only.
  const empty = join(tempDir(), 'none');
  const d = loadConfig(empty, { writeDefaults: false });
  assert.deepEqual(d.created, []);
  assert.equal(existsSync(empty), false);
  assert.equal(d.server.tcpPort, 5678);
});

test("the manual's dicom.ini from a Windows install, read on Linux", () => {
  const { config: c, warnings } = build(MANUAL_DICOM_INI, '/srv/pacs');
  assert.equal(c.myACRNema, 'CONQUESTSRV1');
  assert.equal(c.tcpPort, 5678);
  assert.equal(c.uidPrefix, '1.2.826.0.1.3680043.2.135.736036.74015798');
  assert.equal(c.enableComputedFields, true);
  assert.equal(c.fileNameSyntax, '4');
  assert.equal(c.droppedFileCompression, 'un');
  assert.equal(c.debugLevel, 0);
  assert.equal(c.operatorConsole, '127.0.0.1');
  assert.equal(c.magDeviceFullThreshHold, 30);
  assert.equal(c.username, '');
  // C:\dicomserver\ is the install folder (MAGDevice0's parent): it becomes /srv/pacs.
  assert.deepEqual(c.magDevices, ['/srv/pacs/data/']);
  assert.equal(c.sqlServer, '/srv/pacs/Data/dbase/conquest.db3');
  assert.equal(warnings.length, 2);
  assert.match(
    warnings[0]!,
    /line 13: SQLServer = C:\\dicomserver\\Data\\dbase\\conquest\.db3 is a Windows path; using \/srv\/pacs\/Data\/dbase\/conquest\.db3/,
  );
  assert.match(
    warnings[1]!,
    /MAGDevice0 = C:\\dicomserver\\data\\ is a Windows path; using \/srv\/pacs\/data\//,
  );
  // On Windows the paths are used as they are.
  const win = build(MANUAL_DICOM_INI, 'C:\\dicomserver', 'win32');
  assert.deepEqual(win.warnings, []);
});

test('mapping Windows paths', () => {
  const root = windowsInstallRoot('C:\\dicomserver\\data\\');
  assert.equal(root, 'C:\\dicomserver\\');
  assert.equal(windowsInstallRoot('D:\\images\\'), 'D:\\');
  assert.equal(windowsInstallRoot('./data/'), undefined);
  const m = (v: string) => mapConfigPath(v, '/srv/pacs', { platform: 'linux', windowsRoot: root });
  assert.deepEqual(m('C:\\dicomserver\\data\\'), { path: '/srv/pacs/data/', mapped: true });
  assert.deepEqual(m('c:\\DICOMSERVER\\dicom.sql'), { path: '/srv/pacs/dicom.sql', mapped: true });
  assert.deepEqual(m('D:\\archive\\mag1\\'), { path: '/srv/pacs/archive/mag1/', mapped: true });
  assert.deepEqual(m('C:/dicomserver/data2/'), { path: '/srv/pacs/data2/', mapped: true });
  assert.deepEqual(m('\\\\nas\\pacs\\mirror\\'), { path: '/srv/pacs/mirror/', mapped: true });
  assert.deepEqual(m('\\temp'), { path: '/srv/pacs/temp', mapped: true });
  assert.deepEqual(m('.\\data\\'), { path: '/srv/pacs/data/', mapped: false });
  assert.deepEqual(m('./data/'), { path: '/srv/pacs/data/', mapped: false });
  assert.deepEqual(m('/var/lib/pacs/'), { path: '/var/lib/pacs/', mapped: false });
  assert.deepEqual(m(''), { path: '', mapped: false });
});

test('absent keys take the documented defaults', () => {
  const { config: c, warnings } = build('[sscscp]\n');
  assert.deepEqual(warnings, []);
  for (const [prop, k] of Object.entries(SCALAR_KEYS)) {
    const v = (c as unknown as Record<string, unknown>)[prop];
    if (prop === 'pacsName') assert.equal(v, 'CONQUESTSRV1');
    else if (k.kind === 'path' && k.default !== '')
      assert.equal(v, resolve('/srv/pacs', k.default as string), k.key);
    else assert.equal(v, k.default, k.key);
  }
  assert.equal(c.storageFailedErrorCode, 0x0110);
  assert.equal(c.tcpipTimeOut, 300);
  assert.equal(c.forwardAssociationLevel, 'STUDY');
  assert.equal(c.databaseDriver, 'null'); // SQLServer empty
  assert.deepEqual(c.magDevices, ['/srv/pacs/data/']);
  assert.deepEqual(c.mirrorDevices, []);
  assert.deepEqual(c.exportConverters, []);
  assert.deepEqual(c.importConverters, []);
  assert.deepEqual(c.virtualServerFor, ['', '', '', '', '', '', '', '', '', '']);
  assert.equal(c.scripts.size, 0);
  // No [sscscp] at all: defaults, and a warning.
  assert.match(build('').warnings[0]!, /there is no \[sscscp\] section/);
});

test('typed values: numbers, booleans, aliases, and errors naming file and line', () => {
  const { config: c, warnings } = build(
    [
      '[sscscp]',
      'StorageFailedErrorCode = 0x0110',
      'MAGDeviceFullThreshold = 50', // the manual's spelling in its text; the listing's is ThreshHold
      'NightlyCleanThreshhold = 1000', // the spelling of Conquest's source
      'FixKodak = 1',
      'FixPhilips = yes',
      'CacheVirtualData = 0',
      'DebugLevel = 2   (verbose)',
      'SQLServer = conquest.db3',
      'SQLite = 0',
      'MySQL = 0',
      'TCPIPTimeOut =',
      '',
    ].join('\n'),
  );
  assert.equal(c.storageFailedErrorCode, 272);
  assert.equal(c.magDeviceFullThreshHold, 50);
  assert.equal(c.nightlyCleanThreshold, 1000);
  assert.equal(c.fixKodak, true);
  assert.equal(c.fixPhilips, true);
  assert.equal(c.cacheVirtualData, false);
  assert.equal(c.debugLevel, 2);
  assert.equal(c.tcpipTimeOut, 300); // empty: the default
  assert.equal(c.databaseDriver, 'dbase');
  assert.equal(c.sqlServer, '/srv/pacs/conquest.db3');
  assert.deepEqual(warnings, [
    '/srv/pacs/dicom.ini, line 8: DebugLevel = 2   (verbose): the text after the number is ignored',
  ]);

  const bad = (text: string, line: number, what: RegExp) =>
    assert.throws(
      () => build(text),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.file === '/srv/pacs/dicom.ini' &&
        e.line === line &&
        what.test(e.message),
    );
  bad('[sscscp]\nMyACRNema = X\nTCPPort = abc\n', 3, /TCPPort = abc: expected a number/);
  bad('[sscscp]\nSQLite = maybe\n', 2, /SQLite = maybe: expected 0 or 1/);
  bad('[sscscp]\nMAGDevices = many\n', 2, /MAGDevices = many: expected a number/);
});

test('raw() reaches any key, case-insensitively; MicroPACS names the root section', () => {
  const { config: c } = build(
    `${MANUAL_DICOM_INI}DumpIni = 0\nTroubleLog = /var/log/pacstrouble.log\n[webdefaults]\nsize = 560\n`,
  );
  assert.equal(c.raw('troublelog'), '/var/log/pacstrouble.log');
  assert.equal(c.raw('MYACRNEMA'), 'CONQUESTSRV1');
  assert.equal(c.raw('NoSuchKey'), undefined);
  assert.equal(c.rawIn('WebDefaults', 'SIZE'), '560');
  const other = build(
    '[sscscp]\nMicroPACS = second\nTCPPort = 104\n[second]\nTCPPort = 105\nMyACRNema = SECOND\n',
  );
  assert.equal(other.config.rootSection, 'second');
  assert.equal(other.config.tcpPort, 105);
  assert.equal(other.config.raw('MyACRNema'), 'SECOND');
});

test("the manual's routing example: export converters and their filters", () => {
  const { config: c } = build(MANUAL_ROUTING_INI);
  assert.equal(c.forwardAssociationLevel, 'SERIES');
  assert.equal(c.delayedForwarderThreads, 5);
  // ExportConverters = 6: converters 0..5; ExportConverter6 is not used (as in Conquest).
  assert.equal(c.exportConverters.length, 6);
  assert.deepEqual(c.exportConverters[0], {
    index: 0,
    converter: 'forward to SERVER1',
    modality: 'CT',
    stationName: 'CT_SCANNER',
    calledAE: 'CONQUESTSRV1',
    callingAE: 'CONQUESTSRV2',
    filter: 'Rows = 512 and Columns = 512',
  });
  assert.equal(c.exportConverters[1]!.converter, 'forward compressed as j2 to SERVER2');
  assert.equal(c.exportConverters[1]!.stationName, '*');
  assert.equal(c.exportConverters[2]!.modality, 'RT*');
  assert.equal(
    c.exportConverters[5]!.converter,
    'ifequal "%u","SERVER2"; stop; between "9", "17"; defer; forward to SERVER2',
  );
});

test("the manual's gateway examples: import converters, virtual servers, [lua] and [scripts]", () => {
  const { config: c } = build(MANUAL_GATEWAY_INI);
  assert.equal(c.databaseDriver, 'null');
  assert.deepEqual(
    c.importConverters.map((r) => [r.index, r.converter, r.modality]),
    [
      [0, 'ifequal "%m", "CT"; { forward to AE1 channel *; destroy; }', '*'],
      [1, 'ifequal "%m", "MRI"; { forward to AE2 channel *; destroy; }', '*'],
    ],
  );
  assert.deepEqual(c.virtualServerFor.slice(0, 4), [
    'SERVER1',
    'SERVER2,CACHESTUDIES',
    'SERVER3,CACHESTUDIES,NONVIRTUAL',
    '',
  ]);
  assert.equal(c.luaAssociation, "require('association')");
  assert.equal(c.script('test'), 'nop test');
  assert.deepEqual([...c.scripts], [['Test', 'nop test']]);
});

test('a malformed file stops loadConfig with its path and line', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'dicom.ini'), '[sscscp]\nMyACRNema = X\n');
  writeFileSync(join(dir, 'acrnema.map'), 'X 127.0.0.1 104 un\nBROKEN\n');
  assert.throws(
    () => loadConfig(dir),
    (e: unknown) => e instanceof ConfigError && e.file === join(dir, 'acrnema.map') && e.line === 2,
  );
  writeFileSync(join(dir, 'dicom.ini'), '[sscscp]\nMyACRNema = X\nwhat is this\n');
  assert.throws(
    () => loadConfig(dir),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.startsWith(`${join(dir, 'dicom.ini')}, line 3: expected 'key = value'`),
  );
});

test('docs/config-keys.md documents every typed key with its default', () => {
  const doc = readFileSync(join(repoRoot(), 'docs', 'config-keys.md'), 'utf8');
  for (const k of configKeys()) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${k.key}\``));
    assert.ok(row, `no row for ${k.key}`);
    assert.ok(row.includes(k.status), `status of ${k.key}`);
  }
  for (const f of KEY_FAMILIES) assert.ok(doc.includes(`| \`${f.key}\``), `no row for ${f.key}`);
});
