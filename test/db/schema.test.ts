import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/ini.js';
import { DicomSql, defaultDicomSqlText } from '../../src/db/dicom-sql.js';
import {
  buildSchema,
  columnFor,
  createStatements,
  type DicomSchema,
  dropStatements,
  quoteIdentifier,
  type SqlDialect,
  schemaFingerprint,
  tableFingerprints,
  tableOf,
  truncateColumnName,
} from '../../src/db/schema.js';

// better-sqlite3 (the project's SQLite driver) has no bundled types; the few calls used here are typed locally.
interface Statement {
  all(...params: unknown[]): Record<string, unknown>[];
}
interface SqliteDb {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}
const require = createRequire(import.meta.url);
const Sqlite = require('better-sqlite3') as new (path: string) => SqliteDb;

const DEFAULT = DicomSql.parse(defaultDicomSqlText());
const SCHEMA = buildSchema(DEFAULT);

/** The expected level tables: name → columns (name and declared type), as Conquest 1.5.0c creates them. */
const BOOKKEEPING = ['AccessTime int', 'qTimeStamp int', 'qFlags int', 'qSpare varchar(64)'];
const EXPECTED: Record<string, string[]> = {
  DICOMWorkList: [
    'AccessionN varchar(16)',
    'PatientID varchar(64)',
    'PatientNam varchar(64)',
    'PatientBir char(8)',
    'PatientSex varchar(16)',
    'MedicalAle varchar(64)',
    'ContrastAl varchar(64)',
    'StudyInsta varchar(64)',
    'ReqPhysici varchar(64)',
    'ReqProcDes varchar(64)',
    'Modality varchar(16)',
    'ReqContras varchar(64)',
    'ScheduledA varchar(16)',
    'StartDate char(8)',
    'StartTime varchar(16)',
    'PerfPhysic varchar(64)',
    'SchedPSDes varchar(64)',
    'SchedPSID varchar(16)',
    'SchedStati varchar(16)',
    'SchedPSLoc varchar(16)',
    'PreMedicat varchar(64)',
    'SchedPSCom varchar(64)',
    'ReqProcID varchar(16)',
    'ReqProcPri varchar(16)',
    ...BOOKKEEPING,
  ],
  DICOMPatients: [
    'PatientID varchar(64)',
    'PatientNam varchar(64)',
    'PatientBir char(8)',
    'PatientSex varchar(16)',
    ...BOOKKEEPING,
  ],
  DICOMStudies: [
    'StudyInsta varchar(64)',
    'StudyDate char(8)',
    'StudyTime varchar(16)',
    'StudyID varchar(16)',
    'StudyDescr varchar(64)',
    'AccessionN varchar(16)',
    'ReferPhysi varchar(64)',
    'PatientsAg varchar(16)',
    'PatientsWe varchar(16)',
    'StudyModal varchar(64)',
    'PatientNam varchar(64)',
    'PatientBir char(8)',
    'PatientSex varchar(16)',
    'PatientID varchar(64)',
    ...BOOKKEEPING,
  ],
  DICOMSeries: [
    'SeriesInst varchar(64)',
    'SeriesNumb varchar(12)',
    'SeriesDate char(8)',
    'SeriesTime varchar(16)',
    'SeriesDesc varchar(64)',
    'Modality varchar(16)',
    'PatientPos varchar(16)',
    'ContrastBo varchar(64)',
    'Manufactur varchar(64)',
    'ModelName varchar(64)',
    'BodyPartEx varchar(64)',
    'ProtocolNa varchar(64)',
    'StationNam varchar(16)',
    'Institutio varchar(64)',
    'FrameOfRef varchar(64)',
    'SeriesPat varchar(64)',
    'StudyInsta varchar(64)',
    ...BOOKKEEPING,
  ],
  DICOMImages: [
    'SOPInstanc varchar(64)',
    'SOPClassUI varchar(64)',
    'ImageNumbe varchar(12)',
    'ImageDate char(8)',
    'ImageTime varchar(16)',
    'EchoNumber varchar(64)',
    'NumberOfFr varchar(12)',
    'AcqDate char(8)',
    'AcqTime varchar(16)',
    'ReceivingC varchar(16)',
    'AcqNumber varchar(12)',
    'SliceLocat varchar(16)',
    'SamplesPer varchar(5)',
    'PhotoMetri varchar(16)',
    'QRows varchar(5)',
    'QColumns varchar(5)',
    'BitsStored varchar(5)',
    'ImageType varchar(128)',
    'ImageID varchar(16)',
    'ImagePat varchar(64)',
    'SeriesInst varchar(64)',
    ...BOOKKEEPING,
    'ObjectFile varchar(255)',
    'DeviceName varchar(32)',
  ],
  UIDMODS: [
    'MODTime int',
    'OldUID varchar(64)',
    'MODType varchar(32)',
    'NewUID varchar(64)',
    'Stage varchar(32)',
    'Annotation varchar(64)',
  ],
};

