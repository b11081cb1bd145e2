import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  allEntries,
  conquestSopNames,
  dictionarySource,
  keywordOf,
  lookupKeyword,
  lookupTag,
  lookupUid,
  storageSopClasses,
  tagForKeyword,
  uidsOfType,
} from '../../src/dicom/dictionary/index.js';
import { makeTag } from '../../src/dicom/tag.js';
import { repoRoot } from '../support/corpus.js';

test('provenance', () => {
  const source = dictionarySource();
  assert.match(source.pydicomVersion, /^\d+\.\d+/);
  assert.ok(source.counts.elements > 4000);
  assert.ok(source.counts.privateElements > 1000);
});

test('standard elements', () => {
  const pn = lookupTag(makeTag(0x0010, 0x0010));
  assert.ok(pn);
  assert.equal(pn.keyword, 'PatientName');
  assert.equal(pn.name, "Patient's Name");
  assert.equal(pn.vr, 'PN');
  assert.deepEqual(pn.vrs, ['PN']);
  assert.equal(pn.vm, '1');
  assert.equal(pn.retired, false);
  assert.equal(pn.privateCreator, undefined);

  const smallest = lookupTag(makeTag(0x0028, 0x0106));
  assert.equal(smallest?.keyword, 'SmallestImagePixelValue');
  assert.equal(smallest?.vr, 'US or SS');
  assert.deepEqual(smallest?.vrs, ['US', 'SS']);

  const pixelData = lookupTag(makeTag(0x7fe0, 0x0010));
  assert.equal(pixelData?.keyword, 'PixelData');
  assert.equal(pixelData?.vr, 'OB or OW');
  assert.deepEqual(pixelData?.vrs, ['OB', 'OW']);

  const gray = lookupTag(makeTag(0x0028, 0x1200));
  assert.equal(gray?.vr, 'US or SS or OW');
  assert.deepEqual(gray?.vrs, ['US', 'SS', 'OW']);

  assert.equal(lookupTag(makeTag(0x0008, 0x1060))?.vm, '1-n');
  assert.equal(lookupTag(makeTag(0x0018, 0x1149))?.vm, '1-2');
  assert.equal(lookupTag(makeTag(0x0020, 0x0032))?.vm, '3');
});

test('items and delimiters have no VR: vrs is UN', () => {
  const item = lookupTag(0xfffee000);
  assert.equal(item?.keyword, 'Item');
  assert.equal(item?.vr, 'NONE');
  assert.deepEqual(item?.vrs, ['UN']);
});

test('retired flag', () => {
  const imagePosition = lookupTag(makeTag(0x0020, 0x0030));
  assert.equal(imagePosition?.keyword, 'ImagePosition');
  assert.equal(imagePosition?.retired, true);
  assert.equal(lookupTag(makeTag(0x0020, 0x0032))?.retired, false);
});

test('command group elements (PS3.7 E.1)', () => {
  const expected: [number, string, string][] = [
    [0x0000, 'CommandGroupLength', 'UL'],
    [0x0002, 'AffectedSOPClassUID', 'UI'],
    [0x0100, 'CommandField', 'US'],
    [0x0110, 'MessageID', 'US'],
    [0x0120, 'MessageIDBeingRespondedTo', 'US'],
    [0x0600, 'MoveDestination', 'AE'],
    [0x0700, 'Priority', 'US'],
    [0x0800, 'CommandDataSetType', 'US'],
    [0x0900, 'Status', 'US'],
    [0x0901, 'OffendingElement', 'AT'],
    [0x0902, 'ErrorComment', 'LO'],
    [0x0903, 'ErrorID', 'US'],
    [0x1000, 'AffectedSOPInstanceUID', 'UI'],
    [0x1001, 'RequestedSOPInstanceUID', 'UI'],
    [0x1002, 'EventTypeID', 'US'],
    [0x1005, 'AttributeIdentifierList', 'AT'],
    [0x1008, 'ActionTypeID', 'US'],
    [0x1020, 'NumberOfRemainingSuboperations', 'US'],
    [0x1021, 'NumberOfCompletedSuboperations', 'US'],
    [0x1022, 'NumberOfFailedSuboperations', 'US'],
    [0x1023, 'NumberOfWarningSuboperations', 'US'],
    [0x1030, 'MoveOriginatorApplicationEntityTitle', 'AE'],
    [0x1031, 'MoveOriginatorMessageID', 'US'],
  ];
  for (const [element, keyword, vr] of expected) {
    const entry = lookupTag(makeTag(0x0000, element));
    assert.equal(entry?.keyword, keyword, `(0000,${element.toString(16)})`);
    assert.equal(entry?.vr, vr, keyword);
    assert.equal(entry?.retired, false, keyword);
  }
});

