import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Dataset } from '../../src/dicom/dataset.js';
import { dumpDataset } from '../../src/dicom/dump.js';
import { DataElement } from '../../src/dicom/element.js';
import { parseDicom } from '../../src/dicom/reader.js';
import { CORPUS_DIR } from '../support/corpus.js';
import { hasTool } from '../support/dcmtk.js';

test('element lines as dcmdump prints them', () => {
  const ds = new Dataset();
  ds.setStrings('PatientName', 'Yamada^Tarou', 'PN');
  ds.setStrings('ImageType', ['ORIGINAL', 'PRIMARY'], 'CS');
  ds.setStrings('SOPClassUID', '1.2.840.10008.5.1.4.1.1.2', 'UI');
  ds.setStrings('AccessionNumber', '', 'SH');
  ds.setNumbers('Rows', [512], 'US');
  ds.setNumbers(0x00091010, [-1, 2], 'SS');
  ds.setNumbers(0x00091011, [0.1], 'FL');
  ds.setStrings(0x00090010, 'ACME 1.0', 'LO');
  ds.setAttributeTags(0x00209165, [0x00100010, 0x7fe00010]);
  ds.setBytes(0x00091020, 'OB', Buffer.from([0, 1, 0xfe]));
  ds.setBytes(0x00091021, 'OW', Buffer.from([0x34, 0x12, 0xff, 0xff]));
  const item = ds.newItem();
  item.setStrings('CodeValue', 'T-D0050', 'SH');
  item.itemUndefinedLength = true;
  ds.setSequence('AnatomicRegionSequence', [item]);
  const lines = dumpDataset(ds).split('\n');
  assert.deepEqual(lines, [
    '(0008,0008) CS [ORIGINAL\\PRIMARY]                       #  16, 2 ImageType',
    '(0008,0016) UI =CTImageStorage                          #  26, 1 SOPClassUID',
    '(0008,0050) SH (no value available)                     #   0, 0 AccessionNumber',
    '(0008,2218) SQ (Sequence with undefined length #=1)     # u/l, 1 AnatomicRegionSequence',
    '  (fffe,e000) na (Item with undefined length #=1)         # u/l, 1 Item',
    '    (0008,0100) SH [T-D0050]                                #   8, 1 CodeValue',
    '  (fffe,e00d) na (ItemDelimitationItem)                   #   0, 0 ItemDelimitationItem',
    '(fffe,e0dd) na (SequenceDelimitationItem)               #   0, 0 SequenceDelimitationItem',
    '(0009,0010) LO [ACME 1.0]                               #   8, 1 PrivateCreator',
    '(0009,1010) SS -1\\2                                     #   4, 2 Unknown Tag & Data',
    '(0009,1011) FL 0.1                                      #   4, 1 Unknown Tag & Data',
    '(0009,1020) OB 00\\01\\fe\\00                              #   4, 1 Unknown Tag & Data',
    '(0009,1021) OW 1234\\ffff                                #   4, 1 Unknown Tag & Data',
    '(0010,0010) PN [Yamada^Tarou]                           #  12, 1 PatientName',
    '(0020,9165) AT (0010,0010)\\(7fe0,0010)                  #   8, 2 DimensionIndexPointer',
    '(0028,0010) US 512                                      #   2, 1 Rows',
    '',
  ]);
});

