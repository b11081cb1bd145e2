/**
 * QIDO-RS (PS3.18 10.6): search for studies, series and instances. The query parameters become a C-FIND
 * identifier and go through the C-FIND engine (src/archive/query.ts, Study Root), so matching is exactly
 * what a DICOM C-FIND gets, on every index driver:
 * - `{attribute}={value}` by keyword or tag (`PatientName=DOE^*`, `00100010=DOE^*`); wildcards `*` `?`, date
 *   and time ranges (`20190101-20191231`), UID lists (comma- or backslash-separated);
 * - `fuzzymatching=true`: Person Name attributes match case-insensitively, and a value without a wildcard
 *   matches names that start with it (this server's fuzzy matching; PS3.18 leaves the kind to the server);
 * - `includefield=` a list (comma-separated and/or repeated) of keywords or tags, or `all` (every attribute
 *   the index holds for the level and the levels above);
 * - `limit`, `offset`: paging in the database (at most MAX_RESULTS; more gives a Warning header).
 * Every response has the attributes PS3.18 Tables 10.6.3-3..5 require that the index can give, with
 * Instance Availability ONLINE and the Retrieve URL (0008,1190) of each match.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildQuery, QueryError, type QueryLevel, resultToDataset } from '../../archive/query.js';
import type { DicomSchema, IndexedTag, LevelMapping } from '../../db/schema.js';
import { Dataset, defaultVR } from '../../dicom/dataset.js';
import { lookupTag, tagForKeyword } from '../../dicom/dictionary/index.js';
import { type DicomJsonObject, datasetToJson, dicomJsonToString } from '../../dicom/json.js';
import type { Tag } from '../../dicom/tag.js';
import { isStringVR, type VR } from '../../dicom/vr.js';
import type { WebContext } from '../context.js';
import { acceptsType, parseAccept } from '../media/media-type.js';
import { WebRequestError } from './common.js';

/** Matches returned at most per request (a larger limit is cut, with a Warning header). */
export const MAX_RESULTS = 10_000;

export type QidoLevel = 'study' | 'series' | 'instance';

const T = {
  StudyDate: 0x00080020,
  StudyTime: 0x00080030,
  AccessionNumber: 0x00080050,
  InstanceAvailability: 0x00080056,
  ModalitiesInStudy: 0x00080061,
  ReferringPhysicianName: 0x00080090,
  StudyDescription: 0x00081030,
  RetrieveURL: 0x00081190,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  StudyInstanceUID: 0x0020000d,
  StudyID: 0x00200010,
  NumberOfStudyRelatedSeries: 0x00201206,
  NumberOfStudyRelatedInstances: 0x00201208,
  Modality: 0x00080060,
  SeriesDate: 0x00080021,
  SeriesDescription: 0x0008103e,
  SeriesInstanceUID: 0x0020000e,
  SeriesNumber: 0x00200011,
  NumberOfSeriesRelatedInstances: 0x00201209,
  PerformedProcedureStepStartDate: 0x00400244,
  PerformedProcedureStepStartTime: 0x00400245,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  InstanceNumber: 0x00200013,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  NumberOfFrames: 0x00280008,
  QueryRetrieveLevel: 0x00080052,
} as const;

/** PS3.18 Table 10.6.3-3 (study), -4 (series), -5 (instance): the required return attributes. */
const REQUIRED: Record<QidoLevel, readonly Tag[]> = {
  study: [
    T.StudyDate,
    T.StudyTime,
    T.AccessionNumber,
    T.ModalitiesInStudy,
    T.ReferringPhysicianName,
    T.PatientName,
    T.PatientID,
    T.PatientBirthDate,
    T.PatientSex,
    T.StudyInstanceUID,
    T.StudyID,
    T.NumberOfStudyRelatedSeries,
    T.NumberOfStudyRelatedInstances,
    T.StudyDescription,
  ],
  series: [
    T.Modality,
    T.SeriesDescription,
    T.SeriesInstanceUID,
    T.SeriesNumber,
    T.NumberOfSeriesRelatedInstances,
    T.PerformedProcedureStepStartDate,
    T.PerformedProcedureStepStartTime,
  ],
  instance: [
    T.SOPClassUID,
    T.SOPInstanceUID,
    T.InstanceNumber,
    T.Rows,
    T.Columns,
    T.BitsAllocated,
    T.NumberOfFrames,
  ],
};

const QUERY_LEVEL: Record<QidoLevel, QueryLevel> = { study: 'STUDY', series: 'SERIES', instance: 'IMAGE' };
const RESERVED = new Set(['limit', 'offset', 'includefield', 'fuzzymatching']);
const NUMERIC_BINARY = new Set<VR>(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'UV', 'SV']);