/** Expected indices: table → index name → columns (primary keys not included). */
const EXPECTED_INDICES: Record<string, Record<string, string[]>> = {
  DICOMWorkList: {},
  DICOMPatients: {},
  DICOMStudies: {
    study_lnk: ['PatientID'],
    idx_patientid: ['PatientSex'],
    idx_patientid_studyinsta: ['PatientID', 'StudyInsta'],
  },
  DICOMSeries: {
    series_lnk: ['StudyInsta'],
    series_pat: ['SeriesPat'],
    idx_studyinsta_seriesinst: ['StudyInsta', 'SeriesInst'],
  },
  DICOMImages: {
    images_lnk: ['SeriesInst'],
    images_pat: ['ImagePat'],
    idx_seriesinst_sopinstanc: ['SeriesInst', 'SOPInstanc'],
  },
  UIDMODS: {
    mods_old: ['OldUID'],
    mods_stage: ['Stage'],
    mods_joint: ['OldUID', 'Stage'],
    mods_back: ['NewUID', 'Stage'],
  },
};

const PRIMARY_KEYS: Record<string, string | undefined> = {
  DICOMWorkList: undefined,
  DICOMPatients: 'PatientID',
  DICOMStudies: 'StudyInsta',
  DICOMSeries: 'SeriesInst',
  DICOMImages: 'SOPInstanc',
  UIDMODS: undefined,
};

function withDb<T>(f: (db: SqliteDb) => T): T {
  const db = new Sqlite(':memory:');
  try {
    return f(db);
  } finally {
    db.close();
  }
}

function createIn(db: SqliteDb, schema: DicomSchema, options = {}): void {
  for (const s of createStatements(schema, 'sqlite', options)) db.exec(s);
}

/** The schema as SQLite reports it: tables → columns, primary key, user indices. */
function introspect(db: SqliteDb) {
  const out: Record<string, { columns: string[]; pk: string[]; indices: Record<string, string[]> }> = {};
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid").all();
  for (const { name } of tables) {
    const t = String(name);
    const info = db.prepare(`PRAGMA table_info(${quoteIdentifier('sqlite', t)})`).all();
    const indices: Record<string, string[]> = {};
    for (const idx of db.prepare(`PRAGMA index_list(${quoteIdentifier('sqlite', t)})`).all()) {
      if (idx['origin'] !== 'c') continue; // 'pk' is the primary key's automatic index
      const cols = db.prepare(`PRAGMA index_info(${quoteIdentifier('sqlite', String(idx['name']))})`).all();
      indices[String(idx['name'])] = cols.map((c) => String(c['name']));
    }
    out[t] = {
      columns: info.map((c) => `${c['name']} ${String(c['type']).toLowerCase()}`), // SQLite reports int as INT
      pk: info
        .filter((c) => Number(c['pk']) > 0)
        .map((c) => `${c['name']}${c['notnull'] ? ' NOT NULL' : ''}`),
      indices,
    };
  }
  return out;
}

