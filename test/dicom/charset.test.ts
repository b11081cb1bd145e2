import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SpecificCharacterSet } from '../../src/dicom/charset.js';
import type { VR } from '../../src/dicom/vr.js';

// ---------------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------------

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test file');
    dir = parent;
  }
}

const TESTDATA = join(repoRoot(), '..', 'shared', 'testdata');
const CORPUS = join(TESTDATA, 'corpus');
const CHARSET_DIR = join(CORPUS, 'charset');

/** Bytes from hex ('1b 24 42' or '1b2442') or from the standard's column/row notation ('01/11 02/04'). */
function bytes(text: string): Buffer {
  const t = text.trim();
  if (t.includes('/')) {
    return Buffer.from(
      t.split(/\s+/).map((cr) => {
        const [c, r] = cr.split('/');
        return Number.parseInt(c!, 10) * 16 + Number.parseInt(r!, 10);
      }),
    );
  }
  return Buffer.from(t.replace(/0x|\s+/g, ''), 'hex');
}

const ESC = '\x1b';
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const cs = (value: string | undefined): SpecificCharacterSet => SpecificCharacterSet.fromValue(value);

function roundTrip(value: string, vr: VR, encoded: Buffer, text: string): void {
  const set = cs(value);
  assert.equal(set.decode(encoded, vr), text, `decode ${value} ${vr}`);
  assert.deepEqual(set.encode(text, vr), encoded, `encode ${value} ${vr}`);
}

/** Top-level elements of an Explicit VR Little Endian file (enough for these small test files). */
function scan(file: Buffer): Map<number, { vr: VR; value: Buffer }> {
  const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
  const out = new Map<number, { vr: VR; value: Buffer }>();
  assert.equal(file.toString('latin1', 128, 132), 'DICM');
  let p = 132;
  while (p + 8 <= file.length) {
    const tag = ((file.readUInt16LE(p) << 16) | file.readUInt16LE(p + 2)) >>> 0;
    const vr = file.toString('latin1', p + 4, p + 6) as VR;
    const long = LONG.has(vr);
    const length = long ? file.readUInt32LE(p + 8) : file.readUInt16LE(p + 6);
    const header = long ? 12 : 8;
    if (length === 0xffffffff) break; // undefined length: beyond what these tests need
    out.set(tag, { vr, value: file.subarray(p + header, p + header + length) });
    p += header + length;
  }
  return out;
}

function stripPadding(value: Buffer): Buffer {
  let end = value.length;
  while (end > 0 && (value[end - 1] === 0x20 || value[end - 1] === 0x00)) end--;
  return value.subarray(0, end);
}