test('repeating groups', () => {
  const overlay = lookupTag(makeTag(0x6002, 0x3000));
  assert.equal(overlay?.keyword, 'OverlayData');
  assert.equal(overlay?.tag, makeTag(0x6002, 0x3000));
  assert.equal(overlay?.vr, 'OB or OW');
  assert.equal(lookupTag(makeTag(0x601e, 0x0010))?.keyword, 'OverlayRows');

  const curve = lookupTag(makeTag(0x5010, 0x0005));
  assert.equal(curve?.keyword, 'CurveDimensions');
  assert.equal(curve?.tag, makeTag(0x5010, 0x0005));
  assert.equal(curve?.retired, true);

  assert.equal(lookupTag(makeTag(0x7f02, 0x0010))?.keyword, 'VariablePixelData');
  assert.equal(lookupTag(makeTag(0x7fe0, 0x0010))?.keyword, 'PixelData', 'an exact entry wins');
  assert.equal(lookupTag(makeTag(0x1000, 0x1230))?.keyword, 'EscapeTriplet', "'1000xxx0'");
  assert.equal(lookupTag(makeTag(0x1000, 0x0125))?.keyword, 'ShiftTableTriplet', "'1000xxx5'");
  assert.equal(lookupTag(makeTag(0x1010, 0x1234))?.keyword, 'ZonalMap', "'1010xxxx'");
  assert.equal(lookupTag(makeTag(0x0028, 0x0410))?.keyword, 'RowsForNthOrderCoefficients', "'002804x0'");
  assert.equal(lookupTag(makeTag(0x0020, 0x31ab))?.keyword, 'SourceImageIDs', "'002031xx'");
  // An odd group is private, never a repeating group.
  assert.equal(lookupTag(makeTag(0x6001, 0x3000)), undefined);
  assert.equal(lookupTag(makeTag(0x6001, 0x0010))?.keyword, 'PrivateCreator');
});

test('group lengths', () => {
  assert.equal(lookupTag(0x00000000)?.keyword, 'CommandGroupLength');
  assert.equal(lookupTag(0x00020000)?.keyword, 'FileMetaInformationGroupLength');
  for (const group of [0x0008, 0x0010, 0x0009, 0x6000, 0x1010, 0x7fe0]) {
    const entry = lookupTag(makeTag(group, 0));
    assert.equal(entry?.keyword, 'GenericGroupLength', group.toString(16));
    assert.equal(entry?.vr, 'UL');
    assert.deepEqual(entry?.vrs, ['UL']);
    assert.equal(entry?.tag, makeTag(group, 0));
  }
});

