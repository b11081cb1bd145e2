/**
 * --initializetables (Conquest's InitializeTables): drop the index tables and make them again, empty.
 *   mode 0: every table of dicom.sql (worklist, patient, study, series, image) and UIDMODS, with indices;
 *   mode 1: the same without primary keys and indices (Conquest's "simple" tables);
 *   mode 2: only the worklist table.
 * Then the indexer's cache is cleared: it would otherwise skip writing rows it believes are there.
 */
import { DicomSql } from '../../db/dicom-sql.js';
import { createMetaTable, writeMeta } from '../../db/introspect.js';
import {
  buildSchema,
  createStatements,
  type DicomSchema,
  dropStatements,
  schemaFingerprint,
} from '../../db/schema.js';
import type { Archive } from '../archive.js';
import { MaintenanceError, type MaintenanceOptions, requireIndex } from './common.js';

export type InitializeMode = 0 | 1 | 2;

export interface InitializeResult {
  /** The tables made, in creation order. */
  readonly tables: readonly string[];
  readonly indices: number;
}

export async function initializeTables(
  archive: Archive,
  mode: InitializeMode,
  options: MaintenanceOptions,
): Promise<InitializeResult> {
  const ix = requireIndex(archive, '--initializetables');
  const dialect = ix.driver.dialect;
  const layout = mode === 1 ? simpleSchema(ix.schema) : ix.schema;
  let names: string[];
  if (mode === 2) {
    const worklist = layout.levels.WorkList;
    if (!worklist) throw new MaintenanceError(`${layout.file} defines no *WorkList* table`);
    names = [worklist.table];
  } else names = layout.tables.map((t) => t.name);
  const statements = [
    ...dropStatements(layout, dialect, names),
    ...createStatements(layout, dialect, { tables: names }),
  ];
  await ix.driver.transaction(async (tx) => {
    for (const s of statements) await tx.run(s);
    // The fingerprint of the dicom.sql layout, also after mode 1: the columns are the same, and a start
    // must not then ask for a regen because the tables lack their indices on purpose.
    await createMetaTable(tx);
    await writeMeta(tx, 'schema_fingerprint', schemaFingerprint(ix.schema));
    ix.indexer.clearCache();
  });
  ix.indexer.clearCache();
  const indices = statements.filter((s) => s.startsWith('CREATE INDEX')).length;
  options.log.info(`initialized tables ${names.join(', ')} (${indices} indices)`);
  return { tables: names, indices };
}

/** The same layout without primary keys and indices (InitializeTables mode 1). */
function simpleSchema(schema: DicomSchema): DicomSchema {
  const sql = DicomSql.read(schema.file);
  return buildSchema(sql, {
    truncateFieldNames: schema.options.truncateFieldNames,
    maxFieldLength: schema.options.maxFieldLength,
    tableNames: schema.options.tableNames,
    simple: true,
  });
}