test('defined lengths, encapsulated pixel data, long values, values left in the file', () => {
  const ds = new Dataset();
  const a = ds.newItem();
  a.setStrings('CodeValue', 'ABC', 'SH');
  const empty = ds.newItem();
  ds.set(DataElement.ofItems(0x00082218, [a, empty], false));
  ds.set(DataElement.ofItems(0x00081140, [], false));
  ds.setStrings('StudyDescription', 'x'.repeat(100), 'LO');
  ds.setBytes(0x00091001, 'OB', Buffer.alloc(1000, 0xab));
  ds.setNumbers(
    0x00091002,
    Array.from({ length: 40 }, (_, i) => i * 1000),
    'UL',
  );
  const lazy = new DataElement(0x00091003, 'OB');
  lazy.bulk = { offset: 0, length: 70000 };
  ds.set(lazy);
  ds.set(DataElement.ofFragments(0x7fe00010, 'OB', [Buffer.alloc(0), Buffer.from([0xff, 0xd8, 0xff, 0xd9])]));
  const text = dumpDataset(ds);
  assert.equal(
    text,
    [
      '(0008,1030) LO [xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... # 100, 1 StudyDescription',
      '(0008,1140) SQ (Sequence with explicit length #=0)      #   0, 1 ReferencedImageSequence',
      '(fffe,e0dd) na (SequenceDelimitationItem for re-encod.) #   0, 0 SequenceDelimitationItem',
      '(0008,2218) SQ (Sequence with explicit length #=2)      #  28, 1 AnatomicRegionSequence',
      '  (fffe,e000) na (Item with explicit length #=1)          #  12, 1 Item',
      '    (0008,0100) SH [ABC]                                    #   4, 1 CodeValue',
      '  (fffe,e00d) na (ItemDelimitationItem for re-encoding)   #   0, 0 ItemDelimitationItem',
      '  (fffe,e000) na (Item with explicit length #=0)          #   0, 1 Item',
      '  (fffe,e00d) na (ItemDelimitationItem for re-encoding)   #   0, 0 ItemDelimitationItem',
      '(fffe,e0dd) na (SequenceDelimitationItem for re-encod.) #   0, 0 SequenceDelimitationItem',
      `(0009,1001) OB ${'ab\\'.repeat(21)}ab... # 1000, 1 Unknown Tag & Data`,
      '(0009,1002) UL 0\\1000\\2000\\3000\\4000\\5000\\6000\\7000\\8000\\9000\\10000\\11000\\12000... # 160,40 Unknown Tag & Data',
      '(0009,1003) OB (not loaded)                             # 70000, 1 Unknown Tag & Data',
      '(7fe0,0010) OB (PixelSequence #=2)                      # u/l, 1 PixelData',
      '  (fffe,e000) pi (no value available)                     #   0, 1 Item',
      '  (fffe,e000) pi ff\\d8\\ff\\d9                              #   4, 1 Item',
      '(fffe,e0dd) na (SequenceDelimitationItem)               #   0, 0 SequenceDelimitationItem',
      '',
    ].join('\n'),
  );
  // The whole value on request.
  assert.ok(dumpDataset(ds, { maxValueLength: 0 }).includes(`[${'x'.repeat(100)}]`));
});

test('meta information and data set headers', () => {
  const meta = new Dataset();
  meta.setStrings(0x00020010, '1.2.840.10008.1.2', 'UI');
  const ds = new Dataset();
  ds.explicitVR = false;
  ds.setStrings('Modality', 'CT', 'CS');
  assert.equal(
    dumpDataset(ds, { meta }),
    [
      '',
      '# Dicom-File-Format',
      '',
      '# Dicom-Meta-Information-Header',
      '# Used TransferSyntax: Explicit VR Little Endian',
      '(0002,0010) UI =ImplicitVRLittleEndian                  #  18, 1 TransferSyntaxUID',
      '',
      '# Dicom-Data-Set',
      '# Used TransferSyntax: Implicit VR Little Endian',
      '(0008,0060) CS [CT]                                     #   2, 1 Modality',
      '',
    ].join('\n'),
  );
  assert.equal(dumpDataset(new Dataset()), '');
});

// ---- against dcmdump --------------------------------------------------------------------------------------

const CORPUS = CORPUS_DIR;

/** A spread of structures: every VR in three syntaxes, sequences, private and UN elements, charsets, pixels. */
const FILES = [
  'edge/all_vrs_explicit_le.dcm',
  'edge/all_vrs_explicit_be.dcm',
  'edge/all_vrs_implicit_le.dcm',
  'edge/seq_nested4_mixed_lengths.dcm',
  'edge/seq_empty_explicit.dcm',
  'edge/seq_empty_implicit.dcm',
  'edge/seq_undefined_length.dcm',
  'edge/un_vr.dcm',
  'edge/private_tags_explicit.dcm',
  'edge/private_tags_implicit.dcm',
  'edge/person_names.dcm',
  'edge/empty_values.dcm',
  'edge/value_multiplicity.dcm',
  'edge/group_lengths.dcm',
  'edge/long_ut_100k.dcm',
  'edge/max_length_values.dcm',
  'charset/iso_ir_100_latin1.dcm',
  'charset/iso_ir_192_utf8_japanese.dcm',
  'charset/iso2022_ir149_korean.dcm',
  'codec/rle_xa10.dcm',
  'ts/ct16s_deflated.dcm',
  'pixel/icon_image_sequence.dcm',
  'objects/rtstruct.dcm',
  'objects/sr_basic_text.dcm',
];

interface DumpLine {
  depth: number;
  tag: string;
  vr: string;
  value: string;
  length: string;
}

