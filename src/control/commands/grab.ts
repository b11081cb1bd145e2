/**
 * `-gSERVER,DATE` and `--grabimagesfromserver:AE,date` (manual Appendix 5): "grab images from SERVER of
 * date not on here". As Conquest's GrabImagesFromServer: a Study Root C-FIND at the IMAGE level on the
 * study date (a date range too; no date: all), each SOP instance looked up in this server's index, and the
 * missing ones moved (C-MOVE) to this server's own AE title — which SERVER must know in its acrnema.map.
 * Conquest moves image by image naming only the SOP instance; here the moves are per series (at most 64
 * instances each, with the study and series UIDs PS3.4 asks for), which any Query/Retrieve SCP accepts.
 */
import { Dataset } from '../../dicom/dataset.js';
import { AssociationError } from '../../net/association.js';
import type { DicomClient, RetrieveProgress } from '../../net/client.js';
import { formatStatus } from '../../net/dimse/status.js';
import { splitArgs, UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { imagesByUid } from '../index-lookup.js';
import { isLocalNode, ourAETitle, withPeer } from '../peer.js';

const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const NATIVE = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];
/** Instances per C-MOVE (Conquest's virtual server collects at most 64 per move too). */
const PER_MOVE = 64;

interface RemoteImage {
  sop: string;
  study: string;
  series: string;
}

function parseGrab(args: string): { server: string; date: string } {
  const [server, date] = splitArgs(args, 2);
  if (!server?.trim()) throw new UsageError('--grabimagesfromserver:AE,date (or -gAE,date)');
  const d = (date ?? '').trim();
  // Conquest's -gSERVER without a date grabs everything ("*").
  if (d !== '' && d !== '*' && !/^(\d{8}|\d{8}-\d{8}|-\d{8}|\d{8}-)$/.test(d))
    throw new UsageError(
      `--grabimagesfromserver: '${d}' is not a date yyyymmdd or a range yyyymmdd-yyyymmdd`,
    );
  return { server: server.trim(), date: d === '*' ? '' : d };
}

/** Every image the server has of that study date, with its study and series. */
async function remoteImages(client: DicomClient, date: string): Promise<RemoteImage[]> {
  const identifier = new Dataset();
  identifier.setStrings('QueryRetrieveLevel', 'IMAGE');
  identifier.setStrings('StudyDate', date);
  identifier.setStrings('PatientID', '');
  identifier.setStrings('StudyInstanceUID', '');
  identifier.setStrings('SeriesInstanceUID', '');
  identifier.setStrings('SOPInstanceUID', '');
  const { status, matches } = await client.findAll(STUDY_ROOT_FIND, identifier);
  if (status !== 0) throw new AssociationError(`Grab: C-FIND answered with ${formatStatus(status)}`);
  const seen = new Set<string>();
  const out: RemoteImage[] = [];
  for (const m of matches) {
    const sop = m.string('SOPInstanceUID');
    if (!sop || seen.has(sop)) continue;
    seen.add(sop);
    out.push({ sop, study: m.string('StudyInstanceUID') ?? '', series: m.string('SeriesInstanceUID') ?? '' });
  }
  return out;
}

/** The missing images in moves of one series, at most PER_MOVE instances each. */
function batches(missing: readonly RemoteImage[]): RemoteImage[][] {
  const bySeries = new Map<string, RemoteImage[]>();
  for (const img of missing) {
    const key = `${img.study}\\${img.series}`;
    const list = bySeries.get(key) ?? [];
    list.push(img);
    bySeries.set(key, list);
  }
  const out: RemoteImage[][] = [];
  for (const list of bySeries.values())
    for (let at = 0; at < list.length; at += PER_MOVE) out.push(list.slice(at, at + PER_MOVE));
  return out;
}

async function moveBatch(
  client: DicomClient,
  batch: RemoteImage[],
  destination: string,
): Promise<RetrieveProgress> {
  const identifier = new Dataset();
  identifier.setStrings('QueryRetrieveLevel', 'IMAGE');
  if (batch[0]!.study) identifier.setStrings('StudyInstanceUID', batch[0]!.study);
  if (batch[0]!.series) identifier.setStrings('SeriesInstanceUID', batch[0]!.series);
  identifier.setStrings(
    'SOPInstanceUID',
    batch.map((b) => b.sop),
  );
  return client.move(STUDY_ROOT_MOVE, destination, identifier);
}

export async function grabCommand(args: string, ctx: CommandContext): Promise<void> {
  const { server, date } = parseGrab(args);
  if (isLocalNode(server)) throw new UsageError('--grabimagesfromserver: grabbing from this server itself');
  const destination = ourAETitle(ctx);
  const archive = await ctx.archive();
  const contexts = [
    { abstractSyntax: STUDY_ROOT_FIND, transferSyntaxes: NATIVE },
    { abstractSyntax: STUDY_ROOT_MOVE, transferSyntaxes: NATIVE },
  ];
  const totals = { completed: 0, failed: 0, warning: 0, movesFailed: 0 };
  await withPeer(server, ctx, contexts, async (client, peer) => {
    const images = await remoteImages(client, date);
    const here = await imagesByUid(
      archive,
      images.map((i) => i.sop),
    );
    const missing = images.filter((i) => !here.has(i.sop));
    ctx.stdout.write(
      `Grab from ${peer.aeTitle} of ${date || 'all dates'}: ${images.length} images there, ` +
        `${images.length - missing.length} already here, ${missing.length} requested to ${destination}\n`,
    );
    for (const batch of batches(missing)) {
      const r = await moveBatch(client, batch, destination);
      totals.completed += r.completed;
      totals.failed += r.failed;
      totals.warning += r.warning;
      if (r.status !== 0) totals.movesFailed++;
      ctx.stdout.write(
        `Grabbed ${batch.length} images of series ${batch[0]!.series}: ` +
          `${r.status === 0 ? 'success' : formatStatus(r.status)} (${r.completed} completed, ${r.failed} failed, ${r.warning} warnings)\n`,
      );
    }
  });
  ctx.stdout.write(
    `Grab finished: ${totals.completed} completed, ${totals.failed} failed, ${totals.warning} warnings\n`,
  );
  if (totals.movesFailed > 0) throw new AssociationError(`Grab: ${totals.movesFailed} of the moves failed`);
}
