/**
 * --query/--query2 output as Conquest's dgate.cpp prints it (fmt through printf, fields repeated, `*`
 * separators, every n-th row for query2), and what the where clause and field list may hold.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Archive } from '../../../src/archive/archive.js';
import { formatRows, runSqlQuery } from '../../../src/archive/maintenance/sql-query.js';
import { Dataset } from '../../../src/dicom/dataset.js';
import { openTestArchive, tempServerDir } from './support.js';

const rows = [
  { PatientID: 'P1', PatientNam: 'DOE^JOHN' },
  { PatientID: 'P2', PatientNam: null },
  { PatientID: 'P3', PatientNam: 'ROE^JANE' },
];

describe('--query output format (as Conquest prints it)', () => {
  it('no fmt: "%s " per field and a newline per row', () => {
    assert.equal(formatRows(rows, '', 0), 'P1 DOE^JOHN \nP2  \nP3 ROE^JANE \n');
  });

  it('fmt: printf with the fields in order, a newline appended', () => {
    assert.equal(
      formatRows(rows, 'id=%s name=%s', 0),
      'id=P1 name=DOE^JOHN\nid=P2 name=\nid=P3 name=ROE^JANE\n',
    );
  });

  it('fmt ending in *: rows separated by * and no newline', () => {
    assert.equal(formatRows(rows, '%s*', 0), 'P1*P2*P3');
  });

  it('more %s than fields repeat the fields; %0.0s skips one; widths as in C; %% is a percent', () => {
    const one = (fields: Record<string, string>, fmt: string): string => formatRows([fields], `${fmt}*`, 0);
    assert.equal(one({ a: 'a', b: 'b' }, '%s|%s|%s|%s'), 'a|b|a|b');
    assert.equal(one({ a: 'a', b: 'b' }, '%0.0s%s'), 'b');
    assert.equal(one({ a: 'ab', b: 'cd', c: 'efgh' }, '[%-4s][%4s][%.2s]'), '[ab  ][  cd][ef]');
    assert.equal(one({ a: 'x' }, '100%% %s'), '100% x');
  });

  it('query2 max: every ceil(count/max)-th row, all rows when there are fewer', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ n: String(i) }));
    assert.equal(formatRows(many, '%s', 3), '0\n4\n8\n');
    assert.equal(formatRows(many, '%s', 20), many.map((r) => `${r.n}\n`).join(''));
  });

  it('NULL prints as nothing, values are cut at 255 characters', () => {
    assert.equal(formatRows([{ a: 'x'.repeat(300) }], '%s', 0), `${'x'.repeat(255)}\n`);
  });
});

describe('--query on the index', () => {
  let dir: string;
  let archive: Archive;
  before(async () => {
    dir = tempServerDir('cq-sqlquery-');
    archive = await openTestArchive(dir);
    for (const [id, name] of [
      ['Q1', 'ALPHA^A'],
      ['Q2', 'BETA^B'],
    ]) {
      const ds = new Dataset();
      ds.setStrings('PatientID', id!);
      ds.setStrings('PatientName', name!);
      ds.setStrings('StudyInstanceUID', `1.2.3.${id!.slice(1)}`);
      ds.setStrings('SeriesInstanceUID', `1.2.3.${id!.slice(1)}.1`);
      ds.setStrings('SOPInstanceUID', `1.2.3.${id!.slice(1)}.1.1`);
      await archive.indexer!.index({ header: ds, deviceName: 'MAG0', objectFile: `${id}.dcm` });
    }
  });
  after(async () => {
    await archive.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('selects the fields of a table, with a where clause', async () => {
    const all = await runSqlQuery(archive, {
      table: 'dicompatients',
      fields: 'PatientID,PatientNam',
      where: '',
      format: '',
    });
    assert.equal(all.split('\n').sort().join('\n'), ['', 'Q1 ALPHA^A ', 'Q2 BETA^B '].join('\n'));
    const one = await runSqlQuery(archive, {
      table: 'DICOMPatients',
      fields: 'DICOMPatients.PatientNam',
      where: "PatientID = 'Q2'",
      format: '<%s>',
    });
    assert.equal(one, '<BETA^B>\n');
  });

  it('refuses other tables, expressions as fields, and ; or comments in where', async () => {
    const q = (table: string, fields: string, where = '') =>
      runSqlQuery(archive, { table, fields, where, format: '' });
    await assert.rejects(q('sqlite_master', 'name'), /is not one of/);
    await assert.rejects(q('DICOMPatients', 'count(*)'), /not a column name/);
    await assert.rejects(
      q('DICOMPatients', 'PatientID', '1=1; DELETE FROM DICOMPatients'),
      /may not contain/,
    );
    await assert.rejects(q('DICOMPatients', 'PatientID', '1=1 -- x'), /may not contain/);
    await assert.rejects(q('DICOMPatients', 'PatientID', 'nosuchcolumn = 1'), /--query: .*no such column/);
  });

  it('a where clause may use subqueries on other tables (SELECT semantics)', async () => {
    const r = await runSqlQuery(archive, {
      table: 'DICOMPatients',
      fields: 'PatientID',
      where: "PatientID IN (SELECT PatientID FROM DICOMStudies WHERE StudyInsta = '1.2.3.2')",
      format: '%s*',
    });
    assert.equal(r, 'Q2');
  });
});
