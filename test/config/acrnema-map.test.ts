import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcrNemaMap, defaultAcrNemaMapText } from '../../src/config/acrnema-map.js';
import { ConfigError } from '../../src/config/ini.js';

/** acrnema.map as the Conquest manual (7.4) prints it. */
const MANUAL_ACRNEMA_MAP = `/* *****
*
* DICOM AE (Application entity) -> IP address / Port map
* (This is file ACRNEMA.MAP)
*
* All DICOM systems that want to retrieve images from the
* Conquest DICOM server must be listed here with correct
* AE name, (IP address or hostname) and port number. The
* first entry is the Conquest server itself. The last ones
* with * show wildcard mechanism. Add new entries above.
*
* The syntax for each entry is :
*   AE   <IP address|Host name>   port number   compression
*
* For compression see manual. Values are un=uncompressed;
* ul=littleendianexplicit,ub=bigendianexplicit,ue=both
* j2=lossless jpeg;j3..j6=lossy jpeg;n1..n4=nki private
* js   =lossless jpegLS; j7=lossy jpegLS
* jk   =lossless jpeg2000;jl=lossy jpeg2000
* J3NN..j6NN, JLNN or J7NN overrides quality factor to NN%
*
***** */

CONQUESTSRV1      127.0.0.1      5678      un

V*                *                1234      un
W*                *                666       un
S*                *                5678      un
`;

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

test("the manual's acrnema.map: entries, and the header kept byte for byte", () => {
  const map = AcrNemaMap.parse(MANUAL_ACRNEMA_MAP);
  assert.equal(map.size, 4);
  assert.deepEqual(
    map.entries.map((e) => [e.ae, e.host, e.port, e.compression, e.line]),
    [
      ['CONQUESTSRV1', '127.0.0.1', '5678', 'un', 24],
      ['V*', '*', '1234', 'un', 26],
      ['W*', '*', '666', 'un', 27],
      ['S*', '*', '5678', 'un', 28],
    ],
  );
  assert.equal(map.toString(), MANUAL_ACRNEMA_MAP);
  assert.deepEqual(map.warnings, []);
  // What the Lua example in the manual expects of get_amap(0).
  const e = map.get(0)!;
  assert.equal(`${e.ae} ${e.host} ${e.port} ${e.compression}`, 'CONQUESTSRV1 127.0.0.1 5678 un');
});

test('wildcards: the part of the AE the * stands for becomes the host and/or the port', () => {
  const map = AcrNemaMap.parse(MANUAL_ACRNEMA_MAP);
  const r = (ae: string) => {
    const x = map.resolve(ae);
    return x && [x.ae, x.host, x.port, x.compression];
  };
  assert.deepEqual(r('CONQUESTSRV1'), ['CONQUESTSRV1', '127.0.0.1', 5678, 'un']);
  assert.deepEqual(r('CONQUESTSRV1   '), ['CONQUESTSRV1', '127.0.0.1', 5678, 'un']);
  // "any application with an AE of V followed by its IP number or host name ... through port 1234"
  assert.deepEqual(r('V192.168.1.20'), ['V192.168.1.20', '192.168.1.20', 1234, 'un']);
  assert.deepEqual(r('Vviewer7'), ['Vviewer7', 'viewer7', 1234, 'un']);
  assert.deepEqual(r('vlaptop'), ['vlaptop', 'laptop', 1234, 'un']); // prefixes match case-insensitively
  assert.deepEqual(r('W10.0.0.9'), ['W10.0.0.9', '10.0.0.9', 666, 'un']);
  assert.deepEqual(r('SERVER9'), ['SERVER9', 'ERVER9', 5678, 'un']);
  assert.equal(map.resolve('UNKNOWN'), undefined);
  assert.equal(map.resolve(''), undefined);
  // 'V' alone matches V* but leaves no host: no address (the first match decides, as in Conquest).
  assert.equal(map.resolve('V'), undefined);
  assert.equal(map.resolve('V10.0.0.1')!.entry.line, 26);
});

test('wildcard ports, first match wins, and case-sensitive before case-insensitive', () => {
  const map = AcrNemaMap.parse(
    [
      'NG*      101.11.11.*   56*   j2',
      'pacs     10.0.0.1      104',
      'PACS     10.0.0.2      104   n4',
      'STORE*   10.0.0.3      104',
      'STORESCU 10.0.0.4      11112',
      '*        *             104',
      '',
    ].join('\n'),
  );
  const r = (ae: string) => {
    const x = map.resolve(ae);
    return x && `${x.host}:${x.port} ${x.compression}`;
  };
  // From Conquest's source: s=NG12, t=NG*, IP=101.11.11.*, Port=56*
  assert.equal(r('NG12'), '101.11.11.12:5612 j2');
  assert.equal(r('NGx'), undefined); // port 56x is no port
  assert.equal(r('PACS'), '10.0.0.2:104 n4'); // exact case-sensitive match beats the earlier 'pacs'
  // A case-insensitive match only counts when nothing matched in the first pass: here the '*' catch-all did.
  assert.equal(r('Pacs'), 'Pacs:104 un');
  assert.equal(AcrNemaMap.parse('pacs 10.0.0.1 104\nPACS 10.0.0.2 104\n').resolve('Pacs')!.host, '10.0.0.1');
  assert.equal(r('STORESCU'), '10.0.0.3:104 un'); // the wildcard above it wins: "add normal entries above"
  assert.equal(r('myhost.example.org'), 'myhost.example.org:104 un'); // '*' alone matches anything
  assert.equal(map.get(1)!.compression, 'un'); // no compression column: 'un', as in Conquest
  assert.match(map.warnings.join('\n'), /'PACS' is also on line 2; only the first entry is used/);
});

