import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  decodeConfigBytes,
  encodeConfigText,
  IniFile,
  iniValue,
  renderIniEntry,
  splitLines,
} from '../../src/config/ini.js';
import { MANUAL_DICOM_INI } from './manual-examples.js';

/** The web interface's dicom.ini from the manual (Appendix 4), its wrapped [AnyPage] line joined again. */
const MANUAL_NEWWEB_INI = `#mvh 20181229 for 1.5.0

[sscscp]
MicroPACS           = sscscp
ACRNemaMap          = acrnema.map
Dictionary          = dgate.dic
WebServerFor        = 127.0.0.1
TCPPort             = 5678
WebScriptAddress    = http://127.0.0.1/cgi-bin/newweb/dgate.exe
WebCodeBase         = http://127.0.0.1/
TempDir             = null

[webdefaults]
size      = 560
dsize     = 0
compress  = un
iconsize  = 84
graphic   = jpg
readOnly  = 0
viewOnly  = 0
viewer    = wadoseriesviewer
studyviewer = wadostudyviewer

[DefaultPage]
source = *.lua

[AnyPage]
source = start.lua
exceptions=start,listpatients,liststudies,listseries,listimageswiththumbs,listimages,listtrials,listtrialpatients,wadostudyviewer,wadoseriesviewer,wadoviewerhelp,slice,weasis_starter,dwvviewer_starter,papaya_starter,iframe_starter,dumpvars,conquest,addlocalfile,attachfile
`;