describe('schema: the tables Conquest 1.5.0c makes from the default dicom.sql', () => {
  it('has the six tables in creation order, with their columns, keys and indices', () => {
    assert.deepEqual(
      SCHEMA.tables.map((t) => t.name),
      ['DICOMWorkList', 'DICOMPatients', 'DICOMStudies', 'DICOMSeries', 'DICOMImages', 'UIDMODS'],
    );
    for (const t of SCHEMA.tables) {
      assert.deepEqual(
        t.columns.map(
          (c) => `${c.name} ${c.type.base === 'int' ? 'int' : `${c.type.base}(${c.type.length})`}`,
        ),
        EXPECTED[t.name],
        t.name,
      );
      assert.equal(t.primaryKey, PRIMARY_KEYS[t.name], t.name);
      assert.deepEqual(
        Object.fromEntries(t.indices.map((i) => [i.name, i.columns])),
        EXPECTED_INDICES[t.name],
        t.name,
      );
    }
    assert.deepEqual(SCHEMA.warnings, []);
  });

  it('creates them in SQLite, as PRAGMA table_info and index_list show', () => {
    withDb((db) => {
      createIn(db, SCHEMA);
      const got = introspect(db);
      assert.deepEqual(Object.keys(got), Object.keys(EXPECTED));
      for (const [table, columns] of Object.entries(EXPECTED)) {
        assert.deepEqual(got[table]!.columns, columns, table);
        const pk = PRIMARY_KEYS[table];
        assert.deepEqual(got[table]!.pk, pk ? [`${pk} NOT NULL`] : [], table);
        assert.deepEqual(got[table]!.indices, EXPECTED_INDICES[table], table);
      }
      // Users' SQL (ExportFilter, dbquery) is unquoted and mixed case: it must find the same tables.
      db.exec(
        "INSERT INTO DICOMPatients (PatientID, PatientNam, AccessTime) VALUES ('0009703828', 'HEAD^EXP', 1)",
      );
      const rows = db.prepare("SELECT patientnam FROM dicompatients WHERE PATIENTID = '0009703828'").all();
      assert.deepEqual(rows, [{ PatientNam: 'HEAD^EXP' }]);
      assert.throws(() => db.exec("INSERT INTO DICOMPatients (PatientID) VALUES ('0009703828')"), /UNIQUE/);
    });
  });

  it('can drop and create again, and create IF NOT EXISTS over an existing schema', () => {
    withDb((db) => {
      createIn(db, SCHEMA);
      createIn(db, SCHEMA, { ifNotExists: true });
      for (const s of dropStatements(SCHEMA, 'sqlite')) db.exec(s);
      assert.deepEqual(
        db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')").all(),
        [],
      );
      createIn(db, SCHEMA);
      assert.equal(Object.keys(introspect(db)).length, 6);
    });
  });

  it('maps tags to columns per level, with keys, links and denormalised copies', () => {
    const study = SCHEMA.levels.Study!;
    assert.equal(study.table, 'DICOMStudies');
    assert.equal(study.upper, 'Patient');
    assert.deepEqual([study.key.column, study.key.role], ['StudyInsta', 'key']);
    assert.deepEqual(
      [study.link!.column, study.link!.role, study.link!.copyOf],
      ['PatientID', 'link', 'Patient'],
    );
    const name = study.byTag.get(0x00100010)!;
    assert.deepEqual(
      [name.column, name.writtenColumn, name.role, name.copyOf],
      ['PatientNam', 'PatientName', 'copy', 'Patient'],
    );
    const time = study.byTag.get(0x00080030)!;
    assert.deepEqual([time.dicomType, time.matchType, time.length], ['DT_TIME', 'DT_DATE', 16]);
    assert.equal(study.byTag.get(0x00080061)!.multiValued, true);
    assert.equal(study.byColumn.get('studymodal')!.tag, 0x00080061);

    const image = SCHEMA.levels.Image!;
    assert.deepEqual(
      [
        image.byTag.get(0x00100020)!.column,
        image.byTag.get(0x00100020)!.role,
        image.byTag.get(0x00100020)!.copyOf,
      ],
      ['ImagePat', 'copy', 'Patient'],
    );
    assert.equal(image.link!.column, 'SeriesInst');
    assert.equal(image.tags.length, 21);
    assert.equal(columnFor(SCHEMA, 'Series', 0x00100020)!.column, 'SeriesPat');
    assert.equal(columnFor(SCHEMA, 'Series', 0x00100010), undefined);
    assert.equal(columnFor(SCHEMA, 'Patient', 0x00100030)!.length, 8);

    const wl = SCHEMA.levels.WorkList!;
    assert.equal(wl.link, undefined);
    assert.equal(wl.tags.length, 24);
    assert.deepEqual(wl.byTag.get(0x00080060)!.sequence, [0x00400100]);
    assert.deepEqual(wl.byTag.get(0x00400002)!.hl7, 'OBR.7.DATE');
    assert.deepEqual(wl.byTag.get(0x00401001)!.sequence, []);
    assert.equal(wl.byTag.get(0x00100020)!.role, 'field');
    assert.deepEqual(Object.keys(SCHEMA.levels).sort(), ['Image', 'Patient', 'Series', 'Study', 'WorkList']);
    assert.equal(tableOf(SCHEMA, 'dicomimages')!.level, 'Image');
  });
});

