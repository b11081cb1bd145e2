/**
 * Conquest's move commands (manual Appendix 5): ask a node (`(local)` = this server) to C-MOVE a patient,
 * study, series or image to a destination AE.
 *   --movepatient:source,dest,patid
 *   --movestudy:source,dest,patid:studyuid        (patid optional)
 *   --moveseries:source,dest,patid:seriesuid,studyuid
 *   --move:source,dest,patid,studyuid,seriesuid,sopuid
 */
import { loadConfig } from '../../config/config.js';
import { Dataset } from '../../dicom/dataset.js';
import { AssociationError } from '../../net/association.js';
import { DicomClient } from '../../net/client.js';
import { formatStatus } from '../../net/dimse/status.js';
import { splitArgs, UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { type Peer, resolvePeer } from '../peer.js';

const PATIENT_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.1.2';
const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const NATIVE = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];

interface MoveSpec {
  source: string;
  destination: string;
  level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
  keys: { patientId?: string; studyUid?: string; seriesUid?: string; sopUid?: string };
}

/** `patid:uid` — Conquest's way to give an optional patient ID in front of a UID. */
function patientAndUid(text: string): { patientId: string | undefined; uid: string } {
  const colon = text.indexOf(':');
  if (colon < 0) return { patientId: undefined, uid: text };
  return { patientId: text.slice(0, colon) || undefined, uid: text.slice(colon + 1) };
}

export function parseMove(name: string, args: string): MoveSpec {
  const parts = splitArgs(args);
  const [source, destination] = parts;
  if (!source || !destination)
    throw new UsageError(`--${name} needs a source and a destination: --${name}:source,dest,...`);
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

function identifierOf(spec: MoveSpec): Dataset {
  const ds = new Dataset();
  ds.setStrings('QueryRetrieveLevel', spec.level);
  if (spec.keys.patientId) ds.setStrings('PatientID', spec.keys.patientId);
  if (spec.keys.studyUid) ds.setStrings('StudyInstanceUID', spec.keys.studyUid);
  if (spec.keys.seriesUid) ds.setStrings('SeriesInstanceUID', spec.keys.seriesUid);
  if (spec.keys.sopUid) ds.setStrings('SOPInstanceUID', spec.keys.sopUid);
  return ds;
}

export async function moveCommand(name: string, args: string, ctx: CommandContext): Promise<void> {
  const spec = parseMove(name, args);
  const config = loadConfig(ctx.dir, { writeDefaults: false });
  const ourAE = ctx.aeTitle ?? config.server.myACRNema;
  const peer: Peer =
    spec.source.toLowerCase() === '(local)'
      ? { aeTitle: ourAE, host: '127.0.0.1', port: ctx.port ?? config.server.tcpPort, compression: undefined }
      : resolvePeer(spec.source, config.acrNemaMap);
  // Patient Root for a patient (Study Root has no patient level), Study Root otherwise, as Conquest does.
  const sop = spec.level === 'PATIENT' || spec.keys.patientId ? PATIENT_ROOT_MOVE : STUDY_ROOT_MOVE;
  const client = await DicomClient.connect(
    { host: peer.host, port: peer.port, callingAETitle: ourAE, calledAETitle: peer.aeTitle, log: ctx.log },
    [{ abstractSyntax: sop, transferSyntaxes: NATIVE }],
  );
  try {
    const result = await client.move(sop, spec.destination, identifierOf(spec), (p) => {
      ctx.log.info(
        `C-MOVE ${spec.level.toLowerCase()}: ${p.completed} done, ${p.failed} failed, ${p.remaining ?? '?'} to go`,
      );
    });
    ctx.stdout.write(
      `C-MOVE of ${spec.level.toLowerCase()} from ${peer.aeTitle} to ${spec.destination}: ${result.status === 0 ? 'success' : formatStatus(result.status)}` +
        ` (${result.completed} completed, ${result.failed} failed, ${result.warning} warnings)\n`,
    );
    if (result.status !== 0)
      throw new AssociationError(`C-MOVE answered with ${formatStatus(result.status)}`);
  } finally {
    await client.release();
  }
}
