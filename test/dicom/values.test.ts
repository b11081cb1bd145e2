import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpecificCharacterSet } from '../../src/dicom/charset.js';
import { Dataset } from '../../src/dicom/dataset.js';
import { DicomValueError } from '../../src/dicom/errors.js';
import { parseDicom } from '../../src/dicom/reader.js';
import {
  ExplicitVRBigEndian,
  ExplicitVRLittleEndian,
  ImplicitVRLittleEndian,
} from '../../src/dicom/transfer-syntax.js';
import {
  decodeStrings,
  encodeStrings,
  formatDS,
  PersonName,
  parseDA,
  parseDS,
  parseDT,
  parseIS,
  parseTM,
} from '../../src/dicom/values.js';
import { writeDataset } from '../../src/dicom/writer.js';

const ascii = SpecificCharacterSet.DEFAULT;

describe('values: padding per VR', () => {
  it('pads text with a space and UI with NUL to even length', () => {
    assert.deepEqual([...encodeStrings(['ABC'], 'CS', ascii)], [0x41, 0x42, 0x43, 0x20]);
    assert.deepEqual([...encodeStrings(['1.2.3'], 'UI', ascii)], [0x31, 0x2e, 0x32, 0x2e, 0x33, 0x00]);
    assert.equal(encodeStrings(['AB'], 'LO', ascii).length, 2);
  });

  it('strips padding and insignificant spaces on read, keeping significant leading spaces', () => {
    assert.deepEqual(decodeStrings(Buffer.from(' CT \\MR '), 'CS', ascii), ['CT', 'MR']);
    assert.deepEqual(decodeStrings(Buffer.from('1.2.3\0'), 'UI', ascii), ['1.2.3']);
    assert.deepEqual(decodeStrings(Buffer.from('  indented text  '), 'LT', ascii), ['  indented text']);
    assert.deepEqual(decodeStrings(Buffer.from('Doe^John '), 'PN', ascii), ['Doe^John']);
  });

  it('keeps backslashes inside single-valued text VRs', () => {
    assert.deepEqual(decodeStrings(Buffer.from('C:\\dir\\file'), 'LT', ascii), ['C:\\dir\\file']);
    assert.deepEqual(decodeStrings(Buffer.from('a\\b\\\\c '), 'LO', ascii), ['a', 'b', '', 'c']);
    assert.throws(() => encodeStrings(['a', 'b'], 'UT', ascii), DicomValueError);
  });
});

describe('values: numbers', () => {
  it('parses IS and DS strictly', () => {
    assert.equal(parseIS(' +12 '), 12);
    assert.ok(Number.isNaN(parseIS('1.5')));
    assert.equal(parseDS('-1.5e3'), -1500);
    assert.equal(parseDS('.5'), 0.5);
    assert.ok(Number.isNaN(parseDS('abc')));
  });

  it('formats DS within 16 characters', () => {
    assert.equal(formatDS(0.1), '0.1');
    assert.ok(formatDS(Math.PI).length <= 16);
    assert.ok(Math.abs(Number(formatDS(Math.PI)) - Math.PI) < 1e-12);
    assert.ok(formatDS(1.234567890123456e-20).length <= 16);
    assert.throws(() => formatDS(Number.NaN), DicomValueError);
  });

  for (const ts of [ExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian]) {
    it(`binary VRs round-trip through a write and read in ${ts.name}`, () => {
      const ds = new Dataset();
      ds.littleEndian = ts.littleEndian;
      ds.setNumbers('Rows', 512);
      ds.setNumbers('SmallestImagePixelValue', -3, 'SS');
      ds.setNumbers('ReferencedFrameNumber', [1, 2, 3], 'IS');
      ds.setNumbers('PixelSpacing', [0.5, 0.25]);
      ds.setNumbers(0x00189087, [1.5], 'FD');
      ds.setNumbers(0x00720076, [-1.25], 'FL');
      ds.setNumbers(0x00091010, [0xffffffff], 'UL');
      ds.setNumbers(0x00091012, [-2], 'SL');
      ds.setNumbers(0x00091014, [-(2n ** 40n)], 'SV');
      ds.setNumbers(0x00091016, [2n ** 63n], 'UV');
      ds.setAttributeTags(0x00209165, [0x00100010, 0x7fe00010]);
      const back = parseDicom(writeDataset(ds, ts), { transferSyntax: ts.uid }).dataset;
      assert.equal(back.number('Rows'), 512);
      assert.deepEqual(back.numbers('ReferencedFrameNumber'), [1, 2, 3]);
      assert.deepEqual(back.numbers('PixelSpacing'), [0.5, 0.25]);
      assert.deepEqual(back.numbers(0x00189087), [1.5]);
      assert.deepEqual(back.numbers(0x00720076), [-1.25]);
      if (ts.explicitVR) {
        assert.equal(back.number('SmallestImagePixelValue'), -3);
        assert.deepEqual(back.numbers(0x00091010), [0xffffffff]);
        assert.deepEqual(back.numbers(0x00091012), [-2]);
        assert.deepEqual(back.bigInts(0x00091014), [-(2n ** 40n)]);
        assert.deepEqual(back.bigInts(0x00091016), [2n ** 63n]);
      }
      assert.deepEqual(back.attributeTags(0x00209165), [0x00100010, 0x7fe00010]);
    });
  }

  it('refuses numbers that do not fit the VR', () => {
    const ds = new Dataset();
    assert.throws(() => ds.setNumbers('Rows', 70000), DicomValueError);
    assert.throws(() => ds.setNumbers('Rows', 1.5), DicomValueError);
    assert.throws(() => ds.setNumbers('InstanceNumber', 1.5), DicomValueError);
  });
});

