/**
 * Conquest's move commands (manual Appendix 5): ask a node (`(local)` = this server) to C-MOVE a patient,
 * study, series or image to a destination AE.
 *   --movepatient:source,dest,patid
 *   --movestudy:source,dest,patid:studyuid        (patid optional)
 *   --moveseries:source,dest,patid:seriesuid,studyuid
 *   --move:source,dest,patid,studyuid,seriesuid,sopuid
 *   --moveaccession:source,dest,patid:accession   (patid optional)
 *   --movestudies:source,dest,date(range)
 * The last two first ask the source (C-FIND, Study Root) which studies have that accession number or study
 * date, then move each study: Conquest sends AccessionNumber or StudyDate in the C-MOVE identifier itself,
 * which only a Conquest server understands (PS3.4 C.4.2.2.1 wants the unique keys).
 */
import { Dataset } from '../../dicom/dataset.js';
import { AssociationError } from '../../net/association.js';
import type { DicomClient, ProposedContext, RetrieveProgress } from '../../net/client.js';
import { formatStatus } from '../../net/dimse/status.js';
import { splitArgs, UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { type Peer, withPeer } from '../peer.js';

const PATIENT_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.1.2';
const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const NATIVE = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];

type Level = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

interface MoveKeys {
  patientId?: string | undefined;
  studyUid?: string | undefined;
  seriesUid?: string | undefined;
  sopUid?: string | undefined;
}

interface MoveSpec {
  source: string;
  destination: string;
  level: Level;
  keys: MoveKeys;
}

/** `patid:uid` — Conquest's way to give an optional patient ID in front of a UID. */
function patientAndUid(text: string): { patientId: string | undefined; uid: string } {
  const colon = text.indexOf(':');
  if (colon < 0) return { patientId: undefined, uid: text };
  return { patientId: text.slice(0, colon) || undefined, uid: text.slice(colon + 1) };
}

function sourceAndDestination(name: string, parts: string[]): { source: string; destination: string } {
  const [source, destination] = parts;
  if (!source || !destination)
    throw new UsageError(`--${name} needs a source and a destination: --${name}:source,dest,...`);
  return { source, destination };
}

export function parseMove(name: string, args: string): MoveSpec {
  const parts = splitArgs(args);
  const { source, destination } = sourceAndDestination(name, parts);
  if (name === 'movepatient') {
    if (!parts[2]) throw new UsageError('--movepatient:source,dest,patid');
    return { source, destination, level: 'PATIENT', keys: { patientId: parts[2] } };
  }
  if (name === 'movestudy') {
    const { patientId, uid } = patientAndUid(parts[2] ?? '');
    if (!uid) throw new UsageError('--movestudy:source,dest,patid:studyuid');
    return { source, destination, level: 'STUDY', keys: { patientId, studyUid: uid } };
  }
  if (name === 'moveseries') {
    const { patientId, uid } = patientAndUid(parts[2] ?? '');
    if (!uid) throw new UsageError('--moveseries:source,dest,patid:seriesuid,studyuid');
    return {
      source,
      destination,
      level: 'SERIES',
      keys: { patientId, seriesUid: uid, studyUid: parts[3] || undefined },
    };
  }
  const [, , patientId, studyUid, seriesUid, sopUid] = parts;
  const level = sopUid ? 'IMAGE' : seriesUid ? 'SERIES' : studyUid ? 'STUDY' : 'PATIENT';
  return {
    source,
    destination,
    level,
    keys: {
      patientId: patientId || undefined,
      studyUid: studyUid || undefined,
      seriesUid: seriesUid || undefined,
      sopUid: sopUid || undefined,
    },
  };
}

function identifierOf(level: Level, keys: MoveKeys): Dataset {
  const ds = new Dataset();
  ds.setStrings('QueryRetrieveLevel', level);
  if (keys.patientId) ds.setStrings('PatientID', keys.patientId);
  if (keys.studyUid) ds.setStrings('StudyInstanceUID', keys.studyUid);
  if (keys.seriesUid) ds.setStrings('SeriesInstanceUID', keys.seriesUid);
  if (keys.sopUid) ds.setStrings('SOPInstanceUID', keys.sopUid);
  return ds;
}

/** Patient Root for a patient (Study Root has no patient level) or when a patient ID is given, as Conquest does. */
function modelFor(level: Level, keys: MoveKeys): string {
  return level === 'PATIENT' || keys.patientId ? PATIENT_ROOT_MOVE : STUDY_ROOT_MOVE;
}

const MOVE_CONTEXTS: ProposedContext[] = [
  { abstractSyntax: PATIENT_ROOT_MOVE, transferSyntaxes: NATIVE },
  { abstractSyntax: STUDY_ROOT_MOVE, transferSyntaxes: NATIVE },
];