describe('schema: TruncateFieldNames, MaxFieldLength, table names, simple mode', () => {
  it('truncates column names at 10 by default, at n when asked, not at all with 0', () => {
    assert.equal(truncateColumnName('PhotoMetricInterpretation', 10), 'PhotoMetri');
    assert.equal(truncateColumnName('QRows', 10), 'QRows');
    const names = (s: DicomSchema) => tableOf(s, 'DICOMImages')!.columns.map((c) => c.name);
    assert.ok(names(SCHEMA).every((n) => n.length <= 10));
    const full = buildSchema(DEFAULT, { truncateFieldNames: 0 });
    assert.ok(names(full).includes('PhotoMetricInterpretation'));
    assert.equal(full.levels.Image!.key.column, 'SOPInstanceUID');
    assert.deepEqual(
      tableOf(full, 'DICOMImages')!.indices.find((i) => i.name === 'idx_seriesinst_sopinstanc')!.columns,
      ['SeriesInstanceUID', 'SOPInstanceUID'],
    );
    const twelve = buildSchema(DEFAULT, { truncateFieldNames: 12 });
    assert.equal(twelve.levels.Study!.key.column, 'StudyInstanc');
    withDb((db) => {
      createIn(db, full);
      assert.equal(introspect(db)['DICOMImages']!.columns[13], 'PhotoMetricInterpretation varchar(16)');
    });
  });

  it('refuses names that clash after truncation, with the line', () => {
    const sql = DicomSql.parse(defaultDicomSqlText());
    sql.insertField('Series', 1, {
      group: 0x0020,
      element: 0x0011,
      column: 'SeriesNumberAlt',
      length: 12,
      sqlType: 'SQL_C_CHAR',
      dicomType: 'DT_STR',
    });
    assert.throws(
      () => buildSchema(sql),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.line === 82 &&
        /column "SeriesNumber" of \*Series\* becomes SeriesNumb \(after truncation to 10 characters\), the same as "SeriesNumberAlt" on line 81/.test(
          e.message,
        ),
    );
    assert.doesNotThrow(() => buildSchema(sql, { truncateFieldNames: 0 }));
    const clash = DicomSql.parse(defaultDicomSqlText());
    clash.setField('Image', 1, { column: 'ObjectFile' });
    assert.throws(
      () => buildSchema(clash),
      /has the name of a column Conquest adds to DICOMImages \(ObjectFile\)/,
    );
  });

  it('caps lengths at MaxFieldLength, ObjectFile included', () => {
    const s = buildSchema(DEFAULT, { maxFieldLength: 32 });
    const image = tableOf(s, 'DICOMImages')!;
    const type = (n: string) => image.columns.find((c) => c.name === n)!.type;
    assert.deepEqual(type('ImageType'), { base: 'varchar', length: 32 });
    assert.deepEqual(type('ImageNumbe'), { base: 'varchar', length: 12 });
    assert.deepEqual(type('ImageDate'), { base: 'char', length: 8 });
    assert.deepEqual(type('ObjectFile'), { base: 'varchar', length: 32 });
    assert.deepEqual(type('qSpare'), { base: 'varchar', length: 64 });
    assert.equal(s.levels.Image!.byTag.get(0x00080008)!.length, 32);
    assert.deepEqual(
      tableOf(buildSchema(DEFAULT, { maxFieldLength: 1000 }), 'DICOMImages')!.columns.find(
        (c) => c.name === 'ObjectFile',
      )!.type,
      { base: 'varchar', length: 255 },
    );
  });

  it('uses the table names of dicom.ini', () => {
    const s = buildSchema(DEFAULT, { tableNames: { Patient: 'Pats', Image: 'Imgs' } });
    assert.deepEqual(
      s.tables.map((t) => t.name),
      ['DICOMWorkList', 'Pats', 'DICOMStudies', 'DICOMSeries', 'Imgs', 'UIDMODS'],
    );
    assert.equal(tableOf(s, 'Imgs')!.indices[0]!.table, 'Imgs');
    assert.throws(() => buildSchema(DEFAULT, { tableNames: { Study: 'dicompatients' } }), /same name/);
  });

  it('simple mode (InitializeTables mode 1) makes no primary keys and no indices', () => {
    const s = buildSchema(DEFAULT, { simple: true });
    assert.ok(s.tables.every((t) => t.indices.length === 0 && t.primaryKey === undefined));
    withDb((db) => {
      createIn(db, s);
      const got = introspect(db);
      assert.ok(Object.values(got).every((t) => t.pk.length === 0 && Object.keys(t.indices).length === 0));
    });
  });

  it('skips an index whose column the table lacks, with a warning', () => {
    const sql = DicomSql.parse(defaultDicomSqlText());
    sql.removeField('Study', 12); // PatientSex: idx_patientid is on the study column named like Patient's last field
    const s = buildSchema(sql);
    assert.equal(
      tableOf(s, 'DICOMStudies')!
        .indices.map((i) => i.name)
        .join(),
      'study_lnk,idx_patientid_studyinsta',
    );
    assert.match(s.warnings[0]!, /index idx_patientid is not made: DICOMStudies has no column PatientSex/);
    withDb((db) => createIn(db, s));
  });
});