export interface QidoScope {
  level: QidoLevel;
  /** From the path (/studies/{study}/series...). */
  study?: string;
  series?: string;
}

/** A tag from a keyword or 8 hex digits, or a 400. */
export function attributeTag(name: string): Tag {
  if (/^[0-9A-Fa-f]{8}$/.test(name)) return Number.parseInt(name, 16);
  if (name.includes('.'))
    throw new WebRequestError(400, 'nested (sequence) attribute paths are not supported in this version');
  const tag = /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) ? tagForKeyword(name) : undefined;
  if (tag === undefined) throw new WebRequestError(400, 'a query parameter is not a DICOM keyword or tag');
  return tag;
}

function vrOf(tag: Tag): VR {
  return lookupTag(tag)?.vrs[0] ?? defaultVR(tag);
}

function values(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

function intParam(v: unknown, name: string): number | undefined {
  const list = values(v);
  if (list.length === 0) return undefined;
  const text = list[list.length - 1]!;
  if (!/^\d{1,9}$/.test(text)) throw new WebRequestError(400, `${name} must be a whole number ≥ 0`);
  return Number(text);
}

/** The schema with Person Name columns matched case-insensitively (fuzzymatching=true); built once. */
const fuzzyCache = new WeakMap<DicomSchema, DicomSchema>();
function fuzzySchema(schema: DicomSchema): DicomSchema {
  const cached = fuzzyCache.get(schema);
  if (cached) return cached;
  const levels: Partial<Record<string, LevelMapping>> = {};
  for (const [name, m] of Object.entries(schema.levels)) {
    if (!m) continue;
    const byTag = new Map<number, IndexedTag>();
    for (const [tag, t] of m.byTag)
      byTag.set(tag, vrOf(tag) === 'PN' && t.matchType === 'DT_STR' ? { ...t, caseInsensitive: true } : t);
    levels[name] = { ...m, byTag };
  }
  const out = { ...schema, levels } as DicomSchema;
  fuzzyCache.set(schema, out);
  return out;
}

/** Every tag the index holds for the level and those above it (includefield=all). */
function allIndexed(schema: DicomSchema, level: QidoLevel): Tag[] {
  const names =
    level === 'study' ? ['Study'] : level === 'series' ? ['Series', 'Study'] : ['Image', 'Series', 'Study'];
  const out: Tag[] = [];
  for (const n of names) {
    const m = schema.levels[n as 'Study'];
    for (const t of m?.tags ?? []) if (t.sequence.length === 0) out.push(t.tag);
  }
  return out;
}

export interface QidoRequest {
  identifier: Dataset;
  limit: number | undefined;
  offset: number;
  fuzzy: boolean;
}

/** The C-FIND identifier for a QIDO-RS request. */
export function qidoIdentifier(
  schema: DicomSchema,
  scope: QidoScope,
  query: Record<string, unknown>,
): QidoRequest {
  const id = new Dataset();
  id.setStrings('QueryRetrieveLevel', QUERY_LEVEL[scope.level]);
  let fuzzy = false;
  const want = new Set<Tag>(REQUIRED[scope.level]);
  // Without the study in the path the upper levels' required attributes come too (PS3.18 10.6.3.3).
  if (scope.level !== 'study' && !scope.study) for (const t of REQUIRED.study) want.add(t);
  if (scope.level === 'instance' && !scope.series) for (const t of REQUIRED.series) want.add(t);
  for (const f of values(query['fuzzymatching'])) {
    if (f !== 'true' && f !== 'false') throw new WebRequestError(400, 'fuzzymatching must be true or false');
    fuzzy = f === 'true';
  }
  for (const entry of values(query['includefield']))
    for (const name of entry.split(',')) {
      const n = name.trim();
      if (n === '') continue;
      if (n.toLowerCase() === 'all') for (const t of allIndexed(schema, scope.level)) want.add(t);
      else want.add(attributeTag(n));
    }
  const match = new Map<Tag, string>();
  for (const [key, raw] of Object.entries(query)) {
    if (RESERVED.has(key.toLowerCase())) continue;
    const tag = attributeTag(key);
    const list = values(raw);
    const text = list[list.length - 1] ?? '';
    if (/[\r\n\0]/.test(text) || text.length > 1024)
      throw new WebRequestError(400, 'a query value holds control characters or is too long');
    match.set(tag, text);
  }
  if (scope.study) match.set(T.StudyInstanceUID, scope.study);
  if (scope.series) match.set(T.SeriesInstanceUID, scope.series);
  for (const t of want) if (!match.has(t)) match.set(t, '');
  for (const [tag, text] of match) {
    if (tag === T.QueryRetrieveLevel || tag === T.RetrieveURL || tag === T.InstanceAvailability) continue;
    const vr = vrOf(tag);
    let v = text;
    if (vr === 'UI') v = v.replace(/,/g, '\\');
    if (fuzzy && vr === 'PN' && v !== '' && !/[*?]/.test(v)) v = `${v}*`;
    if (vr === 'SQ') id.setSequence(tag, []);
    else if (NUMERIC_BINARY.has(vr)) {
      const nums = v === '' ? [] : v.split('\\').map(Number);
      if (nums.some((n) => !Number.isFinite(n)))
        throw new WebRequestError(400, 'a numeric query value is not a number');
      id.setNumbers(tag, nums, vr);
    } else if (isStringVR(vr)) id.setStrings(tag, v === '' ? [] : v.split('\\'), vr);
    else id.setBytes(tag, vr, Buffer.alloc(0));
  }
  return {
    identifier: id,
    limit: intParam(query['limit'], 'limit'),
    offset: intParam(query['offset'], 'offset') ?? 0,
    fuzzy,
  };
}

/** The URL DICOMweb answers under: from the Host header when it is a plain host[:port], else relative. */
export function serviceRoot(request: FastifyRequest): string {
  const host = request.headers.host ?? '';
  const proto = request.protocol === 'https' ? 'https' : 'http';
  return /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)
    ? `${proto}://${host}/dicom-web`
    : '/dicom-web';
}