/** The element lines of a dump: "(gggg,eeee) VR value # length, vm name", with their nesting depth. */
function parseDump(text: string): DumpLine[] {
  const out: DumpLine[] = [];
  for (const l of text.split('\n')) {
    const m = /^( *)(\([0-9a-f]{4},[0-9a-f]{4}\)) (\S\S) (.*?) +# +(\S+), *\d+ /.exec(l);
    if (m) out.push({ depth: m[1]!.length / 2, tag: m[2]!, vr: m[3]!, value: m[4]!, length: m[5]! });
    else if (/^ *\([0-9a-f]{4},[0-9a-f]{4}\) /.test(l)) {
      // A value with line breaks (LT, UT...): the rest of the line is on a later line.
      const h = /^( *)(\([0-9a-f]{4},[0-9a-f]{4}\)) (\S\S) /.exec(l)!;
      out.push({ depth: h[1]!.length / 2, tag: h[2]!, vr: h[3]!, value: '', length: '' });
    }
  }
  return out;
}

/**
 * Our dump against `dcmdump -q +U8`: the same elements, items and delimiters in the same order and nesting
 * with the same VRs; the same lengths for sequences, items and binary values; the same text for short
 * single-line text values. Known differences, by design:
 * - dcmdump +U8 converts the text to UTF-8 and so shows (0008,0005) as ISO_IR 192 (adding it when absent),
 *   and the lengths of the converted text; ours shows the data set as it is.
 * - dcmdump prints '??' for an Implicit VR element whose VR it does not know; the data set says UN.
 * - Our parser reads an Implicit VR private element whose value starts with an Item tag as a sequence;
 *   dcmdump shows its bytes (the sequence's lines are skipped).
 * - UID names ("=CTImageStorage") and floating-point digits come from different dictionaries and printers.
 */
test('corpus: the same lines as dcmdump -q +U8, loosely', (t) => {
  if (!existsSync(join(CORPUS, 'MANIFEST.tsv'))) {
    t.skip(`corpus not found at ${CORPUS}`);
    return;
  }
  if (!hasTool('dcmdump')) {
    t.skip('dcmdump (DCMTK) not installed: apt-get install -y dcmtk');
    return;
  }
  for (const rel of FILES) {
    const path = join(CORPUS, rel);
    const file = parseDicom(readFileSync(path));
    const ours = parseDump(dumpDataset(file.dataset, { meta: file.meta }));
    const theirs = parseDump(
      execFileSync('dcmdump', ['-q', '+U8', path], { maxBuffer: 1 << 26 }).toString('utf8'),
    ).filter((l) => !(l.depth === 0 && l.tag === '(0008,0005)'));
    const mine = ours.filter((l) => !(l.depth === 0 && l.tag === '(0008,0005)'));
    assert.ok(mine.length > 5 && theirs.length > 5, `${rel}: no element lines`);
    const charsetGiven = file.dataset.has(0x00080005);
    let i = 0;
    let j = 0;
    while (i < mine.length && j < theirs.length) {
      const a = mine[i]!;
      const b = theirs[j]!;
      const where = `${rel}: ${a.tag} at depth ${a.depth}`;
      assert.equal(a.tag, b.tag, where);
      assert.equal(a.depth, b.depth, where);
      if (a.vr === 'SQ' && b.vr === '??') {
        // A private sequence found by its Item tag: skip its lines.
        i++;
        while (i < mine.length && mine[i]!.depth > a.depth) i++;
        if (mine[i]?.tag === '(fffe,e0dd)' && mine[i]!.depth === a.depth) i++;
        j++;
        continue;
      }
      assert.equal(a.vr, b.vr === '??' ? 'UN' : b.vr, where);
      const textVR = /^(AE|AS|CS|DA|DS|DT|IS|LO|LT|PN|SH|ST|TM|UC|UI|UR|UT)$/.test(a.vr);
      if (!textVR || !charsetGiven) assert.equal(a.length, b.length, `${where}: length`);
      if (textVR && a.value.startsWith('[') && a.value.endsWith(']') && b.value.endsWith(']')) {
        assert.equal(a.value, b.value, `${where}: value`);
      }
      if (/^(US|SS|UL|SL|AT|OB|UN|OW|SV|UV)$/.test(a.vr) || a.value.startsWith('(')) {
        assert.equal(a.value, b.value, `${where}: value`);
      }
      i++;
      j++;
    }
    assert.equal(i, mine.length, `${rel}: lines of ours left over`);
    assert.equal(j, theirs.length, `${rel}: lines of dcmdump left over`);
  }
  t.diagnostic(`${FILES.length} files`);
});