function summary(r: RetrieveProgress): string {
  return (
    `${r.status === 0 ? 'success' : formatStatus(r.status)}` +
    ` (${r.completed} completed, ${r.failed} failed, ${r.warning} warnings)`
  );
}

/** One C-MOVE on an open association; the line it prints says what moved where. */
async function moveOne(
  client: DicomClient,
  peer: Peer,
  destination: string,
  level: Level,
  keys: MoveKeys,
  ctx: CommandContext,
): Promise<RetrieveProgress> {
  const what = level.toLowerCase();
  const result = await client.move(modelFor(level, keys), destination, identifierOf(level, keys), (p) => {
    ctx.log.info(`C-MOVE ${what}: ${p.completed} done, ${p.failed} failed, ${p.remaining ?? '?'} to go`);
  });
  ctx.stdout.write(`C-MOVE of ${what} from ${peer.aeTitle} to ${destination}: ${summary(result)}\n`);
  return result;
}

export async function moveCommand(name: string, args: string, ctx: CommandContext): Promise<void> {
  const spec = parseMove(name, args);
  const result = await withPeer(spec.source, ctx, MOVE_CONTEXTS, (client, peer) =>
    moveOne(client, peer, spec.destination, spec.level, spec.keys, ctx),
  );
  if (result.status !== 0) throw new AssociationError(`C-MOVE answered with ${formatStatus(result.status)}`);
}

/** The studies (patient ID and study UID) the source finds for these Study Root keys. */
async function findStudies(client: DicomClient, keys: Record<string, string>): Promise<MoveKeys[]> {
  const identifier = new Dataset();
  identifier.setStrings('QueryRetrieveLevel', 'STUDY');
  identifier.setStrings('PatientID', keys['PatientID'] ?? '');
  identifier.setStrings('StudyInstanceUID', '');
  for (const [k, v] of Object.entries(keys)) if (k !== 'PatientID') identifier.setStrings(k, v);
  const { status, matches } = await client.findAll(STUDY_ROOT_FIND, identifier);
  if (status !== 0)
    throw new AssociationError(`C-FIND for the studies answered with ${formatStatus(status)}`);
  const seen = new Set<string>();
  const out: MoveKeys[] = [];
  for (const m of matches) {
    const studyUid = m.string('StudyInstanceUID');
    if (!studyUid || seen.has(studyUid)) continue;
    seen.add(studyUid);
    out.push({ patientId: m.string('PatientID') || undefined, studyUid });
  }
  return out;
}

/** Finds the studies, moves each; prints one line per study and a total; fails when any move did. */
async function moveFoundStudies(
  name: string,
  source: string,
  destination: string,
  keys: Record<string, string>,
  describe: string,
  ctx: CommandContext,
): Promise<void> {
  const contexts = [...MOVE_CONTEXTS, { abstractSyntax: STUDY_ROOT_FIND, transferSyntaxes: NATIVE }];
  const failures = await withPeer(source, ctx, contexts, async (client, peer) => {
    const studies = await findStudies(client, keys);
    ctx.stdout.write(`--${name}: ${studies.length} studies ${describe} on ${peer.aeTitle}\n`);
    let failed = 0;
    for (const study of studies) {
      // The move names the study by its UID (Study Root): the patient ID is only for the log line.
      const r = await moveOne(client, peer, destination, 'STUDY', { studyUid: study.studyUid }, ctx);
      if (r.status !== 0) failed++;
    }
    return failed;
  });
  if (failures > 0) throw new AssociationError(`--${name}: ${failures} of the study moves failed`);
}

export async function moveAccessionCommand(args: string, ctx: CommandContext): Promise<void> {
  const parts = splitArgs(args);
  const { source, destination } = sourceAndDestination('moveaccession', parts);
  const { patientId, uid: accession } = patientAndUid(parts[2] ?? '');
  if (!accession) throw new UsageError('--moveaccession:source,dest,patid:accession (patid: optional)');
  const keys: Record<string, string> = { AccessionNumber: accession };
  if (patientId) keys['PatientID'] = patientId;
  await moveFoundStudies(
    'moveaccession',
    source,
    destination,
    keys,
    `with accession number ${accession}`,
    ctx,
  );
}

export async function moveStudiesCommand(args: string, ctx: CommandContext): Promise<void> {
  const parts = splitArgs(args);
  const { source, destination } = sourceAndDestination('movestudies', parts);
  const date = (parts[2] ?? '').trim();
  if (!/^(\d{8}|\d{8}-\d{8}|-\d{8}|\d{8}-)$/.test(date))
    throw new UsageError(
      '--movestudies:source,dest,date — a date yyyymmdd or a range yyyymmdd-yyyymmdd (either end open)',
    );
  await moveFoundStudies('movestudies', source, destination, { StudyDate: date }, `of ${date}`, ctx);
}