/** Line numbers (1-based) whose text differs between two files with the same number of lines. */
function changedLines(a: string, b: string): number[] {
  const x = a.split('\n');
  const y = b.split('\n');
  assert.equal(x.length, y.length, 'same number of lines');
  return x.flatMap((l, i) => (l === y[i] ? [] : [i + 1]));
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

test("the manual's dicom.ini parses to its values", () => {
  const ini = IniFile.parse(MANUAL_DICOM_INI);
  assert.deepEqual(ini.sections(), ['sscscp']);
  assert.equal(ini.get('sscscp', 'MicroPACS'), 'sscscp');
  assert.equal(ini.get('sscscp', 'MyACRNema'), 'CONQUESTSRV1');
  assert.equal(ini.get('sscscp', 'TCPPort'), '5678');
  assert.equal(ini.get('sscscp', 'SQLServer'), 'C:\\dicomserver\\Data\\dbase\\conquest.db3');
  assert.equal(ini.get('sscscp', 'Username'), '');
  assert.equal(ini.get('sscscp', 'Password'), '');
  assert.equal(ini.get('sscscp', 'ZipTime'), '05:');
  assert.equal(ini.get('sscscp', 'UIDPrefix'), '1.2.826.0.1.3680043.2.135.736036.74015798');
  assert.equal(ini.get('sscscp', 'FileNameSyntax'), '4');
  assert.equal(ini.get('sscscp', 'MAGDeviceFullThreshHold'), '30');
  assert.equal(ini.get('sscscp', 'MAGDevice0'), 'C:\\dicomserver\\data\\');
  assert.equal(ini.entries('sscscp').length, 24);
  assert.deepEqual(ini.warnings, []);
  // Keys and sections are case-insensitive, as in Conquest.
  assert.equal(ini.get('SSCSCP', 'tcpport'), '5678');
  assert.equal(ini.entry('sscscp', 'myacrnema')?.key, 'MyACRNema');
  assert.equal(ini.entry('sscscp', 'myacrnema')?.line, lineOf(MANUAL_DICOM_INI, 'MyACRNema'));
  assert.equal(ini.get('sscscp', 'NoSuchKey'), undefined);
  assert.equal(ini.get('lua', 'MyACRNema'), undefined);
  // Unchanged, it writes back byte for byte.
  assert.equal(ini.toString(), MANUAL_DICOM_INI);
});

test('several sections, and values with = in them', () => {
  const ini = IniFile.parse(MANUAL_NEWWEB_INI);
  assert.deepEqual(ini.sections(), ['sscscp', 'webdefaults', 'DefaultPage', 'AnyPage']);
  assert.equal(ini.get('webdefaults', 'iconsize'), '84');
  assert.equal(ini.get('defaultpage', 'source'), '*.lua');
  assert.match(ini.get('AnyPage', 'exceptions')!, /^start,listpatients,.*,attachfile$/);
  assert.equal(ini.get('sscscp', 'WebScriptAddress'), 'http://127.0.0.1/cgi-bin/newweb/dgate.exe');
  assert.equal(ini.toString(), MANUAL_NEWWEB_INI);

  const lua = IniFile.parse(
    '[lua]\nassociation = package.path=package.path..\';\'..Global.basedir..\'lua/?.lua\'\n[sscscp]\nExportConverter0 = ifequal "%m", "CT"; forward to X # not a comment\n',
  );
  assert.equal(lua.get('lua', 'association'), "package.path=package.path..';'..Global.basedir..'lua/?.lua'");
  assert.equal(lua.get('sscscp', 'ExportConverter0'), 'ifequal "%m", "CT"; forward to X # not a comment');
});

test('a section may appear twice; the first value of a key wins', () => {
  const ini = IniFile.parse(
    '[sscscp]\nTCPPort = 104\n[lua]\nx = 1\n[SSCSCP]\ntcpport = 105\nDebugLevel = 2\n',
  );
  assert.equal(ini.get('sscscp', 'TCPPort'), '104');
  assert.equal(ini.get('sscscp', 'DebugLevel'), '2');
  assert.deepEqual(ini.sections(), ['sscscp', 'lua']);
  assert.equal(ini.warnings.length, 1);
  assert.match(ini.warnings[0]!, /line 6: 'tcpport' in \[SSCSCP\] is also set on line 2/);
});

test('values: blanks trimmed, one pair of quotes removed, and set() writes what reads back', () => {
  assert.equal(iniValue('   x y  '), 'x y');
  assert.equal(iniValue(' "  spaced  " '), '  spaced  ');
  assert.equal(iniValue(" 'single' "), 'single');
  assert.equal(iniValue(' "unbalanced '), '"unbalanced');
  assert.equal(iniValue('\t'), '');
  const ini = IniFile.parse('[sscscp]\nA = 1\n');
  for (const v of ['  lead', 'trail  ', '"quoted"', "'q'", '"a" and "b"', 'plain', '']) {
    ini.set('sscscp', 'B', v);
    assert.equal(IniFile.parse(ini.toString()).get('sscscp', 'B'), v, `round trip of ${JSON.stringify(v)}`);
  }
});

test('editing a key rewrites only its line, keeping the spelling of the key and the spacing', () => {
  const ini = IniFile.parse(MANUAL_DICOM_INI);
  ini.set('SSCSCP', 'tcpport', '104');
  const after = ini.toString();
  const n = lineOf(MANUAL_DICOM_INI, 'TCPPort');
  assert.deepEqual(changedLines(MANUAL_DICOM_INI, after), [n]);
  assert.equal(after.split('\n')[n - 1], 'TCPPort                  = 104');
  assert.equal(IniFile.parse(after).get('sscscp', 'TCPPort'), '104');

  // An empty value gets one, keeping the layout of its line.
  ini.set('sscscp', 'Username', 'conquest');
  assert.equal(
    ini.toString().split('\n')[lineOf(MANUAL_DICOM_INI, 'Username') - 1],
    'Username                  = conquest',
  );
  // No blank after '=' stays that way.
  const tight = IniFile.parse('[s]\nKey=1\n');
  tight.set('s', 'key', '2');
  assert.equal(tight.toString(), '[s]\nKey=2\n');
  // Setting the same value changes nothing.
  const same = IniFile.parse(MANUAL_DICOM_INI);
  same.set('sscscp', 'DebugLevel', '0');
  assert.equal(same.toString(), MANUAL_DICOM_INI);
});

test('a new key goes after the last entry of its section, in Conquest layout', () => {
  const ini = IniFile.parse(MANUAL_NEWWEB_INI);
  ini.set('sscscp', 'DebugLevel', '3');
  const before = MANUAL_NEWWEB_INI.split('\n');
  const after = ini.toString().split('\n');
  const at = lineOf(MANUAL_NEWWEB_INI, 'TempDir'); // the last entry of [sscscp]
  assert.deepEqual(after, [...before.slice(0, at), 'DebugLevel               = 3', ...before.slice(at)]);
  assert.equal(renderIniEntry('UseEscapeStringConstants', '0'), 'UseEscapeStringConstants = 0');
  assert.equal(renderIniEntry('MicroPACS', 'sscscp'), 'MicroPACS                = sscscp');
  assert.equal(renderIniEntry('Username', ''), 'Username                 =');
});

test('a new section is appended at the end', () => {
  const ini = IniFile.parse(MANUAL_DICOM_INI);
  ini.set('lua', 'association', "dofile('lua/association.lua')");
  const added = ini.toString().slice(MANUAL_DICOM_INI.length);
  assert.equal(added, "[lua]\nassociation              = dofile('lua/association.lua')\n");
  // A file without a final line break gets one before the new lines.
  const bare = IniFile.parse('[sscscp]\nTCPPort = 104');
  bare.set('scripts', 'Test', 'nop test');
  assert.equal(
    bare.toString(),
    '[sscscp]\nTCPPort = 104\n\n[scripts]\nTest                     = nop test\n',
  );
});

test('delete removes only the key line(s)', () => {
  const ini = IniFile.parse(MANUAL_DICOM_INI);
  assert.equal(ini.delete('sscscp', 'zipTIME'), true);
  assert.equal(ini.delete('sscscp', 'ZipTime'), false);
  const n = lineOf(MANUAL_DICOM_INI, 'ZipTime');
  const lines = MANUAL_DICOM_INI.split('\n');
  assert.equal(ini.toString(), [...lines.slice(0, n - 1), ...lines.slice(n)].join('\n'));
  assert.equal(ini.get('sscscp', 'ZipTime'), undefined);
});

test('CRLF files stay CRLF, new lines included', () => {
  const crlf = MANUAL_DICOM_INI.replace(/\n/g, '\r\n');
  const ini = IniFile.parse(crlf);
  assert.equal(ini.get('sscscp', 'MAGDevice0'), 'C:\\dicomserver\\data\\');
  assert.equal(ini.toString(), crlf);
  ini.set('sscscp', 'TCPPort', '104');
  ini.set('sscscp', 'WebPort', '8081');
  const out = ini.toString();
  assert.equal(out.replace(/\r\n/g, '').includes('\n'), false);
  assert.equal(IniFile.parse(out).get('sscscp', 'WebPort'), '8081');
  assert.deepEqual(splitLines('a\r\nb\nc'), [
    { text: 'a', eol: '\r\n' },
    { text: 'b', eol: '\n' },
    { text: 'c', eol: '' },
  ]);
});

test('ANSI (Latin-1) and UTF-8 files are read and written back byte for byte', () => {
  const latin1 = Buffer.from('# Conquest \xe9t\xe9\n[sscscp]\nPACSName = H\xf4pital\n', 'latin1');
  const a = decodeConfigBytes(latin1);
  assert.equal(a.format.encoding, 'latin1');
  const ini = IniFile.parse(a.text, 'dicom.ini', a.format);
  assert.equal(ini.get('sscscp', 'PACSName'), 'H\u00f4pital');
  assert.deepEqual(encodeConfigText(ini.toString(), ini.format), latin1);

  const utf8 = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from('[sscscp]\nPACSName = Zürich 医院\n', 'utf8'),
  ]);
  const b = decodeConfigBytes(utf8);
  assert.deepEqual(b.format, { encoding: 'utf8', bom: true });
  assert.equal(IniFile.parse(b.text).get('sscscp', 'PACSName'), 'Zürich 医院');
  assert.deepEqual(encodeConfigText(b.text, b.format), utf8);
  // A BOM left in decoded text is taken off and remembered.
  const withBom = IniFile.parse('\uFEFF# comment\n[sscscp]\nA = 1\n');
  assert.equal(withBom.format.bom, true);
  assert.equal(withBom.get('sscscp', 'A'), '1');
  assert.deepEqual(
    encodeConfigText(withBom.toString(), withBom.format),
    Buffer.from('\uFEFF# comment\n[sscscp]\nA = 1\n'),
  );
});

