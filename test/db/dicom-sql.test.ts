import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/ini.js';
import {
  type DICOM_SQL_LEVELS,
  DicomSql,
  defaultDicomSqlText,
  formatTag,
  isSequenceMarker,
  matchType,
  renderField,
} from '../../src/db/dicom-sql.js';

/** SHA-256 of the distribution's linux/conf/dicom.sql.sqlite (1.5.0c), 7804 bytes, LF. */
const DISTRIBUTION_SHA256 = 'e7eb1d9039211065848bdc91951cb556969832d8049c93e4efe77ba237d7e16d';

function columns(sql: DicomSql, level: (typeof DICOM_SQL_LEVELS)[number]): string[] {
  return sql.fields(level).map((f) => f.column);
}

/** The ConfigError a text gives, or a failure when it parses. */
function errorOf(text: string): ConfigError {
  try {
    DicomSql.parse(text, 'test.sql');
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail(`parsed without error:\n${text}`);
}

const MINIMAL = `*Patient*
{
\t{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }
}
*Study*
{
\t{ 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI },
\t{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }
}
*Series*
{
\t{ 0x0020, 0x000e, "SeriesInstanceUID", 64, SQL_C_CHAR, DT_UI },
\t{ 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI }
}
*Image*
{
\t{ 0x0008, 0x0018, "SOPInstanceUID", 64, SQL_C_CHAR, DT_UI },
\t{ 0x0020, 0x000e, "SeriesInstanceUID", 64, SQL_C_CHAR, DT_UI }
}
`;

describe('dicom.sql: the first-install default', () => {
  const text = defaultDicomSqlText();
  const sql = DicomSql.parse(text);

  it('is the distribution file byte for byte', () => {
    assert.equal(text.length, 7804);
    assert.equal(createHash('sha256').update(text).digest('hex'), DISTRIBUTION_SHA256);
    assert.ok(!text.includes('\r'));
  });

  it('has the five levels with the expected field counts, in file order', () => {
    assert.deepEqual(
      sql.levels.map((l) => [l.name, l.fields.length, l.line]),
      [
        ['Patient', 4, 50],
        ['Study', 14, 58],
        ['Series', 17, 78],
        ['Image', 21, 99],
        ['WorkList', 26, 124],
      ],
    );
    assert.deepEqual(sql.warnings, []);
  });

  it('has the expected fields', () => {
    assert.deepEqual(columns(sql, 'Patient'), ['PatientID', 'PatientName', 'PatientBirthDate', 'PatientSex']);
    assert.deepEqual(columns(sql, 'Study'), [
      'StudyInstanceUID',
      'StudyDate',
      'StudyTime',
      'StudyID',
      'StudyDescription',
      'AccessionNumber',
      'ReferPhysician',
      'PatientsAge',
      'PatientsWeight',
      'StudyModality',
      'PatientName',
      'PatientBirthDate',
      'PatientSex',
      'PatientID',
    ]);
    assert.deepEqual(columns(sql, 'Series').slice(-3), [
      'FrameOfReferenceUID',
      'SeriesPat',
      'StudyInstanceUID',
    ]);
    assert.deepEqual(columns(sql, 'Image').slice(12, 17), [
      'SamplesPerPixel',
      'PhotoMetricInterpretation',
      'QRows',
      'QColumns',
      'BitsStored',
    ]);
    assert.deepEqual(sql.fields('Patient')[2], {
      group: 0x0010,
      element: 0x0030,
      tag: 0x00100030,
      column: 'PatientBirthDate',
      length: 8,
      sqlType: 'SQL_C_DATE',
      dicomType: 'DT_DATE',
      hl7: undefined,
      line: 54,
    });
    const modality = sql.fields('Study').find((f) => f.column === 'StudyModality')!;
    assert.equal(modality.dicomType, 'DT_MSTR');
    assert.equal(modality.tag, 0x00080061);
    const rows = sql.fields('Image').find((f) => f.column === 'QRows')!;
    assert.deepEqual([rows.tag, rows.length, rows.dicomType], [0x00280010, 5, 'DT_UINT16']);
  });

  it('knows keys and links: the first field, and the last one of Study, Series and Image', () => {
    assert.equal(sql.key('Patient')!.column, 'PatientID');
    assert.equal(sql.link('Patient'), undefined);
    assert.equal(sql.key('Study')!.column, 'StudyInstanceUID');
    assert.equal(sql.link('Study')!.column, 'PatientID');
    assert.equal(sql.link('Series')!.tag, 0x0020000d);
    assert.equal(sql.link('Image')!.tag, 0x0020000e);
    assert.equal(sql.key('WorkList')!.column, 'AccessionNumber');
    assert.equal(sql.link('WorkList'), undefined);
  });

  it('reads the worklist HL7 column and sequence markers', () => {
    const wl = sql.fields('WorkList');
    assert.deepEqual(
      wl.slice(0, 3).map((f) => f.hl7),
      ['OBR.3', 'PID.4', 'PID.5'],
    );
    const markers = wl.filter((f) => isSequenceMarker(f.dicomType));
    assert.deepEqual(
      markers.map((f) => [formatTag(f.tag), f.column, f.length, f.dicomType, f.line]),
      [
        ['(0040,0100)', '--------', 0, 'DT_STARTSEQUENCE', 138],
        ['(0040,0100)', '---------', 0, 'DT_ENDSEQUENCE', 151],
      ],
    );
    const start = wl.find((f) => f.column === 'StartDate')!;
    assert.equal(start.hl7, 'OBR.7.DATE');
    assert.equal(wl[wl.length - 1]!.hl7, 'OBR.27');
  });

  it('treats DT_TIME as DT_DATE for matching, as parse.cpp does', () => {
    const time = sql.fields('Study').find((f) => f.column === 'StudyTime')!;
    assert.equal(time.dicomType, 'DT_TIME');
    assert.equal(matchType(time.dicomType), 'DT_DATE');
    assert.equal(matchType('DT_ISTR'), 'DT_ISTR');
  });
});

describe('dicom.sql: writing back', () => {
  it('gives the default byte for byte', () => {
    assert.equal(DicomSql.parse(defaultDicomSqlText()).toString(), defaultDicomSqlText());
  });

  it('keeps comments, odd layouts, CRLF and missing commas', () => {
    const text =
      '/* layout */\r\n\r\n*Patient*{{0x10,0x20,"PatientID",64,SQL_C_CHAR,DT_STR}}\r\n' +
      '/* between */ *Study*\r\n{\r\n  { 0x0020,0x000D , "StudyInstanceUID" , 0x40, SQL_C_CHAR, DT_UI }\r\n' +
      '  { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR },\r\n}\r\n' +
      '*Series* { { 32, 14, "SeriesInstanceUID", 64, SQL_C_CHAR, DT_UI }, { 32, 13, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI } }\r\n' +
      '*Image*\r\n{\r\n\t{ 0x0008, 0x0018, "SOPInstanceUID", 64, SQL_C_CHAR, DT_UI },\r\n' +
      '\t{ 0x0020, 0x000e, "SeriesInstanceUID", 64, SQL_C_CHAR, DT_UI }\r\n}';
    const sql = DicomSql.parse(text);
    assert.equal(sql.toString(), text);
    assert.equal(sql.fields('Patient')[0]!.tag, 0x00100020);
    assert.equal(sql.fields('Study')[0]!.length, 64);
    assert.equal(sql.fields('Study')[0]!.line, 6);
    assert.deepEqual(
      sql.fields('Series').map((f) => f.tag),
      [0x0020000e, 0x0020000d],
    );
    assert.equal(sql.has('WorkList'), false);
    assert.deepEqual(sql.fields('WorkList'), []);
  });

  it('writes a file read from disk back to the same bytes (Latin-1 and a BOM kept)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dicomsql-'));
    try {
      const latin = join(dir, 'latin.sql');
      const bytes = Buffer.concat([Buffer.from('/* caf\xe9 */\n', 'latin1'), Buffer.from(MINIMAL)]);
      writeFileSync(latin, bytes);
      const a = DicomSql.read(latin);
      assert.equal(a.format.encoding, 'latin1');
      a.write(join(dir, 'latin2.sql'));
      assert.deepEqual(readFileSync(join(dir, 'latin2.sql')), bytes);

      const bom = join(dir, 'bom.sql');
      const bomBytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(defaultDicomSqlText())]);
      writeFileSync(bom, bomBytes);
      const b = DicomSql.read(bom);
      assert.equal(b.format.bom, true);
      assert.equal(b.toString(), defaultDicomSqlText());
      b.write();
      assert.deepEqual(readFileSync(bom), bomBytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dicom.sql: errors name the file and line', () => {
  const cases: [string, string, number | undefined, RegExp][] = [
    ['a # comment outside /* */', `# layout\n${MINIMAL}`, 1, /comments must be \/\* \.\.\. \*\/ blocks/],
    [
      'an unknown DICOM type',
      MINIMAL.replace(
        '"PatientID", 64, SQL_C_CHAR, DT_STR }\n}',
        '"PatientID", 64, SQL_C_CHAR, DT_STRING }\n}',
      ),
      3,
      /unknown DICOM type 'DT_STRING'/,
    ],
    ['a lower-case type', MINIMAL.replace('DT_UI },', 'dt_ui },'), 7, /unknown DICOM type 'dt_ui'/],
    [
      'an unknown SQL type',
      MINIMAL.replace('64, SQL_C_CHAR, DT_UI },', '64, SQL_C_VARCHAR, DT_UI },'),
      7,
      /SQL type/,
    ],
    ['a missing comma', MINIMAL.replace('0x0020, 0x000d,', '0x0020 0x000d,'), 7, /',' after the group/],
    ['two commas after a field', MINIMAL.replace('DT_UI },\n', 'DT_UI },,\n'), 7, /found ','/],
    ['an unterminated comment', `${MINIMAL}\n/* unfinished`, 21, /without a closing/],
    ['a misspelt level', MINIMAL.replace('*Series*', '*Serie*'), 10, /expected a level/],
    [
      'an HL7 tag outside the worklist',
      MINIMAL.replace('DT_UI },', 'DT_UI, "OBR.3" },'),
      7,
      /only read in \*WorkList\*/,
    ],
    ['a level defined twice', `${MINIMAL}*Patient*\n{\n}\n`, 20, /defined twice \(first on line 1\)/],
    ['a missing level', MINIMAL.slice(0, MINIMAL.indexOf('*Image*')), undefined, /no \*Image\* level/],
    [
      'an empty level',
      MINIMAL.replace(/\*Patient\*\n\{\n[^\n]*\n\}/, '*Patient*\n{\n}'),
      1,
      /\*Patient\* has no fields/,
    ],
    ['an empty column name', MINIMAL.replace('"SOPInstanceUID"', '""'), 17, /empty column name/],
    ['a blank in a column name', MINIMAL.replace('"SOPInstanceUID"', '"SOP UID"'), 17, /contains a blank/],
    [
      'a column that is not an SQL name',
      MINIMAL.replace('"SOPInstanceUID"', '"SOP-UID"'),
      17,
      /not an SQL name/,
    ],
    ['a bad number', MINIMAL.replace('0x0008, 0x0018', '0x0008, 0xZZ'), 17, /found '0xZZ'/],
    ['a number too large', MINIMAL.replace('0x0008, 0x0018', '0x0008, 0x10018'), 17, /larger than 65535/],
    [
      'a comment inside a level',
      MINIMAL.replace('{\n\t{ 0x0008', '{\n/* x */\t{ 0x0008'),
      17,
      /comment inside \*Image\*/,
    ],
    ['a level never closed', MINIMAL.replace(/\}\n$/, ''), 15, /not closed with '\}'/],
    [
      'a missing field brace',
      MINIMAL.replace('DT_UI }\n}\n*Image*', 'DT_UI \n}\n*Image*'),
      15,
      /or the '\}' closing \*Series\*, found '\*Image\*'/,
    ],
    [
      'a duplicate column',
      MINIMAL.replace(
        '"StudyInstanceUID", 64, SQL_C_CHAR, DT_UI },',
        '"PatientId", 64, SQL_C_CHAR, DT_UI },',
      ),
      8,
      /column "PatientID" twice/,
    ],
    ['a zero length', MINIMAL.replace('"SOPInstanceUID", 64', '"SOPInstanceUID", 0'), 17, /length 0/],
    [
      'an unbalanced sequence',
      MINIMAL.replace(
        '"SOPInstanceUID", 64, SQL_C_CHAR, DT_UI },\n',
        '"SOPInstanceUID", 64, SQL_C_CHAR, DT_UI },\n\t{ 0x0040, 0x0100, "--", 0, SQL_C_CHAR, DT_STARTSEQUENCE },\n',
      ),
      18,
      /never closed with DT_ENDSEQUENCE/,
    ],
    [
      'a sequence marker as key',
      MINIMAL.replace(
        '{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }\n}',
        '{ 0x0040, 0x0100, "--", 0, SQL_C_CHAR, DT_STARTSEQUENCE }\n}',
      ),
      3,
      /first field of \*Patient\* \(its key\) cannot be DT_STARTSEQUENCE/,
    ],
  ];
  for (const [what, text, line, message] of cases) {
    it(what, () => {
      const e = errorOf(text);
      assert.equal(e.file, 'test.sql');
      assert.equal(e.line, line, e.message);
      assert.match(e.message, message);
      if (line !== undefined) assert.match(e.message, new RegExp(`^test\\.sql, line ${line}: `));
    });
  }

  it('warns when a link is not the key of the level above', () => {
    const sql = DicomSql.parse(
      MINIMAL.replace(
        '"StudyInstanceUID", 64, SQL_C_CHAR, DT_UI }\n}\n*Image*',
        '"StudyUID", 64, SQL_C_CHAR, DT_STR }\n}\n*Image*',
      ).replace('0x0020, 0x000d, "StudyUID"', '0x0020, 0x0010, "StudyUID"'),
      'test.sql',
    );
    assert.equal(sql.warnings.length, 1);
    assert.match(
      sql.warnings[0]!,
      /line 13: the last field of \*Series\* \(\(0020,0010\) "StudyUID"\) is its link to \*Study\*/,
    );
  });

  it('warns about a worklist field without an HL7 tag', () => {
    const sql = DicomSql.parse(
      `${MINIMAL}*WorkList*\n{\n\t{ 0x0008, 0x0050, "AccessionNumber", 16, SQL_C_CHAR, DT_STR, "OBR.3" },\n\t{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }\n}\n`,
    );
    assert.equal(sql.fields('WorkList')[1]!.hl7, undefined);
    assert.match(sql.warnings[0]!, /line 23: worklist field "PatientID" has no HL7 tag/);
  });
});

