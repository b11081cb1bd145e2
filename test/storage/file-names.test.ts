import assert from 'node:assert/strict';
import { resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { Dataset } from '../../src/dicom/dataset.js';
import {
  cleanPathComponent,
  conquestCleanup,
  type FileNameContext,
  FileNameLuaError,
  FileNameSyntaxError,
  fileFormatOfName,
  objectFile,
  objectFileFormat,
  objectFileName,
  parseFileNameSyntax,
  safePath,
} from '../../src/storage/file-names.js';

const ctx: FileNameContext = {
  time: 1700000000,
  counter: 0x1a2b,
  calledAE: 'CONQUESTSRV1 ',
  callingAE: 'MODALITY',
};
const TC = '17000000001a2b'; // Time then Counter (%u then %04x)

function header(): Dataset {
  const ds = new Dataset();
  ds.setStrings('StudyDate', '20240131');
  ds.setStrings('SOPInstanceUID', '1.2.3.4.5.6');
  ds.setStrings('Modality', 'CT');
  ds.setStrings('StudyDescription', 'Chest CT');
  ds.setStrings('PatientName', 'DOE^JOHN');
  ds.setStrings('PatientID', '12345');
  ds.setStrings('StudyInstanceUID', '1.2.3.4');
  ds.setStrings('SeriesInstanceUID', '1.2.3.4.5');
  ds.setStrings('StudyID', 'S1');
  ds.setStrings('SeriesNumber', '3');
  ds.setStrings('InstanceNumber', '17');
  ds.setStrings('ImageID', 'IMG 7');
  return ds;
}

/** Long values, to see the truncations of ID[8], Name[8], ID[16], ID[32]. */
function longHeader(): Dataset {
  const ds = header();
  ds.setStrings('PatientName', 'VANDERBERG^JOHANNES');
  ds.setStrings('PatientID', 'PAT.12345678901234567890123456789');
  return ds;
}

const name = (syntax: string, ds = header(), c = ctx) => objectFileName(syntax, ds, c);

describe('file names: the numbered syntaxes 0–12', () => {
  const expected: [string, string][] = [
    ['0', 'DOE^JOHN_12345/3_17_1700000000.v2'],
    ['1', `DOE^JOHN_12345/0003_000017_${TC}.v2`],
    ['2', `DOE^JOHN_12345/1.2.3.4.5_0003_000017_${TC}.v2`],
    ['3', `12345/1.2.3.4.5_0003_000017_${TC}.v2`],
    ['4', `12345/1.2.3.4.5_0003_000017_${TC}.dcm`],
    ['5', `DOE^JOHN/1.2.3.4.5_0003_000017_${TC}.v2`],
    ['6', '12345/1.2.3.4/1.2.3.4.5/1.2.3.4.5.6.v2'],
    ['7', '1.2.3.4/1.2.3.4.5/1.2.3.4.5.6.v2'],
    ['8', '12345/1.2.3.4/1.2.3.4.5/1.2.3.4.5.6.dcm'],
    ['9', '1.2.3.4/1.2.3.4.5/1.2.3.4.5.6.dcm'],
    ['10', 'Images/1.2.3.4.5.6.dcm'],
    ['11', 'DOE^JOHN/1.2.3.4/1.2.3.4.5/1.2.3.4.5.6.dcm'],
    ['12', 'DOE^JOHN_12345/CT_S1/3/1.2.3.4.5.6.dcm'],
  ];
  for (const [syntax, want] of expected) {
    it(`syntax ${syntax}: ${want}`, () => {
      assert.equal(name(syntax), want);
      assert.equal(objectFile(syntax, header(), ctx).format, want.endsWith('.v2') ? 'v2' : 'dcm');
    });
  }

  it('truncates the cleaned ID and name to 8, 16 and 32 characters as the syntax says', () => {
    const ds = longHeader(); // PatientID cleaned: PAT_12345678901234567890123456789 ('.' becomes '_')
    assert.equal(name('1', ds), `VANDERBE_PAT_1234/0003_000017_${TC}.v2`);
    assert.equal(name('2', ds), `VANDERBE_PAT_1234/1.2.3.4.5_0003_000017_${TC}.v2`);
    assert.equal(name('4', ds), `PAT_123456789012/1.2.3.4.5_0003_000017_${TC}.dcm`);
    assert.equal(name('5', ds), `VANDERBERG^JOHANNES/1.2.3.4.5_0003_000017_${TC}.v2`);
    assert.equal(name('8', ds), 'PAT_1234567890123456789012345678/1.2.3.4/1.2.3.4.5/1.2.3.4.5.6.dcm');
    assert.equal(
      name('12', ds),
      'VANDERBERG^JOHANNES_PAT_12345678901234567890123456789/CT_S1/3/1.2.3.4.5.6.dcm',
    );
  });

  it('reads the number as atoi does; unknown numbers are syntax 0', () => {
    assert.equal(name(' 4 '), name('4'));
    assert.equal(name('4abc'), name('4'));
    assert.equal(name('13'), name('0'));
    assert.equal(name('-1'), name('0'));
    assert.equal(name('x'), name('0'));
    assert.equal(name(''), name('0'));
    assert.throws(() => name('999'), FileNameSyntaxError);
    assert.throws(() => name('998'), FileNameSyntaxError);
  });

  it('writes "empty" for absent values and "unknown" for empty ones, 0 for absent numbers', () => {
    const empty = new Dataset();
    assert.equal(name('4', empty), `empty/empty_0000_000000_${TC}.dcm`);
    assert.equal(name('12', empty), 'empty_empty/empty_empty/empty/empty.dcm');
    assert.equal(name('0', empty), 'empty_empty/0_0_1700000000.v2');
    const blank = header();
    blank.setStrings('PatientID', '');
    blank.setStrings('PatientName', '');
    assert.equal(name('1', blank), `unknown_unknown/0003_000017_${TC}.v2`);
  });

  it('formats numbers as C does: zero padded with the sign inside the width, atoi of the raw text', () => {
    const ds = header();
    ds.setBytes('SeriesNumber', 'IS', Buffer.from(' -5 '));
    ds.setBytes('InstanceNumber', 'IS', Buffer.from('12abc'));
    assert.equal(name('4', ds), `12345/1.2.3.4.5_-005_000012_${TC}.dcm`);
    assert.equal(name('0', ds), 'DOE^JOHN_12345/-5_12_1700000000.v2');
    // Syntax 12 uses the cleaned series number text itself: ' -5 ' -> '_-5_' -> '_-5'.
    assert.equal(name('12', ds), 'DOE^JOHN_12345/CT_S1/_-5/1.2.3.4.5.6.dcm');
  });

  it('writes the counter as 4 hex digits of its low 16 bits', () => {
    assert.equal(name('4', header(), { time: 5, counter: 0x12345 }), '12345/1.2.3.4.5_0003_000017_52345.dcm');
    assert.equal(name('4', header(), { time: 5, counter: 7 }), '12345/1.2.3.4.5_0003_000017_50007.dcm');
  });

  it('names a .v2 syntax .dcm when the transfer syntax cannot be written as v2', () => {
    const jpeg = { ...ctx, transferSyntaxUid: '1.2.840.10008.1.2.4.50' };
    assert.deepEqual(objectFile('3', header(), jpeg), {
      name: `12345/1.2.3.4.5_0003_000017_${TC}.dcm`,
      format: 'dcm',
    });
    assert.equal(objectFile('6', header(), jpeg).name, '12345/1.2.3.4/1.2.3.4.5/1.2.3.4.5.6.dcm');
    for (const ts of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2'])
      assert.equal(objectFile('3', header(), { ...ctx, transferSyntaxUid: ts }).format, 'v2');
    const ds = header();
    ds.setStrings('TransferSyntaxUID', '1.2.840.10008.1.2.5'); // RLE, read from (0002,0010)
    assert.equal(objectFile('7', ds, ctx).format, 'dcm');
  });
});

describe('file names: formats', () => {
  it('objectFileFormat per syntax', () => {
    for (const s of ['0', '1', '2', '3', '5', '6', '7', '13']) assert.equal(objectFileFormat(s), 'v2', s);
    for (const s of ['4', '8', '9', '10', '11', '12']) assert.equal(objectFileFormat(s), 'dcm', s);
    assert.equal(objectFileFormat('3', '1.2.840.10008.1.2.4.90'), 'dcm');
    assert.equal(objectFileFormat('3', '1.2.840.10008.1.2.1'), 'v2');
    assert.equal(objectFileFormat('%id/%sopuid.v2'), 'v2');
    assert.equal(objectFileFormat('%id/%sopuid.V2'), 'v2');
    assert.equal(objectFileFormat('%id/%sopuid.dcm'), 'dcm');
    assert.equal(objectFileFormat('%id/%sopuid'), 'dcm');
    assert.equal(objectFileFormat('lua:Data.SOPInstanceUID'), 'dcm');
  });

  it('fileFormatOfName: .v2 in any case is v2, anything else Part 10', () => {
    assert.equal(fileFormatOfName('a/b.v2'), 'v2');
    assert.equal(fileFormatOfName('a/b.V2'), 'v2');
    assert.equal(fileFormatOfName('a/b.dcm'), 'dcm');
    assert.equal(fileFormatOfName('a/b'), 'dcm');
  });

  it('parses the syntax kinds', () => {
    assert.deepEqual(parseFileNameSyntax('4'), { kind: 'numbered', syntax: 4 });
    assert.deepEqual(parseFileNameSyntax('%id\\%sopuid.dcm'), {
      kind: 'flexible',
      template: '%id\\%sopuid.dcm',
    });
    assert.deepEqual(parseFileNameSyntax("lua:Data.SOPInstanceUID..'.dcm'"), {
      kind: 'lua',
      expression: "Data.SOPInstanceUID..'.dcm'",
    });
    assert.equal(parseFileNameSyntax('lua:x % y').kind, 'lua');
    assert.throws(() => parseFileNameSyntax('%id/'), FileNameSyntaxError);
  });
});

describe('file names: the flexible % syntax', () => {
  const tokens: [string, string][] = [
    ['%name', 'DOE^JOHN'],
    ['%id', '12345'],
    ['%modality', 'CT'],
    ['%studyid', 'S1'],
    ['%studyuid', '1.2.3.4'],
    ['%seriesid', '3'],
    ['%series', '0003'],
    ['%seriesuid', '1.2.3.4.5'],
    ['%sopuid', '1.2.3.4.5.6'],
    ['%imagenum', '17'],
    ['%image', '000017'],
    ['%imageid', 'IMG_7'],
    ['%studydesc', 'Chest_CT'],
    ['%studydate', '20240131'],
    ['%time', '1700000000'],
    ['%counter', '1a2b'],
    ['%calledae', 'CONQUESTSRV1'],
    ['%callingae', 'MODALITY'],
  ];
  for (const [token, value] of tokens) {
    it(`${token} is ${value}`, () => assert.equal(name(`x/${token}.dcm`), `x/${value}.dcm`));
  }

  it('%date is the local date of the time in yyyymmdd', () => {
    const d = new Date(ctx.time * 1000);
    const want = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
    assert.equal(name('x/%date.dcm'), `x/${want}.dcm`);
  });

  it('the manual example and the syntax 12 equivalent', () => {
    assert.equal(name('%id\\%studyid\\%seriesid\\%sopuid.dcm'), '12345/S1/3/1.2.3.4.5.6.dcm');
    assert.equal(name('%name_%id/%modality_%studyid/%seriesid/%sopuid.dcm'), name('12'));
    assert.equal(name('%id/%seriesuid_%series_%image_%time%counter.dcm'), name('4'));
  });

  it('matches tokens as Conquest does: prefixes in its order, unknown tokens lose their %', () => {
    assert.equal(name('%idx/%imagenumber.dcm'), '12345x/17ber.dcm');
    assert.equal(name('%seriesuid%series.dcm'), '1.2.3.4.50003.dcm');
    assert.equal(name('x/%foo%ID.dcm'), 'x/fooID.dcm');
    assert.equal(name('x/%%id.dcm'), 'x/12345.dcm');
  });

  it('each %counter takes the next counter value', () => {
    assert.equal(name('x/%counter_%counter.dcm'), 'x/1a2b_1a2c.dcm');
  });

  it('[a,b] keeps characters a..b of the token value', () => {
    assert.equal(name('%studydate[0,3]/%studydate[4,5]/%sopuid.dcm'), '2024/01/1.2.3.4.5.6.dcm');
    assert.equal(name('x/%name[0,2].dcm'), 'x/DOE.dcm');
    assert.equal(name('x/%id[1,100].dcm'), 'x/2345.dcm');
    assert.equal(name('x/%id[3].dcm'), 'x/12345.dcm'); // b defaults to -1 < a: unchanged
    assert.equal(name('x/%id[,2].dcm'), 'x/12345.dcm'); // not supported in file names: unchanged
    assert.equal(name('x/%id[4,1].dcm'), 'x/12345.dcm');
    assert.equal(name('x/a%id[10,20]b.dcm'), 'x/ab.dcm'); // past the end: empty
    assert.equal(name('x/%id[ 1, 2].dcm'), 'x/23.dcm'); // sscanf skips white space before numbers
    assert.equal(name('x/%sopuid[-3,1].dcm'), 'x/1..dcm'); // negative start taken as 0
    assert.equal(name('x/%time[0,1]%counter[2,3].dcm'), 'x/172b.dcm');
    assert.equal(name('x/%id[0,1'), 'x/12'); // no ']': the rest of the template is taken
  });

  it('%V reads any element: by tag, by keyword, in sequences, numbers, cleaned', () => {
    const ds = header();
    ds.setNumbers('Rows', 512);
    ds.setNumbers('PixelSpacing', [0.5, 0.25]);
    const item = ds.newItem();
    item.setStrings('ReferencedSOPInstanceUID', '9.8.7');
    const item2 = ds.newItem();
    item2.setStrings('ReferencedSOPInstanceUID', '6.5.4');
    ds.setSequence('ReferencedImageSequence', [item, item2]);
    assert.equal(name('x/%V0010,0020.dcm', ds), 'x/12345.dcm');
    assert.equal(name('x/%v0010,0010.dcm', ds), 'x/DOE^JOHN.dcm');
    assert.equal(name('x/%VPatientName.dcm', ds), 'x/DOE^JOHN.dcm');
    assert.equal(name('x/%V0020,000d.dcm', ds), 'x/1_2_3_4.dcm'); // %V values are cleaned: '.' -> '_'
    assert.equal(name('x/%V0028,0010.dcm', ds), 'x/512.dcm');
    assert.equal(name('x/%V0028,0030.dcm', ds), 'x/0_5_0_25.dcm');
    assert.equal(name('x/%V*0008,1155.dcm', ds), 'x/9_8_7.dcm');
    // As in Conquest, a '.' after a /gggg,eeee is read as an item number: the extension loses its dot.
    assert.equal(name('x/%V/0008,1140.1/0008,1155.dcm', ds), 'x/6_5_4dcm');
    assert.equal(name('x/%V/0008,1140.1/0008,1155_.dcm', ds), 'x/6_5_4_.dcm');
    assert.equal(name('x/%V/0008,1140/0008,1155[0,0].dcm', ds), 'x/9.dcm');
    assert.equal(name('x/%V0008,1140.dcm', ds), 'x/(sequence).dcm');
    assert.equal(name('x/%V0010,1010.dcm', ds), 'x/unknown.dcm'); // absent
    assert.equal(name('x/%VNoSuchName.dcm', ds), 'x/unknownNoSuchName.dcm');
    assert.equal(name('x/%V/0008,1140.5/0008,1155.dcm', ds), 'x/unknown/0008,1155.dcm'); // item 5: rest unread
  });

  it('%V(desc)desc reads from another object through lookupObject', () => {
    const ds = header();
    const item = ds.newItem();
    item.setStrings('ReferencedSOPInstanceUID', '9.8.7');
    ds.setSequence('ReferencedImageSequence', [item]);
    const other = new Dataset();
    other.setStrings('Modality', 'RTSTRUCT');
    const seen: string[] = [];
    const lookupObject = (patient: string, sop: string) => {
      seen.push(`${patient}:${sop}`);
      return sop === '9.8.7' ? other : undefined;
    };
    const n = objectFileName('x/%V(/0008,1140/0008,1155)0008,0060.dcm', ds, ctx, { lookupObject });
    assert.equal(n, 'x/RTSTRUCT.dcm');
    assert.deepEqual(seen, ['12345:9.8.7']);
    assert.equal(objectFileName('x/%V(/0008,1140/0008,1155)0008,0060.dcm', ds, ctx), 'x/unknown.dcm');
  });

  it('accepts both / and \\ as folder separators and drops empty folders', () => {
    assert.equal(name('%id\\%sopuid.dcm'), '12345/1.2.3.4.5.6.dcm');
    assert.equal(name('/%id//%sopuid.dcm'), '12345/1.2.3.4.5.6.dcm');
  });
});

describe('file names: lua:', () => {
  it('is handed to the hook, or refused with a typed error', () => {
    const syntax = "lua:Data.PatientID..'/'..Data.SOPInstanceUID..'.dcm'";
    assert.throws(
      () => name(syntax),
      (e: unknown) =>
        e instanceof FileNameLuaError && e.expression === "Data.PatientID..'/'..Data.SOPInstanceUID..'.dcm'",
    );
    const got = objectFile(syntax, header(), ctx, {
      luaFileName: (expr, h) => {
        assert.equal(expr, "Data.PatientID..'/'..Data.SOPInstanceUID..'.dcm'");
        return `${h.string('PatientID')}\\${h.string('SOPInstanceUID')}.dcm`;
      },
    });
    assert.deepEqual(got, { name: '12345/1.2.3.4.5.6.dcm', format: 'dcm' });
  });

  it('a hostile script result stays inside the device', () => {
    const got = objectFileName('lua:x', header(), ctx, { luaFileName: () => '../../etc/passwd' });
    assert.equal(got, '___/___/etc/passwd');
  });
});

describe('file names: MaxFileNameLength', () => {
  it('keeps the root folder and the last N characters of the rest', () => {
    const opts = { maxFileNameLength: 20 };
    // rest 1.2.3.4.5_0003_000017_17000000001a2b.dcm (40 characters) -> its last 20
    assert.equal(objectFileName('4', header(), ctx, opts), '12345/7_17000000001a2b.dcm');
    assert.equal(objectFileName('5', header(), ctx, opts), 'DOE^JOHN/17_17000000001a2b.v2');
    assert.equal(objectFileName('4', header(), ctx, { maxFileNameLength: 40 }), name('4'));
    assert.equal(objectFileName('4', header(), ctx, { maxFileNameLength: 0 }), name('4'));
  });

  it('the % syntax keeps its first folder', () => {
    assert.equal(
      objectFileName('%id/%seriesuid_%sopuid.dcm', header(), ctx, { maxFileNameLength: 10 }),
      '12345/_.4.5.6.dcm', // the cut leaves a leading dot: prefixed
    );
  });

  it('syntax 10 keeps its Images folder', () => {
    assert.equal(objectFileName('10', header(), ctx, { maxFileNameLength: 8 }), 'Images/_.5.6.dcm');
  });

  it('syntaxes with folders after the root can lose them, as in Conquest', () => {
    // 12345/ + the last 16 of 1.2.3.4/1.2.3.4.5/1.2.3.4.5.6.dcm, which is /1.2.3.4.5.6.dcm
    assert.equal(objectFileName('8', header(), ctx, { maxFileNameLength: 16 }), '12345/1.2.3.4.5.6.dcm');
  });
});

describe('file names: cleaning', () => {
  it('conquestCleanup replaces, terminates and trims as Conquest', () => {
    assert.equal(conquestCleanup('a.b c/d\\e;f>g<h|i,j:k?l*m"n'), 'a_b_c_d_e_f_g_h_i_j_k_l_m_n');
    assert.equal(conquestCleanup('abc\r\ndef'), 'abc');
    assert.equal(conquestCleanup('ab\tcd'), 'ab');
    assert.equal(conquestCleanup('ab\0cd'), 'ab');
    assert.equal(conquestCleanup('x..'), 'x');
    assert.equal(conquestCleanup('_x_'), '_x');
    assert.equal(conquestCleanup('..'), 'unknown');
    assert.equal(conquestCleanup(''), 'unknown');
    assert.equal(conquestCleanup('Müller^Zoë'), 'Müller^Zoë');
    assert.equal(conquestCleanup('x'.repeat(70)), 'x'.repeat(65));
  });

  it('multi-valued names and IDs keep all values, separated by _', () => {
    const ds = header();
    ds.setStrings('PatientID', ['A', 'B']);
    assert.equal(name('4', ds), `A_B/1.2.3.4.5_0003_000017_${TC}.dcm`);
  });

  it('safePath makes each component safe', () => {
    assert.equal(safePath('../x'), '___/x');
    assert.equal(safePath('a/./b'), 'a/__/b');
    assert.equal(safePath('CON/aux.dcm'), '_CON/_aux.dcm');
    assert.equal(safePath('com1 .x/LPT9'), '_com1 .x/_LPT9');
    assert.equal(safePath('a./b '), 'a_/b_');
    assert.equal(safePath('.hidden/x'), '_.hidden/x');
    assert.equal(safePath('a\x01b/c:d*e'), 'a_b/c_d_e');
    assert.equal(safePath('a/'), 'a/unknown');
    const long = `${'é'.repeat(200)}.dcm`;
    const cut = safePath(`d/${long}`).split('/')[1]!;
    assert.ok(Buffer.byteLength(cut) <= 255 && cut.endsWith('é.dcm'));
    const dir = safePath(`${'😀'.repeat(100)}/x`).split('/')[0]!;
    assert.ok(Buffer.byteLength(dir) <= 255 && dir.startsWith('😀'));
  });

  it('cleanPathComponent keeps its old contract', () => {
    assert.equal(cleanPathComponent('../x', 16), '_.._x');
    assert.equal(cleanPathComponent(undefined, 16), 'unknown');
    assert.equal(cleanPathComponent('', 16, 'none'), 'none');
    assert.equal(cleanPathComponent('CON', 16), '_CON');
    assert.equal(cleanPathComponent('abcdefgh', 4), 'abcd');
  });
});

describe('file names: hostile values never leave the device folder', () => {
  const device = resolve('/srv/dicom/data');
  const hostile = [
    '../x',
    '../../../../etc/passwd',
    'a/b',
    'a\\b',
    '..\\..\\x',
    '..',
    '.',
    '...',
    'CON',
    'con.dcm',
    'NUL',
    'COM1',
    'LPT1.txt',
    'AUX ',
    ' ',
    '',
    'abc...',
    'x'.repeat(300),
    'Ünïcødé😀'.repeat(40),
    '\u202e\u200b..',
    'a:b*c?d"e<f>g|h',
  ];
  const syntaxes = [
    ...Array.from({ length: 13 }, (_, i) => String(i)),
    '%id/%name/%sopuid.dcm',
    '%studyuid\\%seriesuid\\%sopuid.v2',
    '%calledae/%callingae/%studydate/%V0010,0020/%VPatientName/%sopuid',
    '%name[0,2]/%id[1,300]/%studydesc.%modality',
  ];

  function check(ds: Dataset, c: FileNameContext, label: string): void {
    for (const syntax of syntaxes) {
      for (const maxFileNameLength of [255, 12]) {
        const n = objectFileName(syntax, ds, c, { maxFileNameLength });
        const full = resolve(device, n);
        assert.ok(full.startsWith(device + sep), `${label} / ${syntax}: ${n}`);
        for (const part of n.split('/')) {
          assert.ok(part.length > 0, `${label} / ${syntax}: empty component in ${n}`);
          assert.ok(!/^\.+$/.test(part) && !part.startsWith('.'), `${label} / ${syntax}: ${n}`);
          assert.ok(!/[. ]$/.test(part), `${label} / ${syntax}: trailing dot or space in ${n}`);
          assert.ok(!/[\x00-\x1f\x7f\\<>:"|?*]/.test(part), `${label} / ${syntax}: bad character in ${n}`);
          assert.ok(Buffer.byteLength(part) <= 255, `${label} / ${syntax}: component over 255 bytes`);
          assert.ok(
            !/^(con|prn|aux|nul|com\d|lpt\d)$/i.test(part.split('.')[0]!.trimEnd()),
            `${label}: ${n}`,
          );
        }
      }
    }
  }

  for (const value of hostile) {
    it(`patient ID and name ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`, () => {
      const ds = header();
      ds.setStrings('SpecificCharacterSet', 'ISO_IR 192');
      ds.setStrings('PatientID', value);
      ds.setStrings('PatientName', value);
      ds.setStrings('StudyDescription', value);
      ds.setStrings('Modality', value.slice(0, 16));
      check(ds, { ...ctx, calledAE: value.slice(0, 16), callingAE: value.slice(0, 16) }, value);
    });
    it(`UIDs and study date ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`, () => {
      const ds = header();
      ds.setBytes('StudyInstanceUID', 'UI', Buffer.from(value, 'latin1'));
      ds.setBytes('SeriesInstanceUID', 'UI', Buffer.from(value, 'latin1'));
      ds.setBytes('SOPInstanceUID', 'UI', Buffer.from(value, 'latin1'));
      ds.setBytes('StudyDate', 'DA', Buffer.from(value, 'latin1'));
      check(ds, ctx, value);
    });
  }

  it('raw bytes with NUL and control characters', () => {
    const ds = header();
    ds.setBytes('PatientID', 'LO', Buffer.from('ab\0/../../x'));
    ds.setBytes('PatientName', 'PN', Buffer.from('\x01\x02..'));
    ds.setBytes('SOPInstanceUID', 'UI', Buffer.from('1.2\x01/../..\0'));
    check(ds, ctx, 'raw');
    assert.equal(name('4', ds), `ab/1.2.3.4.5_0003_000017_${TC}.dcm`);
    assert.equal(name('1', ds), `unknown_ab/0003_000017_${TC}.v2`);
    assert.equal(name('10', ds), 'Images/1.2__.._...dcm');
  });

  it('an example: ../x and a/b as patient ID', () => {
    const ds = header();
    ds.setStrings('PatientID', '../x');
    assert.equal(name('4', ds), `___x/1.2.3.4.5_0003_000017_${TC}.dcm`);
    ds.setStrings('PatientID', 'a/b');
    assert.equal(name('8', ds), 'a_b/1.2.3.4/1.2.3.4.5/1.2.3.4.5.6.dcm');
    ds.setStrings('PatientID', 'CON');
    assert.equal(name('4', ds), `_CON/1.2.3.4.5_0003_000017_${TC}.dcm`);
    ds.setStrings('SOPInstanceUID', '..');
    assert.equal(name('7', ds), '1.2.3.4/1.2.3.4.5/_...v2');
    assert.equal(objectFile('7', ds, ctx).format, 'v2');
  });
});
