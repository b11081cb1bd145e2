/**
 * Query/Retrieve Service Class, C-FIND SCP (PS3.4 Annex C.4.1): Patient Root, Study Root and Patient/Study
 * Only information models. The identifier becomes parameterised SQL over the index (src/archive/query.ts);
 * each match goes back as a pending response as it is produced; C-CANCEL ends the operation with Cancel.
 */
import {
  buildQuery,
  QueryError,
  type QueryLevel,
  type QueryModel,
  resultToDataset,
} from '../archive/query.js';
import type { DbExecutor } from '../db/driver.js';
import type { DicomSchema } from '../db/schema.js';
import type { Dataset } from '../dicom/dataset.js';
import type { DicomParseError } from '../dicom/errors.js';
import { parseDicom } from '../dicom/reader.js';
import { writeDataset } from '../dicom/writer.js';
import { readDataSet } from '../net/association.js';
import { Status } from '../net/dimse/status.js';
import type { ServiceRequest } from '../net/server.js';

/** The FIND SOP classes and their information models (PS3.4 C.6). */
export const FIND_MODELS: ReadonlyMap<string, QueryModel> = new Map([
  ['1.2.840.10008.5.1.4.1.2.1.1', 'PATIENT'],
  ['1.2.840.10008.5.1.4.1.2.2.1', 'STUDY'],
  ['1.2.840.10008.5.1.4.1.2.3.1', 'PATIENTSTUDYONLY'],
]);

/** Matches per write, at most (and bytes): small enough that C-CANCEL is seen soon. */
const FIND_BATCH = 64;
const FIND_BATCH_BYTES = 256 << 10;

const LEVELS: ReadonlySet<string> = new Set(['PATIENT', 'STUDY', 'SERIES', 'IMAGE']);

export interface FindScpOptions {
  schema: DicomSchema;
  db: DbExecutor;
  /** EnableComputedFields. */
  computedFields: boolean;
  /** The *QuerySortOrder value for a level, if set. */
  sortOrder: (level: QueryLevel) => string | undefined;
  /** QueriesReturnISO_IR (0: off). */
  queriesReturnIsoIr: number;
  /** This server's AE title, for a requested Retrieve AE Title (0008,0054). */
  aeTitle: string;
}

export function findScp(options: FindScpOptions): (req: ServiceRequest) => Promise<void> {
  return async (req) => {
    const { command, context, dataSet } = req.message;
    const sopClass = command.affectedSopClassUid ?? context.abstractSyntax;
    const model = FIND_MODELS.get(sopClass);
    const refuse = async (status: number, why: string): Promise<void> => {
      req.log.warn(
        `C-FIND from ${req.association.callingAETitle} refused (0x${status.toString(16).toUpperCase()}): ${why}`,
      );
      await req.respond({ status, errorComment: why.slice(0, 64) });
    };
    if (!dataSet)
      return refuse(Status.IdentifierDoesNotMatchSopClass, 'C-FIND request without an identifier');
    const bytes = await readDataSet(dataSet);
    if (!model)
      return refuse(
        Status.SopClassNotSupported,
        `${sopClass} is not a C-FIND information model of this server`,
      );
    let identifier: Dataset;
    try {
      identifier = parseDicom(bytes, { transferSyntax: context.transferSyntax }).dataset;
    } catch (e) {
      return refuse(Status.UnableToProcess, `identifier cannot be read: ${(e as DicomParseError).message}`);
    }
    const level = (identifier.string('QueryRetrieveLevel') ?? '').toUpperCase();
    if (!LEVELS.has(level))
      return refuse(
        Status.IdentifierDoesNotMatchSopClass,
        `Query/Retrieve Level '${level}' is not one of PATIENT, STUDY, SERIES, IMAGE`,
      );
    let query: ReturnType<typeof buildQuery>;
    try {
      const sort = options.sortOrder(level as QueryLevel);
      query = buildQuery(options.schema, {
        model,
        level: level as QueryLevel,
        identifier,
        dialect: options.db.dialect,
        computedFields: options.computedFields,
        ...(sort ? { sort } : {}),
      });
    } catch (e) {
      if (e instanceof QueryError) return refuse(e.status, e.message);
      throw e;
    }
    req.log.debug(`C-FIND ${model} root, ${level}: ${query.sql} [${query.params.join(', ')}]`, 2);
    const rows = await options.db.all(query.sql, query.params as never);
    let sent = 0;
    // Matches go out in batches (one write each): per-message writes cost more than encoding them.
    let batch: { fields: { status: number }; dataSet: Buffer }[] = [];
    let batchBytes = 0;
    for (const row of rows) {
      if (req.cancelled.aborted) {
        req.log.info(`C-FIND cancelled by ${req.association.callingAETitle} after ${sent} matches`);
        await req.respond({ status: Status.Cancel });
        return;
      }
      const response = resultToDataset(row, query.columns, identifier, {
        queriesReturnIsoIr: options.queriesReturnIsoIr,
        retrieveAETitle: options.aeTitle,
      });
      const bytes = writeDataset(response, context.transferSyntax);
      batch.push({ fields: { status: Status.Pending }, dataSet: bytes });
      batchBytes += bytes.length;
      sent++;
      if (batch.length >= FIND_BATCH || batchBytes >= FIND_BATCH_BYTES) {
        await req.respondMany(batch);
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length) await req.respondMany(batch);
    req.log.debug(`C-FIND ${level}: ${sent} matches`, 1);
    await req.respond({ status: Status.Success });
  };
}