describe('values: person names, dates and times', () => {
  it('splits PN into groups and components and joins them back', () => {
    const pn = PersonName.parse('Yamada^Tarou=山田^太郎=やまだ^たろう');
    assert.equal(pn.familyName, 'Yamada');
    assert.equal(pn.components('ideographic')[1], '太郎');
    assert.equal(pn.phonetic, 'やまだ^たろう');
    assert.equal(String(pn), 'Yamada^Tarou=山田^太郎=やまだ^たろう');
    assert.equal(String(new PersonName('Wang^XiaoDong', '王^小東', '')), 'Wang^XiaoDong=王^小東');
    assert.deepEqual(PersonName.parse('Doe').components(), ['Doe', '', '', '', '']);
  });

  it('parses DA, TM and DT including the ACR-NEMA forms', () => {
    assert.deepEqual(parseDA('20261203'), { year: 2026, month: 12, day: 3 });
    assert.deepEqual(parseDA('2026.12.03'), { year: 2026, month: 12, day: 3 });
    assert.equal(parseDA('20261303'), undefined);
    assert.deepEqual(parseTM('1402'), { hours: 14, minutes: 2, seconds: 0, micros: 0 });
    assert.deepEqual(parseTM('14:02:30.5'), { hours: 14, minutes: 2, seconds: 30, micros: 500000 });
    assert.equal(parseTM('2500'), undefined);
    const dt = parseDT('20261203140230.123456+0130')!;
    assert.equal(dt.micros, 123456);
    assert.equal(dt.utcOffsetMinutes, 90);
    assert.equal(parseDT('2026')!.month, 1);
  });
});

describe('values: text in the data set character set', () => {
  it('encodes setters in the data set own Specific Character Set and decodes them back', () => {
    const ds = new Dataset();
    ds.setStrings('SpecificCharacterSet', 'ISO_IR 100');
    ds.setStrings('PatientName', 'Müller^Jürgen');
    const raw = ds.bytes('PatientName')!;
    assert.equal(raw[1], 0xfc); // ü in Latin-1
    assert.equal(ds.string('PatientName'), 'Müller^Jürgen');
    const utf8 = new Dataset();
    utf8.setStrings('SpecificCharacterSet', 'ISO_IR 192');
    utf8.setStrings('PatientName', 'Ελληνικά^Δοκιμή');
    const back = parseDicom(writeDataset(utf8, ExplicitVRLittleEndian)).dataset;
    assert.equal(back.string('PatientName'), 'Ελληνικά^Δοκιμή');
  });

  it('items inherit the character set of the data set that holds them', () => {
    const ds = new Dataset();
    ds.setStrings('SpecificCharacterSet', 'ISO_IR 192');
    const it1 = ds.newItem();
    it1.setStrings('PatientName', 'Дмитрий^Иванов');
    ds.setSequence('OtherPatientIDsSequence', [it1]);
    const back = parseDicom(writeDataset(ds, ExplicitVRLittleEndian)).dataset;
    assert.equal(back.sequence('OtherPatientIDsSequence')[0]!.string('PatientName'), 'Дмитрий^Иванов');
  });
});