describe('schema: dialects', () => {
  it('quotes identifiers per dialect; PostgreSQL in lower case', () => {
    assert.equal(quoteIdentifier('sqlite', 'DICOMPatients'), '"DICOMPatients"');
    assert.equal(quoteIdentifier('postgres', 'DICOMPatients'), '"dicompatients"');
    assert.equal(quoteIdentifier('mysql', 'DICOMPatients'), '`DICOMPatients`');
    assert.equal(quoteIdentifier('sqlite', 'a"b'), '"a""b"');
    assert.equal(quoteIdentifier('mysql', 'a`b'), '`a``b`');
    const pg = createStatements(SCHEMA, 'postgres');
    assert.equal(
      pg[1],
      'CREATE TABLE "dicompatients" ("patientid" varchar(64) PRIMARY KEY NOT NULL, "patientnam" varchar(64), "patientbir" char(8), ' +
        '"patientsex" varchar(16), "accesstime" int, "qtimestamp" int, "qflags" int, "qspare" varchar(64))',
    );
    const my = createStatements(SCHEMA, 'mysql');
    assert.equal(my[3], 'CREATE INDEX `study_lnk` ON `DICOMStudies` (`PatientID`)');
    assert.equal(my.length, 6 + 13);
    assert.equal(createStatements(SCHEMA, 'mysql', { ifNotExists: true }).length, 6);
    assert.equal(createStatements(SCHEMA, 'sqlite', { tables: ['uidmods'] }).length, 5);
    assert.deepEqual(dropStatements(SCHEMA, 'postgres', ['DICOMWorkList']), [
      'DROP TABLE IF EXISTS "dicomworklist"',
    ]);
  });

  /** Runs the statements through a local server's command-line client, when there is one. */
  function viaClient(dialect: Exclude<SqlDialect, 'sqlite'>, t: { skip(message: string): void }): void {
    const db = `cq_schema_test_${process.pid}`;
    const statements = createStatements(SCHEMA, dialect).map((s) => `${s};`);
    const probe =
      dialect === 'postgres'
        ? spawnSync('psql', ['-X', '-q', '-d', 'test', '-c', 'SELECT 1'], { encoding: 'utf8' })
        : spawnSync('mariadb', ['-u', 'root', '-e', 'SELECT 1'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      const why = `no local ${dialect} server reachable with its command-line client`;
      // .ci/run starts the servers and sets CONQUEST_REQUIRE_DB=1: there, a missing server is a failure.
      if (process.env['CONQUEST_REQUIRE_DB'] === '1')
        assert.fail(`${why}: ${probe.error?.message ?? probe.stderr}`);
      t.skip(why);
      return;
    }
    const script =
      dialect === 'postgres'
        ? [
            `CREATE SCHEMA ${db};`,
            `SET search_path TO ${db};`,
            ...statements,
            // Unquoted, mixed-case SQL as users write it:
            "INSERT INTO DICOMImages (SOPInstanc, ImagePat, SeriesInst) VALUES ('1.2.3', 'P1', '1.2');",
            "SELECT ObjectFile, DeviceName FROM DICOMImages WHERE SOPInstanc = '1.2.3' AND ImagePat = 'P1';",
            `SELECT indexname FROM pg_indexes WHERE schemaname = '${db}' ORDER BY indexname;`,
            `DROP SCHEMA ${db} CASCADE;`,
          ]
        : [
            `CREATE DATABASE ${db};`,
            `USE ${db};`,
            ...statements,
            "INSERT INTO DICOMImages (SOPInstanc, ImagePat, SeriesInst) VALUES ('1.2.3', 'P1', '1.2');",
            "SELECT ObjectFile, DeviceName FROM DICOMImages WHERE SOPInstanc = '1.2.3' AND ImagePat = 'P1';",
            `SELECT index_name FROM information_schema.statistics WHERE table_schema = '${db}' AND index_name <> 'PRIMARY' GROUP BY index_name ORDER BY index_name;`,
            `DROP DATABASE ${db};`,
          ];
    const args =
      dialect === 'postgres'
        ? ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', 'test']
        : ['-u', 'root', '--batch', '--skip-column-names'];
    const run = spawnSync(dialect === 'postgres' ? 'psql' : 'mariadb', args, {
      input: script.join('\n'),
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const names = Object.values(EXPECTED_INDICES).flatMap((i) => Object.keys(i));
    const pkIndices =
      dialect === 'postgres'
        ? ['dicomimages_pkey', 'dicompatients_pkey', 'dicomseries_pkey', 'dicomstudies_pkey']
        : [];
    assert.deepEqual(
      run.stdout
        .split('\n')
        .filter((l) => /^[a-z_]+$/.test(l))
        .sort(),
      [...names, ...pkIndices].sort(),
    );
  }

  it('the PostgreSQL statements run on a local server', (t) => viaClient('postgres', t));
  it('the MySQL statements run on a local MariaDB/MySQL server', (t) => viaClient('mysql', t));
});

describe('schema: fingerprint', () => {
  const base = schemaFingerprint(SCHEMA);

  it('is a stable hex SHA-256, the same from the model as from the schema', () => {
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(schemaFingerprint(DEFAULT), base);
    assert.equal(schemaFingerprint(buildSchema(DicomSql.parse(defaultDicomSqlText()))), base);
  });

  it('does not change with comments, spacing, DT_STR → DT_ISTR or HL7 tags (no regen needed)', () => {
    const text = defaultDicomSqlText()
      .replace('# Format for DICOM databases :', '# Edited by the user')
      .replace('*Patient*\n{', '/* extra */\n*Patient*\n{\n')
      .replace(
        '{ 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_STR },',
        '{0x10,0x10,"PatientName",64,SQL_C_CHAR,DT_ISTR},',
      )
      .replace('"PID.5"', '"PID.5.1"')
      .replace(/\n/g, '\r\n');
    const sql = DicomSql.parse(text);
    assert.equal(sql.fields('Patient')[1]!.dicomType, 'DT_ISTR');
    assert.equal(schemaFingerprint(sql), base);
    assert.deepEqual(tableFingerprints(sql), tableFingerprints(SCHEMA));
  });

  it('changes when a field changes, and tells which table', () => {
    const changed = (edit: (s: DicomSql) => void, options = {}) => {
      const sql = DicomSql.parse(defaultDicomSqlText());
      edit(sql);
      return buildSchema(sql, options);
    };
    const variants: [string, DicomSchema][] = [
      ['length', changed((s) => s.setField('Study', 3, { length: 32 }))],
      ['column', changed((s) => s.setField('Series', 6, { column: 'PatPosition' }))],
      ['tag', changed((s) => s.setField('Image', 2, { element: 0x0014 }))],
      ['type', changed((s) => s.setField('Image', 12, { dicomType: 'DT_STR' }))],
      ['sql type', changed((s) => s.setField('Image', 3, { sqlType: 'SQL_C_CHAR' }))],
      [
        'added',
        changed((s) =>
          s.insertField('Image', 2, {
            group: 0x20,
            element: 0x20,
            column: 'PatientOri',
            length: 16,
            sqlType: 'SQL_C_CHAR',
            dicomType: 'DT_STR',
          }),
        ),
      ],
      ['removed', changed((s) => s.removeField('Image', 2))],
      ['worklist', changed((s) => s.setField('WorkList', 5, { length: 128 }))],
      ['truncation', changed(() => {}, { truncateFieldNames: 0 })],
      ['max length', changed(() => {}, { maxFieldLength: 64 })],
      ['table name', changed(() => {}, { tableNames: { Series: 'Series' } })],
      ['simple', changed(() => {}, { simple: true })],
    ];
    const seen = new Set([base]);
    for (const [what, s] of variants) {
      const f = schemaFingerprint(s);
      assert.ok(!seen.has(f), what);
      seen.add(f);
    }
    const before = tableFingerprints(SCHEMA);
    const after = tableFingerprints(variants.find(([w]) => w === 'worklist')![1]);
    assert.deepEqual(
      Object.keys(after).filter((k) => after[k] !== before[k]),
      ['DICOMWorkList'],
    );
  });
});