describe('dicom.sql: edits touch only their field', () => {
  it('setField changes one item and keeps the rest of the line', () => {
    const sql = DicomSql.parse(defaultDicomSqlText());
    sql.setField('Patient', 1, { dicomType: 'DT_ISTR' });
    const before = defaultDicomSqlText().split('\n');
    const after = sql.toString().split('\n');
    assert.equal(after.length, before.length);
    const changed = after.flatMap((l, i) => (l === before[i] ? [] : [i + 1]));
    assert.deepEqual(changed, [53]);
    assert.equal(after[52], '\t{ 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_ISTR },');
    assert.equal(sql.fields('Patient')[1]!.dicomType, 'DT_ISTR');

    sql.setField('WorkList', 0, {
      hl7: 'OBR.18',
      length: 32,
      column: 'AccNr',
      group: 0x0008,
      element: 0x0051,
    });
    assert.match(
      sql.toString(),
      /\n \t\{ 0x0008, 0x0051, "AccNr", {4}32, SQL_C_CHAR, DT_STR, {2}"OBR\.18" \},\n/,
    );
    sql.setField('WorkList', 0, { hl7: undefined });
    assert.match(sql.toString(), /\n \t\{ 0x0008, 0x0051, "AccNr", {4}32, SQL_C_CHAR, DT_STR \},\n/);
    sql.setField('WorkList', 0, { hl7: '---' });
    assert.match(sql.toString(), /\n \t\{ 0x0008, 0x0051, "AccNr", {4}32, SQL_C_CHAR, DT_STR, "---" \},\n/);
  });

  it('an edit that would break the file throws and changes nothing', () => {
    const sql = DicomSql.parse(defaultDicomSqlText());
    assert.throws(() => sql.setField('Patient', 0, { hl7: 'PID.3' }), ConfigError);
    assert.throws(() => sql.setField('Patient', 0, { column: 'has space' }), RangeError);
    assert.throws(() => sql.setField('Patient', 9, { length: 1 }), RangeError);
    assert.throws(() => sql.setField('Study', 1, { column: 'PatientID' }), /twice/);
    assert.equal(sql.toString(), defaultDicomSqlText());
  });

  it('insertField and removeField add and remove whole lines in Conquest layout', () => {
    const sql = DicomSql.parse(defaultDicomSqlText());
    const field = {
      group: 0x0010,
      element: 0x1000,
      column: 'OtherPatientIDs',
      length: 64,
      sqlType: 'SQL_C_CHAR',
      dicomType: 'DT_STR',
    } as const;
    sql.insertField('Patient', 2, field);
    assert.deepEqual(columns(sql, 'Patient'), [
      'PatientID',
      'PatientName',
      'OtherPatientIDs',
      'PatientBirthDate',
      'PatientSex',
    ]);
    assert.ok(
      sql
        .toString()
        .includes(
          '\t{ 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_STR },\n        { 0x0010, 0x1000, "OtherPatientIDs", 64, SQL_C_CHAR, DT_STR },\n        { 0x0010, 0x0030',
        ),
    );
    sql.removeField('Patient', 2);
    assert.equal(sql.toString(), defaultDicomSqlText());

    sql.insertField('Patient', 4, field);
    assert.ok(
      sql
        .toString()
        .includes(
          '"PatientSex", 16, SQL_C_CHAR, DT_STR },\n\t{ 0x0010, 0x1000, "OtherPatientIDs", 64, SQL_C_CHAR, DT_STR }\n}',
        ),
    );
    sql.removeField('Patient', 4);
    assert.ok(sql.toString().includes('"PatientSex", 16, SQL_C_CHAR, DT_STR },\n}'));
    assert.equal(columns(sql, 'Patient').length, 4);

    sql.insertField('WorkList', 1, { ...field, hl7: 'PID.3' });
    assert.ok(
      sql
        .toString()
        .includes(
          '\n \t{ 0x0010, 0x1000, "OtherPatientIDs", 64, SQL_C_CHAR, DT_STR, "PID.3" },\n \t{ 0x0010, 0x0020, "PatientID"',
        ),
    );
    assert.throws(() => sql.insertField('Patient', 9, field), RangeError);
  });

  it('renders a field in Conquest layout', () => {
    assert.equal(
      renderField({
        group: 0x28,
        element: 0x10,
        column: 'QRows',
        length: 5,
        sqlType: 'SQL_C_CHAR',
        dicomType: 'DT_UINT16',
      }),
      '{ 0x0028, 0x0010, "QRows", 5, SQL_C_CHAR, DT_UINT16 }',
    );
  });
});

describe('dicom.sql: layouts other than the default', () => {
  it('reads a denormalised layout where levels repeat tags of upper levels', () => {
    const text = MINIMAL.replace(
      '\t{ 0x0008, 0x0018, "SOPInstanceUID", 64, SQL_C_CHAR, DT_UI },\n',
      '\t{ 0x0008, 0x0018, "SOPInstanceUID", 64, SQL_C_CHAR, DT_UI },\n\t{ 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_ISTR },\n\t{ 0x0008, 0x0020, "StudyDate", 8, SQL_C_DATE, DT_DATE },\n\t{ 0x0028, 0x0100, "BitsAllocated", 5, SQL_C_CHAR, DT_UINT32 },\n\t{ 0x0018, 0x0050, "SliceThickness", 16, SQL_C_CHAR, DT_FD },\n',
    );
    const sql = DicomSql.parse(text);
    assert.deepEqual(columns(sql, 'Image'), [
      'SOPInstanceUID',
      'PatientName',
      'StudyDate',
      'BitsAllocated',
      'SliceThickness',
      'SeriesInstanceUID',
    ]);
    assert.equal(sql.toString(), text);
  });
});