/** 406 unless the client takes DICOM JSON (application/dicom+json, application/json, or a wildcard). */
export function requireJsonAccept(request: FastifyRequest): void {
  const accept = parseAccept(request.headers.accept);
  if (accept.some((a) => acceptsType(a, 'application/dicom+json') || a.type === 'application/json')) return;
  throw new WebRequestError(
    406,
    'this server answers searches and metadata in application/dicom+json only (multipart/related; type="application/dicom+xml" is not supported)',
  );
}

export async function qido(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  scope: QidoScope,
): Promise<void> {
  requireJsonAccept(request);
  const index = ctx.archive.index;
  const query = (request.query ?? {}) as Record<string, unknown>;
  if (!index) {
    await reply.type('application/dicom+json').send('[]');
    return;
  }
  const q = qidoIdentifier(index.schema, scope, query);
  const server = ctx.config().server;
  let built: ReturnType<typeof buildQuery>;
  try {
    built = buildQuery(q.fuzzy ? fuzzySchema(index.schema) : index.schema, {
      model: 'STUDY',
      level: QUERY_LEVEL[scope.level],
      identifier: q.identifier,
      dialect: index.driver.dialect,
      computedFields: server.enableComputedFields,
    });
  } catch (e) {
    if (e instanceof QueryError) throw new WebRequestError(400, e.message);
    throw e;
  }
  const limit = Math.min(q.limit ?? MAX_RESULTS, MAX_RESULTS);
  let sql = built.sql;
  if (!/ ORDER BY /.test(sql)) {
    // Paging needs a stable order: the level's unique key.
    const keyTag =
      scope.level === 'study'
        ? T.StudyInstanceUID
        : scope.level === 'series'
          ? T.SeriesInstanceUID
          : T.SOPInstanceUID;
    const key = built.columns.find((c) => c.tag === keyTag && c.alias);
    if (key?.alias) sql += ` ORDER BY ${key.alias}`;
  }
  // Both numbers are validated integers: literal, not parameters (PostgreSQL's $n are already numbered).
  sql += ` LIMIT ${limit + 1} OFFSET ${q.offset}`;
  const rows = await index.driver.all(sql, built.params as never);
  if (rows.length > limit) {
    rows.length = limit;
    // Only when the server cut the answer: a client paging with its own limit expects more.
    if (q.limit === undefined || q.limit > limit)
      reply.header(
        'Warning',
        `299 ${ctx.aeTitle.replace(/[^A-Za-z0-9_-]/g, '') || 'conquest'} "There are more matches than the ${limit} returned: use limit and offset"`,
      );
  }
  const root = serviceRoot(request);
  const out: DicomJsonObject[] = [];
  for (const row of rows) {
    const ds = resultToDataset(row, built.columns, q.identifier);
    ds.delete(T.QueryRetrieveLevel);
    const json = datasetToJson(ds, { inlineBinary: false });
    json['00080056'] = { vr: 'CS', Value: ['ONLINE'] };
    const study = ds.string(T.StudyInstanceUID);
    const series = ds.string(T.SeriesInstanceUID);
    const sop = ds.string(T.SOPInstanceUID);
    let url = `${root}/studies/${study}`;
    if (scope.level !== 'study') url += `/series/${series}`;
    if (scope.level === 'instance') url += `/instances/${sop}`;
    json['00081190'] = { vr: 'UR', Value: [url] };
    out.push(json);
  }
  await reply.type('application/dicom+json').send(dicomJsonToString(out));
}