test('private creators and the private dictionary', () => {
  const creator = lookupTag(makeTag(0x0009, 0x0010));
  assert.equal(creator?.keyword, 'PrivateCreator');
  assert.equal(creator?.vr, 'LO');
  assert.deepEqual(creator?.vrs, ['LO']);
  assert.equal(lookupTag(makeTag(0x0029, 0x00ff))?.keyword, 'PrivateCreator');

  // SIEMENS CSA HEADER '0029xx10': block 0x10 and any other block.
  for (const block of [0x10, 0x11, 0xff]) {
    const csa = lookupTag(makeTag(0x0029, (block << 8) | 0x10), 'SIEMENS CSA HEADER');
    assert.equal(csa?.name, 'CSA Image Header Info');
    assert.equal(csa?.vr, 'OB');
    assert.equal(csa?.privateCreator, 'SIEMENS CSA HEADER');
    assert.equal(csa?.tag, makeTag(0x0029, (block << 8) | 0x10));
    assert.equal(csa?.keyword, '');
  }
  // LO padding of the creator value is not significant.
  assert.equal(lookupTag(makeTag(0x0029, 0x1008), 'SIEMENS CSA HEADER ')?.name, 'CSA Image Header Type');
  assert.equal(
    lookupTag(makeTag(0x0009, 0x10e2), 'GEMS_IDEN_01')?.name,
    'Image Type (ORIGINAL\\PROSPECTIVE ...)',
  );
  // 'ggxxxxee' keys: PAPYRUS 3.0 '60xxxx10' in any odd group 60gg.
  assert.equal(lookupTag(makeTag(0x6001, 0x1010), 'PAPYRUS 3.0')?.name, 'Overlay Rows');
  assert.equal(lookupTag(makeTag(0x6011, 0x2010), 'PAPYRUS 3.0')?.name, 'Overlay Rows');

  assert.equal(lookupTag(makeTag(0x0029, 0x1010)), undefined, 'no creator');
  assert.equal(lookupTag(makeTag(0x0029, 0x1010), 'NO SUCH CREATOR'), undefined);
  assert.equal(lookupTag(makeTag(0x0029, 0x1077), 'SIEMENS CSA HEADER'), undefined);
  assert.equal(lookupTag(makeTag(0x0011, 0x0001)), undefined, 'reserved private elements');
});

test('keywordOf', () => {
  assert.equal(keywordOf(0x00100010), 'PatientName');
  assert.equal(keywordOf(0x60003000), 'OverlayData');
  assert.equal(keywordOf(0x00090010), 'PrivateCreator');
  assert.equal(keywordOf(0x00180000), 'GenericGroupLength');
  assert.equal(keywordOf(0x00080202), undefined, 'a retired element without a keyword');
  assert.equal(keywordOf(0x00291010), undefined);
  assert.equal(keywordOf(0x00091234), undefined);
});

test('keyword lookups', () => {
  assert.equal(tagForKeyword('PatientName'), 0x00100010);
  assert.equal(tagForKeyword('OverlayData'), 0x60003000);
  assert.equal(tagForKeyword('CurveDimensions'), 0x50000005);
  assert.equal(tagForKeyword('NoSuchKeyword'), undefined);
  assert.equal(tagForKeyword(''), undefined);
  assert.equal(lookupKeyword('StudyInstanceUID')?.tag, 0x0020000d);
  assert.equal(lookupKeyword('StudyInstanceUID')?.vr, 'UI');
  assert.equal(lookupKeyword('OverlayRows')?.tag, 0x60000010);
});

test('keyword -> tag round trip for every entry', () => {
  const { counts } = dictionarySource();
  let count = 0;
  let unnamed = 0;
  const seen = new Set<number>();
  for (const entry of allEntries()) {
    count++;
    assert.ok(!seen.has(entry.tag), `duplicate tag ${entry.tag.toString(16)}`);
    seen.add(entry.tag);
    assert.ok(entry.vrs.length > 0);
    if (entry.keyword === '') {
      unnamed++;
      assert.equal(entry.retired, true, 'only retired entries lack a keyword');
      continue;
    }
    assert.equal(tagForKeyword(entry.keyword), entry.tag, entry.keyword);
    assert.equal(lookupKeyword(entry.keyword)?.keyword, entry.keyword);
    const back = lookupTag(entry.tag);
    assert.equal(back?.keyword, entry.keyword, entry.keyword);
    assert.equal(back?.vr, entry.vr);
    assert.equal(keywordOf(entry.tag), entry.keyword);
  }
  assert.equal(count, counts.elements + counts.repeaters);
  assert.ok(count > 4900, `${count} entries`);
  assert.ok(unnamed < 10, `${unnamed} unnamed entries`);
});