const CHARSET_VRS = new Set<VR>(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

// ---------------------------------------------------------------------------------------------------------
// the test corpus
// ---------------------------------------------------------------------------------------------------------

test('corpus: every charset/ file decodes PatientName as MANIFEST says and re-encodes every text exactly', async (t) => {
  if (!existsSync(CHARSET_DIR)) {
    t.skip(`test corpus not found at ${CHARSET_DIR}`);
    return;
  }
  const manifest = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n');
  const header = manifest[0]!.split('\t');
  const pathCol = header.indexOf('path');
  const exercisesCol = header.indexOf('exercises');
  const rows = manifest
    .slice(1)
    .map((line) => line.split('\t'))
    .filter((cols) => cols[pathCol]?.startsWith('charset/'));
  assert.equal(rows.length, 21);
  for (const cols of rows) {
    const path = cols[pathCol]!;
    const expected = /PatientName should decode to "(.*)"$/.exec(cols[exercisesCol]!)?.[1];
    await t.test(path, () => {
      assert.ok(expected, `no expected PatientName in MANIFEST for ${path}`);
      const elements = scan(readFileSync(join(CORPUS, path)));
      const charset = elements.get(0x00080005);
      const set = cs(charset === undefined ? undefined : charset.value.toString('latin1'));
      assert.deepEqual(set.warnings, [], `${path}: ${set.warnings.join('; ')}`);
      const pn = stripPadding(elements.get(0x00100010)!.value);
      assert.equal(set.decode(pn, 'PN'), expected);
      assert.deepEqual(set.encode(expected, 'PN'), pn, 'PatientName re-encodes to the same bytes');
      for (const [tag, { vr, value }] of elements) {
        if (!CHARSET_VRS.has(vr)) continue;
        const raw = stripPadding(value);
        const text = set.decode(raw, vr);
        assert.ok(!text.includes('\ufffd'), `${path} ${tag.toString(16)}: U+FFFD in ${JSON.stringify(text)}`);
        assert.deepEqual(
          set.encode(text, vr),
          raw,
          `${path} ${tag.toString(16)} ${vr} ${JSON.stringify(text)}`,
        );
      }
      assert.deepEqual(set.warnings, []);
    });
  }
});

test('corpus: the values beyond PatientName', (t) => {
  if (!existsSync(CHARSET_DIR)) {
    t.skip(`test corpus not found at ${CHARSET_DIR}`);
    return;
  }
  const read = (file: string, tag: number): string => {
    const elements = scan(readFileSync(join(CHARSET_DIR, file)));
    const charset = elements.get(0x00080005)?.value.toString('latin1');
    const element = elements.get(tag)!;
    return cs(charset).decode(stripPadding(element.value), element.vr);
  };
  assert.equal(read('gb18030_chinese.dcm', 0x00081030), '胸部CT \u{1F600}'); // 4-byte GB18030
  assert.equal(read('gbk_chinese.dcm', 0x00080080), '北京協和醫院');
  assert.equal(read('iso2022_ir87_japanese.dcm', 0x00104000), '山田太郎\r\nやまだ line 2');
  assert.equal(read('iso2022_ir87_japanese.dcm', 0x00081030), '頭部 MRI');
  assert.equal(read('iso2022_ir13_ir87_japanese.dcm', 0x00080080), '東京病院');
  assert.equal(read('iso2022_ir13_ir87_japanese.dcm', 0x00081030), 'ｹﾝｻ');
  assert.equal(read('iso2022_ir149_korean.dcm', 0x00081030), '흉부 CT');
  assert.equal(read('iso2022_ir58_gb2312.dcm', 0x00081030), '胸部 CT');
  assert.equal(read('iso2022_ir100_ir126_multi.dcm', 0x00081030), 'Étude');
  assert.equal(
    read('iso_ir_192_utf8_supplementary_nfd.dcm', 0x00081030),
    '4-byte UTF-8: 😀 𠀋 (U+1F600, U+2000B)',
  );
  assert.equal(read('iso_ir_192_utf8_supplementary_nfd.dcm', 0x00101001), 'José^Zoë'); // NFC
  assert.equal(read('iso_ir_192_utf8_supplementary_nfd.dcm', 0x00100010).normalize('NFC'), 'José^Zoë');
  assert.equal(read('iso_ir_13_katakana.dcm', 0x00081030), 'ｹﾝｻ');
  assert.equal(read('iso_ir_148_latin5_turkish.dcm', 0x00080080), 'İstanbul Hastanesi');
  assert.equal(read('iso_ir_166_thai.dcm', 0x00081030), 'ตรวจ');
});

// ---------------------------------------------------------------------------------------------------------
// PS3.5 Annex H, I, J, K examples (byte vectors as the standard prints them)
// ---------------------------------------------------------------------------------------------------------

test('PS3.5 H.3.1: Japanese, \\ISO 2022 IR 87', () => {
  roundTrip(
    '\\ISO 2022 IR 87',
    'PN',
    bytes(
      '05/09 06/01 06/13 06/01 06/04 06/01 05/14 05/04 06/01 07/02 06/15 07/05 03/13 01/11 02/04 04/02 03/11 ' +
        '03/03 04/05 04/04 01/11 02/08 04/02 05/14 01/11 02/04 04/02 04/02 04/00 04/15 03/10 01/11 02/08 04/02 ' +
        '03/13 01/11 02/04 04/02 02/04 06/04 02/04 05/14 02/04 04/00 01/11 02/08 04/02 05/14 01/11 02/04 04/02 ' +
        '02/04 03/15 02/04 06/13 02/04 02/06 01/11 02/08 04/02',
    ),
    'Yamada^Tarou=山田^太郎=やまだ^たろう',
  );
});

test('PS3.5 H.3.2: Japanese, ISO 2022 IR 13\\ISO 2022 IR 87 (half-width katakana, ESC ( J back)', () => {
  roundTrip(
    'ISO 2022 IR 13\\ISO 2022 IR 87',
    'PN',
    bytes(
      '13/04 12/15 12/00 13/14 05/14 12/00 13/11 11/03 03/13 01/11 02/04 04/02 03/11 03/03 04/05 04/04 01/11 ' +
        '02/08 04/10 05/14 01/11 02/04 04/02 04/02 04/00 04/15 03/10 01/11 02/08 04/10 03/13 01/11 02/04 04/02 ' +
        '02/04 06/04 02/04 05/14 02/04 04/00 01/11 02/08 04/10 05/14 01/11 02/04 04/02 02/04 03/15 02/04 06/13 ' +
        '02/04 02/06 01/11 02/08 04/10',
    ),
    'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
  );
});

test('PS3.5 I.2: Korean, \\ISO 2022 IR 149 (ESC $ ) C repeated after every delimiter)', () => {
  roundTrip(
    '\\ISO 2022 IR 149',
    'PN',
    bytes(
      '04/08 06/15 06/14 06/07 05/14 04/07 06/09 06/12 06/04 06/15 06/14 06/07 03/13 01/11 02/04 02/09 04/03 ' +
        '15/11 15/03 05/14 01/11 02/04 02/09 04/03 13/01 12/14 13/04 13/07 03/13 01/11 02/04 02/09 04/03 12/08 ' +
        '10/11 05/14 01/11 02/04 02/09 04/03 11/01 14/06 11/05 11/15',
    ),
    'Hong^Gildong=洪^吉洞=홍^길동',
  );
});

test('PS3.5 Annex J: Chinese in UTF-8 and GB18030 (PN and LT)', () => {
  roundTrip(
    'ISO_IR 192',
    'PN',
    bytes('57 61 6e 67 5e 58 69 61 6f 44 6f 6e 67 3d e7 8e 8b 5e e5 b0 8f e6 9d b1 3d'),
    'Wang^XiaoDong=王^小東=',
  );
  const lt = 'The first line includes中文.\r\nThe second line includes中文, too.\r\nThe third line.\r\n';
  roundTrip('ISO_IR 192', 'LT', Buffer.from(lt, 'utf8'), lt);
  roundTrip(
    'GB18030',
    'PN',
    bytes('57 61 6e 67 5e 58 69 61 6f 44 6f 6e 67 3d cd f5 5e d0 a1 b6 ab 3d'),
    'Wang^XiaoDong=王^小东=',
  );
  roundTrip(
    'GB18030',
    'LT',
    Buffer.concat([
      b('The first line includes'),
      bytes('d6 d0 ce c4'),
      b('.\r\nThe second line includes'),
      bytes('d6 d0 ce c4'),
      b(', too.\r\nThe third line.\r\n'),
    ]),
    lt,
  );
});

test('PS3.5 Annex K: Chinese, \\ISO 2022 IR 58 (PN and LT)', () => {
  roundTrip(
    '\\ISO 2022 IR 58',
    'PN',
    bytes('5A 68 61 6E 67 5E 58 69 61 6F 44 6F 6E 67 3D 1B 24 29 41 D5 C5 5E 1B 24 29 41 D0 A1 B6 AB 3D'),
    'Zhang^XiaoDong=张^小东=',
  );
  roundTrip(
    '\\ISO 2022 IR 58',
    'LT',
    bytes(
      '31 2e 1B 24 29 41 B5 DA D2 BB D0 D0 CE C4 D7 D6 A1 A3 0D 0A 32 2e 1B 24 29 41 B5 DA B6 FE D0 D0 CE C4 ' +
        'D7 D6 A1 A3 0D 0A 33 2e 1B 24 29 41 B5 DA C8 FD D0 D0 CE C4 D7 D6 A1 A3 0D 0A',
    ),
    '1.第一行文字。\r\n2.第二行文字。\r\n3.第三行文字。\r\n',
  );
});

// ---------------------------------------------------------------------------------------------------------
// single-byte sets: every printable character
// ---------------------------------------------------------------------------------------------------------

const SINGLE_BYTE: readonly [number, string, number, string, string][] = [
  // [IR, final byte of ESC - F, unassigned GR positions, a sample byte (hex), its character]
  [100, 'A', 0, 'e9', 'é'],
  [101, 'B', 0, 'a3', 'Ł'],
  [109, 'C', 7, 'a1', 'Ħ'],
  [110, 'D', 0, 'a1', 'Ą'],
  [144, 'L', 0, 'b0', 'А'],
  [127, 'G', 45, 'c7', 'ا'],
  [126, 'F', 3, 'c1', 'Α'],
  [138, 'H', 36, 'e0', 'א'],
  [148, 'M', 0, 'dd', 'İ'],
  [166, 'T', 8, 'a1', 'ก'],
];

test('single-byte sets: every printable character decodes and re-encodes, with and without ISO 2022', () => {
  for (const [ir, final, unassigned, sample, char] of SINGLE_BYTE) {
    const plain = cs(`ISO_IR ${ir}`);
    assert.deepEqual(plain.warnings, []);
    assert.equal(plain.decode(bytes(sample), 'LO'), char, `ISO_IR ${ir} sample`);
    const gl: number[] = [];
    for (let i = 0x20; i < 0x7f; i++) gl.push(i);
    const gr: number[] = [];
    let missing = 0;
    for (let i = 0xa0; i <= 0xff; i++) {
      const c = plain.decode(Buffer.from([i]), 'LO');
      assert.equal(c.length, 1);
      if (c === '\ufffd') {
        missing++;
        continue;
      }
      gr.push(i);
      assert.deepEqual(plain.encode(c, 'LT'), Buffer.from([i]), `ISO_IR ${ir} 0x${i.toString(16)}`);
    }
    assert.equal(missing, unassigned, `ISO_IR ${ir}: unassigned positions`);
    const all = Buffer.from([...gl, ...gr]);
    const text = plain.decode(all, 'LT');
    assert.equal(text.length, all.length);
    assert.deepEqual(plain.encode(text, 'LT'), all);
    // The ISO 2022 term as value 1 has the same bytes (its G1 is designated from the start).
    roundTrip(`ISO 2022 IR ${ir}`, 'LT', all, text);
    // As a second value it needs ESC - F before its first GR character (no return: no initial G1).
    const iso = Buffer.concat([Buffer.from(gl), b(`${ESC}-${final}`), Buffer.from(gr)]);
    roundTrip(`\\ISO 2022 IR ${ir}`, 'LT', iso, text);
    roundTrip(`ISO 2022 IR 6\\ISO 2022 IR ${ir}`, 'LT', iso, text);
  }
});

test('ISO_IR 13: JIS X 0201 romaji and half-width katakana', () => {
  const set = cs('ISO_IR 13');
  const codes: number[] = [];
  for (let i = 0x20; i < 0x7f; i++) codes.push(i);
  for (let i = 0xa1; i <= 0xdf; i++) codes.push(i);
  const all = Buffer.from(codes);
  const text = set.decode(all, 'LT');
  assert.equal(text.slice(0, 95), all.subarray(0, 95).toString('latin1'));
  assert.equal(text.charCodeAt(95), 0xff61);
  assert.equal(text.charCodeAt(text.length - 1), 0xff9f);
  assert.deepEqual(set.encode(text, 'LT'), all);
  roundTrip('ISO 2022 IR 13', 'LT', all, text);
  // 0x5C is the value delimiter even though JIS X 0201 draws it as YEN SIGN: read as '\'.
  assert.equal(set.decode(b('a\\b'), 'LO'), 'a\\b');
  for (const bad of [0x80, 0xa0, 0xe0, 0xff]) assert.equal(set.decode(Buffer.from([bad]), 'PN'), '\ufffd');
});

test('ISO 2022 IR 13 and IR 6 are told apart by ESC ( J and ESC ( B', () => {
  // After kanji the return is to the initial G0: JIS X 0201 romaji for IR 13, ASCII for IR 6.
  assert.deepEqual(cs('ISO 2022 IR 13\\ISO 2022 IR 87').encode('山a', 'LO'), b(`${ESC}$B;3${ESC}(Ja`));
  assert.deepEqual(cs('\\ISO 2022 IR 87').encode('山a', 'LO'), b(`${ESC}$B;3${ESC}(Ba`));
  // Half-width katakana need the IR 13 G1; with IR 6 initial they are designated with ESC ) I.
  assert.deepEqual(cs('\\ISO 2022 IR 13').encode('ｱ', 'LO'), b(`${ESC})I\xb1`));
  assert.equal(cs('\\ISO 2022 IR 13').decode(b(`${ESC})I\xb1`), 'LO'), 'ｱ');
});

// ---------------------------------------------------------------------------------------------------------
// multi-byte tables: every cell iconv-lite maps
// ---------------------------------------------------------------------------------------------------------

test('94x94 sets: every assigned cell decodes and re-encodes (iconv-lite tables)', () => {
  const sets: [string, string, boolean, number, RegExp][] = [
    // [value, designation, G1?, minimum assigned cells (the standard's count), rows allowed to collide]
    ['\\ISO 2022 IR 87', '$B', false, 6879, /^(13|89|90|91|92)$/],
    ['\\ISO 2022 IR 159', '$(D', false, 6067, /^$/],
    ['\\ISO 2022 IR 149', '$)C', true, 8224, /^$/],
    ['\\ISO 2022 IR 58', '$)A', true, 7445, /^$/],
  ];
  for (const [value, designation, g1, minimum, collisions] of sets) {
    const set = cs(value);
    const base = g1 ? 0xa1 : 0x21;
    let assigned = 0;
    let duplicates = 0;
    for (let r = 0; r < 94; r++) {
      for (let c = 0; c < 94; c++) {
        const pair = Buffer.from([base + r, base + c]);
        const encoded = Buffer.concat([b(ESC + designation), pair, g1 ? Buffer.alloc(0) : b(`${ESC}(B`)]);
        const text = set.decode(encoded, 'LO');
        assert.equal(text.length, 1, `${value} ${pair.toString('hex')}`);
        if (text === '\ufffd') continue;
        assigned++;
        const again = set.encode(text, 'LO');
        if (!again.equals(encoded)) {
          // iconv-lite maps some vendor extension cells (NEC row 13, IBM rows 89-92) to characters that
          // JIS X 0208 proper already has; those encode to the standard cell (for U+FFE2 that is 0x224C,
          // read back as the JIS mapping U+00AC).
          assert.match(
            String(r + 1),
            collisions,
            `${value} ${pair.toString('hex')} → ${again.toString('hex')}`,
          );
          const back = set.decode(again, 'LO');
          assert.ok(
            back.length === 1 && back !== '\ufffd',
            `${pair.toString('hex')} → ${again.toString('hex')}`,
          );
          duplicates++;
        }
      }
    }
    assert.ok(assigned >= minimum, `${value}: ${assigned} cells, expected at least ${minimum}`);
    assert.ok(duplicates < 400, `${value}: ${duplicates} duplicates`);
  }
});

test('JIS X 0208 uses the JIS mapping for the cells where CP932 differs, and encodes both', () => {
  const set = cs('\\ISO 2022 IR 87');
  const jis = b(`${ESC}$B!A!B!]!q!r"L${ESC}(B`);
  assert.equal(set.decode(jis, 'LT'), '\u301c\u2016\u2212\u00a2\u00a3\u00ac');
  assert.deepEqual(set.encode('\u301c\u2016\u2212\u00a2\u00a3\u00ac', 'LT'), jis);
  assert.deepEqual(set.encode('\uff5e\u2225\uff0d\uffe0\uffe1\uffe2', 'LT'), jis);
});

test('ISO 2022 IR 159: JIS X 0212 after JIS X 0208', () => {
  const value = '\\ISO 2022 IR 87\\ISO 2022 IR 159';
  roundTrip(value, 'PN', b(`${ESC}$B;3${ESC}$(D0!${ESC}(B^${ESC}$(D+!${ESC}(B`), '山丂^á');
  // á is also Latin-1, but no Latin-1 set is declared here; with one, the G1 set is preferred.
  roundTrip('\\ISO 2022 IR 100\\ISO 2022 IR 159', 'PN', b(`${ESC}-A\xe1^${ESC}$(D0!${ESC}(B`), 'á^丂');
});

// ---------------------------------------------------------------------------------------------------------
// ISO 2022 reset rules (PS3.5 6.1.2.5.3)
// ---------------------------------------------------------------------------------------------------------

test('decode: the initial designations return at ^ and = in PN only', () => {
  const set = cs('ISO 2022 IR 100\\ISO 2022 IR 126');
  // G1 Greek, then a delimiter: in PN the next GR byte is Latin-1 again, elsewhere still Greek.
  assert.equal(set.decode(b(`${ESC}-F\xc4^\xe9`), 'PN'), 'Δ^é');
  assert.equal(set.decode(b(`${ESC}-F\xc4=\xe9`), 'PN'), 'Δ=é');
  assert.equal(set.decode(b(`${ESC}-F\xc4^\xe9`), 'LO'), 'Δ^ι');
  assert.equal(set.decode(b(`${ESC}-F\xc4=\xe9`), 'LT'), 'Δ=ι');
});

test('decode: the initial designations return at \\ in multi-valued VRs only', () => {
  const set = cs('ISO 2022 IR 100\\ISO 2022 IR 126');
  assert.equal(set.decode(b(`${ESC}-F\xc4\\\xe9`), 'LO'), 'Δ\\é');
  assert.equal(set.decode(b(`${ESC}-F\xc4\\\xe9`), 'SH'), 'Δ\\é');
  assert.equal(set.decode(b(`${ESC}-F\xc4\\\xe9`), 'PN'), 'Δ\\é');
  assert.equal(set.decode(b(`${ESC}-F\xc4\\\xe9`), 'LT'), 'Δ\\ι');
  assert.equal(set.decode(b(`${ESC}-F\xc4\\\xe9`), 'ST'), 'Δ\\ι');
  assert.equal(set.decode(b(`${ESC}-F\xc4\\\xe9`), 'UT'), 'Δ\\ι');
});

test('decode: the initial designations return at CR, LF, FF and TAB', () => {
  const greek = cs('ISO 2022 IR 100\\ISO 2022 IR 126');
  for (const control of ['\r\n', '\n', '\r', '\f', '\t']) {
    assert.equal(greek.decode(b(`${ESC}-F\xc4${control}\xe9`), 'LT'), `Δ${control}é`);
  }
  // G0: after LF, bytes < 0x80 are ASCII again (';3' rather than 山).
  const jis = cs('\\ISO 2022 IR 87');
  assert.equal(jis.decode(b(`${ESC}$B;3\r\n;3`), 'LT'), '山\r\n;3');
  // In a 94x94 G0 set, '^' '=' '\' are halves of characters, not delimiters: ま is 0x245E.
  assert.equal(jis.decode(b(`${ESC}$B$^$=${ESC}(B`), 'PN'), 'まそ');
  assert.equal(jis.decode(b(`${ESC}$B$^${ESC}(B^`), 'PN'), 'ま^');
});

test('encode: returns to the initial set before delimiters, control characters and the end', () => {
  const greek = cs('ISO 2022 IR 100\\ISO 2022 IR 126');
  assert.deepEqual(greek.encode('Δ^é', 'PN'), b(`${ESC}-F\xc4${ESC}-A^\xe9`));
  assert.deepEqual(greek.encode('Δ=Δ', 'PN'), b(`${ESC}-F\xc4${ESC}-A=${ESC}-F\xc4${ESC}-A`));
  assert.deepEqual(greek.encode('Δ^é', 'LO'), b(`${ESC}-F\xc4^${ESC}-A\xe9`)); // '^' is text in LO
  assert.deepEqual(greek.encode('Δ\\Δ', 'LO'), b(`${ESC}-F\xc4${ESC}-A\\${ESC}-F\xc4${ESC}-A`));
  assert.deepEqual(greek.encode('Δ\\Δ', 'LT'), b(`${ESC}-F\xc4\\\xc4${ESC}-A`)); // '\' is text in LT
  assert.deepEqual(greek.encode('Δ\r\nΔ', 'LT'), b(`${ESC}-F\xc4${ESC}-A\r\n${ESC}-F\xc4${ESC}-A`));
  assert.deepEqual(greek.encode('Δ\tΔ', 'ST'), b(`${ESC}-F\xc4${ESC}-A\t${ESC}-F\xc4${ESC}-A`));
  const jis = cs('\\ISO 2022 IR 87');
  assert.deepEqual(jis.encode('山\r\n山', 'LT'), b(`${ESC}$B;3${ESC}(B\r\n${ESC}$B;3${ESC}(B`));
  assert.deepEqual(jis.encode('山 田', 'LO'), b(`${ESC}$B;3${ESC}(B ${ESC}$BED${ESC}(B`));
  assert.deepEqual(jis.encode('山\\田', 'LO'), b(`${ESC}$B;3${ESC}(B\\${ESC}$BED${ESC}(B`));
  // G1 with no initial G1: no return escape exists, the designation is repeated after the delimiter.
  const korean = cs('\\ISO 2022 IR 149');
  assert.deepEqual(korean.encode('홍\r\n홍 홍', 'LT'), b(`${ESC}$)C\xc8\xab\r\n${ESC}$)C\xc8\xab \xc8\xab`));
  for (const [set, text] of [
    [greek, 'Δ^é\r\nΔ'],
    [jis, '山\r\n山 田\\x'],
    [korean, '홍\r\n홍 홍'],
  ] as const) {
    for (const vr of ['PN', 'LO', 'LT'] as const) assert.equal(set.decode(set.encode(text, vr), vr), text);
  }
});

test('decode: lenient G1 (GR bytes with no G1 designated use the declared G1 set)', () => {
  // Some writers designate once and rely on it after a delimiter; others send raw EUC-KR.
  const korean = cs('\\ISO 2022 IR 149');
  assert.equal(korean.decode(b(`${ESC}$)C\xc8\xab^\xb1\xe6\xb5\xbf`), 'PN'), '홍^길동');
  assert.equal(korean.decode(b('\xc8\xab'), 'PN'), '홍');
  // Without any G1 set declared, GR bytes are read as ISO 8859-1.
  assert.equal(cs('\\ISO 2022 IR 87').decode(b('\xe9'), 'PN'), 'é');
});

// ---------------------------------------------------------------------------------------------------------
// warnings, invalid input, special cases
// ---------------------------------------------------------------------------------------------------------

test('unknown terms: warning, default repertoire, never a throw', () => {
  const unknown = cs('ISO_IR 999');
  assert.equal(unknown.isDefault, true);
  assert.equal(unknown.warnings.length, 1);
  assert.match(unknown.warnings[0]!, /ISO_IR 999/);
  assert.equal(unknown.decode(b('Buc^J\xe9r\xf4me'), 'PN'), 'Buc^Jérôme');
  const partly = cs('\\ISO 2022 IR 87\\NONSENSE');
  assert.match(partly.warnings.join(';'), /NONSENSE/);
  assert.equal(partly.decode(b(`${ESC}$B;3ED${ESC}(B`), 'PN'), '山田');
  // Non-standard spellings are understood, with a warning.
  const alias = cs('ISO-IR 100');
  assert.match(alias.warnings.join(';'), /non-standard/);
  assert.equal(alias.decode(b('\xe9'), 'PN'), 'é');
  assert.equal(cs('UTF-8').decode(Buffer.from('é', 'utf8'), 'PN'), 'é');
  // dcm4che#869: ISO_IR 13 (no extensions) as value 1 of a multi-valued set.
  const mixed = cs('ISO_IR 13\\ISO 2022 IR 87');
  assert.equal(mixed.warnings.length, 1);
  assert.equal(mixed.decode(b(`\xd4\xcf^${ESC}$B;3${ESC}(J`), 'PN'), 'ﾔﾏ^山');
  // A multi-byte set cannot be value 1, but is honoured with a warning (common with Korean).
  const korean = cs('ISO 2022 IR 149');
  assert.equal(korean.warnings.length, 1);
  assert.equal(korean.decode(b('\xc8\xab^\xb1\xe6\xb5\xbf'), 'PN'), '홍^길동');
  assert.deepEqual(korean.encode('홍^길동', 'PN'), b('\xc8\xab^\xb1\xe6\xb5\xbf'));
  // UTF-8 with other values: the others are ignored.
  const utf8 = cs('ISO_IR 192\\ISO 2022 IR 87');
  assert.equal(utf8.warnings.length, 1);
  assert.equal(utf8.decode(Buffer.from('山', 'utf8'), 'PN'), '山');
});

test('invalid bytes decode to U+FFFD and never throw', () => {
  const F = '\ufffd';
  assert.equal(cs('ISO_IR 192').decode(bytes('ff fe 41'), 'PN'), `${F}${F}A`);
  assert.equal(cs('ISO_IR 192').decode(bytes('e5 b1'), 'PN'), F); // truncated 3-byte sequence
  assert.equal(cs('\\ISO 2022 IR 87').decode(b(`${ESC}$B;`), 'PN'), F); // half a JIS pair
  assert.equal(cs('\\ISO 2022 IR 87').decode(b(`${ESC}$B;\r`), 'LT'), `${F}\r`);
  assert.equal(cs('\\ISO 2022 IR 87').decode(b(`${ESC}$B)!${ESC}(B`), 'PN'), F); // unassigned row 9
  assert.equal(cs('\\ISO 2022 IR 149').decode(b(`${ESC}$)C\xc8A`), 'PN'), `${F}A`);
  assert.equal(cs('\\ISO 2022 IR 58').decode(b(`${ESC}$)A\xaa\xa1`), 'PN'), F); // user-defined row
  assert.equal(cs('\\ISO 2022 IR 87').decode(b(`a${ESC}(Zb`), 'PN'), `a${F}b`); // unknown escape
  assert.equal(cs('\\ISO 2022 IR 87').decode(b(`a${ESC}`), 'PN'), `a${F}`); // truncated escape
  assert.equal(cs('ISO_IR 127').decode(b('\xa1'), 'PN'), F);
  assert.equal(cs('GB18030').decode(bytes('81'), 'PN'), F);
  // Random bytes through every set and VR: no exception, one or fewer characters per byte.
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed >> 16;
  };
  const values = [
    undefined,
    'ISO_IR 100',
    'ISO_IR 13',
    'ISO_IR 166',
    'ISO_IR 192',
    'GB18030',
    'GBK',
    '\\ISO 2022 IR 87\\ISO 2022 IR 159',
    'ISO 2022 IR 13\\ISO 2022 IR 87',
    '\\ISO 2022 IR 149',
    '\\ISO 2022 IR 58',
    'ISO 2022 IR 100\\ISO 2022 IR 126\\ISO 2022 IR 144',
  ];
  for (let n = 0; n < 300; n++) {
    const data = Buffer.alloc(random() % 40);
    for (let i = 0; i < data.length; i++) data[i] = random() % 3 === 0 ? 0x1b : random() & 0xff;
    for (const value of values) {
      for (const vr of ['PN', 'LO', 'LT'] as const) {
        const text = cs(value).decode(data, vr);
        assert.ok(text.length <= data.length * 2);
        cs(value).encode(text, vr); // must not throw either
      }
    }
  }
});