test('comments anywhere, and the extra columns Lua scripts read', () => {
  const text = [
    '/* header',
    '   AE host port compression */',
    'A1  host1  104  un  2  anonymize   # threads and a flag for association.lua',
    '// A2 host2 104 un',
    '# A3 host3 104 un',
    'A4 /* inline */ host4 105 j2 ; trailing',
    '  A5\thost5\t106\tjk',
    '',
  ].join('\n');
  const map = AcrNemaMap.parse(text);
  assert.deepEqual(
    map.entries.map((e) => [e.ae, e.host, e.port, e.compression, [...e.extra]]),
    [
      ['A1', 'host1', '104', 'un', ['2', 'anonymize']],
      ['A4', 'host4', '105', 'j2', []],
      ['A5', 'host5', '106', 'jk', []],
    ],
  );
  assert.deepEqual(map.resolve('A1')!.extra, ['2', 'anonymize']);
  assert.equal(map.toString(), text);
});

test('put and delete rewrite only the entry line', () => {
  const map = AcrNemaMap.parse(MANUAL_ACRNEMA_MAP);
  map.put(0, { ae: 'CONQUESTSRV1', host: '127.0.0.1', port: 104, compression: 'j2' });
  const before = MANUAL_ACRNEMA_MAP.split('\n');
  const after = map.toString().split('\n');
  assert.equal(after.length, before.length);
  assert.deepEqual(
    after.flatMap((l, i) => (l === before[i] ? [] : [i + 1])),
    [24],
  );
  assert.equal(after[23], 'CONQUESTSRV1      127.0.0.1      104       j2');

  // A new entry goes after the last one; the manual's own layout.
  map.put(map.size, { ae: 'PACS', host: 'pacs.example.org', port: '11112', compression: 'un', extra: ['4'] });
  assert.equal(map.toString().split('\n')[28], 'PACS              pacs.example.org 11112     un 4');
  assert.deepEqual(
    [map.resolve('PACS')!.host, map.resolve('PACS')!.port, map.resolve('PACS')!.extra],
    ['pacs.example.org', 11112, ['4']],
  );

  // Rewriting keeps indentation and a trailing comment of the line.
  const commented = AcrNemaMap.parse('  OLD  h  104  un   # my old peer\n');
  commented.put(0, { ae: 'NEW', host: 'h2', port: 105 });
  assert.equal(commented.toString(), '  NEW               h2             105       un   # my old peer\n');

  assert.equal(map.delete(2), true); // W*
  assert.equal(map.delete(9), false);
  const lines = map.toString().split('\n');
  assert.equal(
    lines.some((l) => l.startsWith('W*')),
    false,
  );
  assert.equal(lines.length, before.length); // one added, one removed
  assert.equal(map.resolve('W10.0.0.1'), undefined);

  assert.throws(() => map.put(0, { ae: 'BAD AE', host: 'h', port: 104 }), ConfigError);
  assert.throws(() => map.put(0, { ae: 'X', host: 'h', port: 'http' }), ConfigError);
  assert.throws(() => map.put(-1, { ae: 'X', host: 'h', port: 104 }), RangeError);
});

test('malformed entries are ConfigErrors naming the file and line', () => {
  const bad = (text: string, line: number | undefined, what: RegExp) =>
    assert.throws(
      () => AcrNemaMap.parse(text, '/srv/pacs/acrnema.map'),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.file === '/srv/pacs/acrnema.map' &&
        e.line === line &&
        what.test(e.message),
    );
  bad(
    `${MANUAL_ACRNEMA_MAP}PACS 10.0.0.1\n`,
    lineOf(MANUAL_ACRNEMA_MAP, 'S*') + 1,
    /found only 2 columns: PACS 10.0.0.1/,
  );
  bad('A h port-104 un\n', 1, /port 'port-104' is neither a number nor a wildcard/);
  bad('A h 70000 un\n', 1, /outside 1\.\.65535/);
  bad('/* header never closed\nA h 104 un\n', undefined, /never closed/);
});

test('the default acrnema.map names this server first', () => {
  assert.equal(defaultAcrNemaMapText(), MANUAL_ACRNEMA_MAP);
  const map = AcrNemaMap.parse(defaultAcrNemaMapText('MYPACS', 11112));
  assert.deepEqual(map.resolve('MYPACS') && [map.resolve('MYPACS')!.host, map.resolve('MYPACS')!.port], [
    '127.0.0.1',
    11112,
  ]);
});

test('replaceWith re-reads another map into the same object (--read_amap in a running server)', () => {
  const held = AcrNemaMap.parse(defaultAcrNemaMapText());
  held.put(4, { ae: 'ADDED', host: 'h', port: 104 });
  const disk = AcrNemaMap.parse('ONE 10.0.0.1 104\r\nTWO 10.0.0.2 105 j2\r\n', 'acrnema.map');
  held.replaceWith(disk);
  assert.deepEqual(
    held.entries.map((e) => [e.ae, e.host, e.port, e.compression]),
    [
      ['ONE', '10.0.0.1', '104', 'un'],
      ['TWO', '10.0.0.2', '105', 'j2'],
    ],
  );
  assert.equal(held.resolve('ADDED'), undefined);
  assert.equal(held.toString(), disk.toString());
  held.put(0, { ae: 'ONE', host: 'x', port: 1 });
  assert.equal(disk.get(0)?.host, '10.0.0.1', 'the other map is not changed by later edits');
});