test('UIDs', () => {
  const evrle = lookupUid('1.2.840.10008.1.2.1');
  assert.equal(evrle?.type, 'Transfer Syntax');
  assert.equal(evrle?.name, 'Explicit VR Little Endian');
  assert.equal(evrle?.keyword, 'ExplicitVRLittleEndian');
  assert.equal(evrle?.retired, false);
  assert.equal(evrle?.conquestName, 'LittleEndianExplicit', 'a row Conquest ships disabled still names it');
  assert.equal(lookupUid('1.2.840.10008.1.2.2')?.retired, true);

  const ct = lookupUid('1.2.840.10008.5.1.4.1.1.2');
  assert.equal(ct?.name, 'CT Image Storage');
  assert.equal(ct?.type, 'SOP Class');
  assert.equal(ct?.conquestName, 'CTImageStorage');
  assert.equal(lookupUid('1.2.840.10008.5.1.4.1.1.2\0')?.keyword, 'CTImageStorage', 'UI NUL padding');
  assert.equal(lookupUid('1.2.3.4'), undefined);

  const ts = uidsOfType('Transfer Syntax');
  assert.ok(ts.length > 30);
  assert.ok(ts.every((u) => u.type === 'Transfer Syntax'));
  assert.ok(ts.some((u) => u.uid === '1.2.840.10008.1.2'));
  assert.equal(uidsOfType('No Such Type').length, 0);
});

test('storage SOP classes', () => {
  const storage = storageSopClasses();
  assert.ok(storage.length > 100, `${storage.length}`);
  assert.ok(storage.some((u) => u.uid === '1.2.840.10008.5.1.4.1.1.2'));
  assert.ok(storage.every((u) => u.type === 'SOP Class'));
  assert.ok(
    storage.some((u) => u.retired),
    'retired ones are included',
  );
  assert.ok(
    storage.some((u) => u.uid === '1.2.840.10008.5.1.4.1.1.1.1'),
    'Digital X-Ray - For Presentation',
  );
  assert.ok(!storage.some((u) => u.uid === '1.2.840.10008.1.20.1'), 'not Storage Commitment');
  assert.ok(!storage.some((u) => u.uid === '1.2.840.10008.1.1'), 'not Verification');
});

test("Conquest's dgatesop.lst names (manual 7.5)", (t) => {
  const rows = conquestSopNames();
  assert.equal(rows[0]?.name, 'Verification');
  assert.equal(rows[0]?.uid, '1.2.840.10008.1.1');
  assert.equal(rows[0]?.kind, 'sop');
  assert.ok(rows.some((r) => r.name === 'CTImageStorage' && r.enabled));
  assert.ok(rows.some((r) => r.name === 'LittleEndianImplicit' && r.kind === 'transfer' && r.enabled));
  assert.ok(rows.some((r) => r.name === 'JPEGLossless' && r.kind === 'transfer' && !r.enabled));
  assert.equal(rows.length, dictionarySource().counts.conquestSopRows);

  const manual = join(repoRoot(), '../shared/seed/conquest-manual-1.5.0c.md');
  if (!existsSync(manual)) {
    t.skip(`Conquest manual not found at ${manual}: table line count not checked`);
    return;
  }
  // Count independently: the lines of section 7.5 with a tab-separated Name, UID and kind.
  const text = readFileSync(manual, 'utf8');
  const from = text.indexOf('\n## 7.5 dgatesop.lst');
  const to = text.indexOf('\n## 7.6', from);
  assert.ok(from >= 0 && to > from);
  const tableLines = text
    .slice(from, to)
    .split('\n')
    .filter((l) => /^#?[A-Za-z][^\t]*\t[0-9.]+\t(sop|transfer)/.test(l));
  assert.equal(rows.length, tableLines.length);
  assert.deepEqual(
    rows.map((r) => `${r.enabled ? '' : '#'}${r.name}\t${r.uid}`),
    tableLines.map((l) => l.split('\t').slice(0, 2).join('\t')),
  );
});