test('GBK vs GB18030: the 4-byte sequences are GB18030 only', () => {
  const emoji = bytes('94 39 fc 36');
  assert.equal(cs('GB18030').decode(emoji, 'LO'), '\u{1F600}');
  assert.deepEqual(cs('GB18030').encode('\u{1F600}', 'LO'), emoji);
  assert.deepEqual(cs('GB18030').encode('€', 'LO'), bytes('a2 e3'));
  const gbk = cs('GBK');
  const text = gbk.decode(emoji, 'LO');
  assert.ok(text.includes('\ufffd'), JSON.stringify(text));
  assert.ok(!text.includes('\u{1F600}'));
  const warnings: string[] = [];
  assert.deepEqual(gbk.encode('王\u{1F600}', 'LO', warnings), bytes('cd f5 3f'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /U\+1F600/);
  assert.ok(gbk.warnings.some((w) => w.includes('U+1F600')));
  assert.equal(gbk.canEncode('王^小東'), true);
  assert.equal(gbk.canEncode('\u{1F600}'), false);
  // Both read the GBK trail bytes below 0x80 (e.g. 0x5C) inside a character.
  assert.equal(gbk.decode(bytes('95 5c'), 'LO'), gbk.decode(bytes('95 5c'), 'LT'));
  assert.equal(cs('GBK').decode(bytes('95 5c'), 'LO').length, 1);
});

test('UTF-8: 4-byte characters and combining sequences', () => {
  const set = cs('ISO_IR 192');
  const text = '😀𠀋^Jose\u0301';
  const encoded = bytes('f0 9f 98 80 f0 a0 80 8b 5e 4a 6f 73 65 cc 81');
  assert.equal(set.decode(encoded, 'PN'), text);
  assert.deepEqual(set.encode(text, 'PN'), encoded);
  assert.equal([...set.decode(encoded, 'PN')].length, 8);
  // A lone surrogate cannot be written: '?' and a warning.
  const warnings: string[] = [];
  assert.deepEqual(set.encode('a\ud800b', 'LO', warnings), b('a?b'));
  assert.equal(warnings.length, 1);
});

test('characters no declared set has: ? and a warning', () => {
  const set = cs('\\ISO 2022 IR 87');
  const warnings: string[] = [];
  assert.deepEqual(set.encode('山Δ', 'PN', warnings), b(`${ESC}$B;3&$${ESC}(B`)); // Δ is in JIS X 0208 row 6
  assert.deepEqual(warnings, []);
  assert.deepEqual(set.encode('山ก', 'PN', warnings), b(`${ESC}$B;3${ESC}(B?`));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /U\+0E01/);
  assert.ok(set.warnings.some((w) => w.includes('U+0E01')));
  assert.equal(set.canEncode('山田'), true);
  assert.equal(set.canEncode('ก'), false);
  // ESC itself cannot be written into an ISO 2022 value.
  assert.deepEqual(cs('\\ISO 2022 IR 87').encode(`a${ESC}(Bb`, 'LO'), b('a?(Bb'));
  const latin2: string[] = [];
  assert.deepEqual(cs('ISO_IR 101').encode('Dvořák ß € ก', 'PN', latin2), b('Dvo\xf8\xe1k \xdf ? ?'));
  assert.equal(latin2.length, 2);
});