test('malformed lines are ConfigErrors naming the file and line', () => {
  const bad = (text: string, line: number, what: RegExp) =>
    assert.throws(
      () => IniFile.parse(text, '/etc/conquest/dicom.ini'),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.file === '/etc/conquest/dicom.ini' &&
        e.line === line &&
        what.test(e.message) &&
        e.message.startsWith(`/etc/conquest/dicom.ini, line ${line}: `),
    );
  bad('# ok\n[sscscp\nTCPPort = 1\n', 2, /section header without '\]'/);
  bad(
    '[sscscp]\nTCPPort = 1\nthis line has no equals sign\n',
    3,
    /expected 'key = value'.*found: this line has no/,
  );
  bad('[sscscp]\n= 5678\n', 2, /'=' without a key/);
  bad('[]\n', 1, /empty section name/);
  // The manual prints the [AnyPage] exceptions wrapped over three lines; as a file that is an error.
  const wrapped = MANUAL_NEWWEB_INI.replace('listimages,', 'listimage\ns,');
  bad(wrapped, lineOf(wrapped, 's,listtrials'), /found: s,listtrials/);
});

test('keys before any section are kept but reported', () => {
  const ini = IniFile.parse('TCPPort = 104\n[sscscp]\nTCPPort = 105\n');
  assert.equal(ini.get('', 'TCPPort'), '104');
  assert.equal(ini.get('sscscp', 'TCPPort'), '105');
  assert.match(ini.warnings[0]!, /line 1: 'TCPPort' is before any \[section\] header/);
  // Indented lines are read (as Windows does) and comments may start with ; too.
  const indented = IniFile.parse('[sscscp]\n   TCPPort = 106\n; comment\n\t# comment\n');
  assert.equal(indented.get('sscscp', 'TCPPort'), '106');
  assert.deepEqual(
    indented.allLines().map((l) => l.kind),
    ['section', 'entry', 'comment', 'comment'],
  );
});