test('default repertoire and VRs outside Specific Character Set: bytes as ISO 8859-1', () => {
  const def = SpecificCharacterSet.DEFAULT;
  assert.equal(def.isDefault, true);
  assert.deepEqual(def.terms, []);
  assert.equal(def.decode(b('Smith^John'), 'PN'), 'Smith^John');
  assert.equal(def.decode(b('M\xfcller'), 'PN'), 'Müller');
  assert.equal(SpecificCharacterSet.fromValue(undefined), def);
  assert.equal(SpecificCharacterSet.fromValue(''), def);
  assert.equal(SpecificCharacterSet.fromValue('  '), def);
  const utf8 = cs('ISO_IR 192');
  assert.equal(utf8.isDefault, false);
  for (const vr of ['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'TM', 'UI', 'UR'] as const) {
    assert.equal(utf8.decode(b('A\xe9\xff'), vr), 'A\xe9\xff', vr);
    assert.equal(cs('\\ISO 2022 IR 87').decode(b(`${ESC}$B;3`), vr), `${ESC}$B;3`, vr);
  }
  const warnings: string[] = [];
  assert.deepEqual(def.encode('Müller', 'PN', warnings), b('M\xfcller'));
  assert.equal(warnings.length, 1); // not in the default repertoire, kept as its Latin-1 byte
  assert.deepEqual(def.encode('山', 'PN'), b('?'));
});

test('fromValue: trims each term, caches instances, keeps the terms', () => {
  const a = cs('\\ISO 2022 IR 87 ');
  assert.deepEqual(a.terms, ['', 'ISO 2022 IR 87']);
  assert.equal(a.isIso2022, true);
  assert.equal(cs('\\ISO 2022 IR 87 '), a);
  assert.equal(cs('ISO_IR 100'), cs('ISO_IR 100'));
  assert.deepEqual(cs(' ISO_IR 100 ').terms, ['ISO_IR 100']);
  assert.equal(cs(' ISO_IR 100 ').decode(b('\xe9'), 'LO'), 'é');
  assert.deepEqual(cs('ISO 2022 IR 6\\ISO 2022 IR 100').terms, ['ISO 2022 IR 6', 'ISO 2022 IR 100']);
  assert.equal(cs('ISO_IR 192').isIso2022, false);
});

test('decode takes any Uint8Array and ASCII takes the fast path', () => {
  const data = new Uint8Array([0x41, 0x5e, 0x42]);
  for (const value of [undefined, 'ISO_IR 192', '\\ISO 2022 IR 87', 'GB18030', 'ISO_IR 13']) {
    assert.equal(cs(value).decode(data, 'PN'), 'A^B');
    assert.equal(cs(value).decode(new Uint8Array(0), 'PN'), '');
  }
  const big = new Uint8Array(200_000).fill(0x41);
  assert.equal(cs('\\ISO 2022 IR 87').decode(big, 'UT').length, 200_000);
  const kanji = Buffer.concat([b(`${ESC}$B`), Buffer.alloc(100_000, 0x30), b(`${ESC}(B`)]);
  assert.equal(cs('\\ISO 2022 IR 87').decode(kanji, 'UT').length, 50_000);
});
