/**
 * The browse pages: patient list with search, studies of a patient, series of a study, images of a series
 * (with or without thumbnails), the header dump, and images as JPEG/PNG/GIF with window, frame and size.
 */
import type { FastifyInstance } from 'fastify';
import { frameCount } from '../../codecs/pixel-data.js';
import { dumpDataset } from '../../dicom/dump.js';
import { readDicomFile } from '../../dicom/reader.js';
import { encodeGif, encodeJpeg, encodePng } from '../../imaging/encode.js';
import { ImagingError } from '../../imaging/errors.js';
import { renderFrame } from '../../imaging/render.js';
import { resize } from '../../imaging/resize.js';
import { fileWindow } from '../../imaging/voi.js';
import { requireRole } from '../auth/guard.js';
import { roleAtLeast } from '../auth/user.js';
import type { WebContext } from '../context.js';
import {
  BadRequestError,
  byNumber,
  checkPatientId,
  checkSearch,
  checkUid,
  dateRange,
  fileOf,
  findLocal,
  imagesOf,
  ROW_LIMIT,
  type Row,
  search,
} from './data.js';
import { html, qs, type SafeHtml } from './html.js';
import { sendMessage, sendPage } from './layout.js';

type Query = Record<string, string | undefined>;

const PIXEL_DATA = 0x7fe00010;

/** DICOM date → yyyy-mm-dd for display. */
export function showDate(d: string | undefined): string {
  return d && /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : (d ?? '');
}

/** A person name for display: components separated by spaces. */
export function showName(n: string | undefined): string {
  return (n ?? '').split('=')[0]!.replace(/\^+/g, ' ').trim();
}

function cut(rows: Row[]): { rows: Row[]; note: SafeHtml | string } {
  if (rows.length <= ROW_LIMIT) return { rows, note: '' };
  return {
    rows: rows.slice(0, ROW_LIMIT),
    note: html`<p class="note">The first ${ROW_LIMIT} of ${rows.length} are shown: narrow the search.</p>`,
  };
}

/** The action links of a level (send, export, delete) as the role allows. */
function actions(
  request: { webUser?: { role: 'viewer' | 'operator' | 'admin' } },
  level: string,
  key: string,
): SafeHtml {
  const role = request.webUser?.role ?? 'viewer';
  const q = qs({ level, key });
  return html`<span class="actions"><a href="/send${q}">Send</a> <a href="/export${q}">ZIP</a>${
    roleAtLeast(role, 'operator') ? html` <a href="/delete${q}">Delete</a>` : ''
  }</span>`;
}

export function registerBrowseRoutes(app: FastifyInstance, ctx: WebContext): void {
  const viewer = { preHandler: requireRole('viewer', { page: true }) };

  app.get('/', viewer, async (_request, reply) => reply.redirect('/patients'));

  app.get('/patients', viewer, async (request, reply) => {
    const q = request.query as Query;
    const text = checkSearch(q.q);
    const date = dateRange(q.date);
    const level = (q.level ?? 'patient').toLowerCase();
    if (!['patient', 'study', 'series'].includes(level))
      throw new BadRequestError('level is patient, study or series');
    const searched = text !== '' || date !== '' || q.all === '1';
    let table: SafeHtml | string = '';
    if (searched) {
      if (level === 'patient' && !date) {
        const rows = await search(
          ctx,
          'PATIENT',
          text,
          {},
          ['PatientID', 'PatientName', 'PatientBirthDate', 'PatientSex', 'NumberOfPatientRelatedStudies'],
          (r) => r.PatientID!,
        );
        rows.sort((a, b) => (a.PatientName ?? '').localeCompare(b.PatientName ?? ''));
        const c = cut(rows);
        table = html`${c.note}<table><caption>${rows.length} patient(s)</caption><thead><tr><th scope="col">Patient ID</th><th scope="col">Name</th><th scope="col">Sex</th><th scope="col">Birth date</th><th scope="col">Studies</th><th scope="col">Actions</th></tr></thead><tbody>
${c.rows.map((r) => html`<tr><td><a href="/patient${qs({ id: r.PatientID })}">${r.PatientID}</a></td><td>${showName(r.PatientName)}</td><td>${r.PatientSex}</td><td>${showDate(r.PatientBirthDate)}</td><td>${r.NumberOfPatientRelatedStudies}</td><td>${actions(request, 'patient', r.PatientID ?? '')}</td></tr>`)}
</tbody></table>`;
      } else if (level === 'series') {
        const rows = await search(
          ctx,
          'SERIES',
          text,
          date ? { SeriesDate: date } : {},
          [
            'PatientID',
            'PatientName',
            'StudyInstanceUID',
            'SeriesInstanceUID',
            'SeriesDate',
            'Modality',
            'SeriesDescription',
            'NumberOfSeriesRelatedInstances',
          ],
          (r) => r.SeriesInstanceUID!,
        );
        rows.sort((a, b) => (b.SeriesDate ?? '').localeCompare(a.SeriesDate ?? ''));
        table = seriesTable(request, cut(rows));
      } else {
        const rows = await search(
          ctx,
          'STUDY',
          text,
          date ? { StudyDate: date } : {},
          [
            'PatientID',
            'PatientName',
            'StudyInstanceUID',
            'StudyDate',
            'StudyDescription',
            'AccessionNumber',
            'ModalitiesInStudy',
            'NumberOfStudyRelatedInstances',
          ],
          (r) => r.StudyInstanceUID!,
        );
        rows.sort((a, b) => (b.StudyDate ?? '').localeCompare(a.StudyDate ?? ''));
        table = studyTable(request, cut(rows), true);
      }
    }
    const opt = (v: string, label: string) =>
      html`<option value="${v}"${v === level ? html` selected` : ''}>${label}</option>`;
    return sendPage(
      request,
      reply,
      { title: 'Patients' },
      html`<h1>Patients</h1>
<form method="get" action="/patients" class="search" role="search">
<p><label for="q">Name or patient ID contains</label> <input id="q" name="q" value="${text}" maxlength="64" autofocus>
<label for="date">Date</label> <input id="date" name="date" value="${q.date ?? ''}" placeholder="yyyy, yyyymm, yyyymmdd or from-to" maxlength="40">
<label for="level">Find</label> <select id="level" name="level">${opt('patient', 'Patients')}${opt('study', 'Studies')}${opt('series', 'Series')}</select>
<button type="submit">Find</button> <a href="/patients?all=1">List all</a></p></form>
${table}`,
    );
  });

  app.get('/patient', viewer, async (request, reply) => {
    const id = checkPatientId((request.query as Query).id);
    const rows = await findLocal(ctx, 'STUDY', { PatientID: id }, [
      'PatientName',
      'StudyInstanceUID',
      'StudyDate',
      'StudyDescription',
      'AccessionNumber',
      'ModalitiesInStudy',
      'NumberOfStudyRelatedInstances',
    ]);
    rows.sort((a, b) => (b.StudyDate ?? '').localeCompare(a.StudyDate ?? ''));
    const name = showName(rows[0]?.PatientName);
    return sendPage(
      request,
      reply,
      { title: `Patient ${id}` },
      html`<h1>Studies of ${name || id}</h1><p>Patient ID ${id} ${actions(request, 'patient', id)}</p>${studyTable(request, cut(rows), false)}`,
    );
  });

  app.get('/study', viewer, async (request, reply) => {
    const uid = checkUid((request.query as Query).uid, 'study UID');
    const rows = await findLocal(ctx, 'SERIES', { StudyInstanceUID: uid }, [
      'PatientID',
      'PatientName',
      'SeriesInstanceUID',
      'SeriesNumber',
      'SeriesDate',
      'Modality',
      'SeriesDescription',
      'NumberOfSeriesRelatedInstances',
      'StudyDescription',
    ]);
    rows.sort(byNumber('SeriesNumber', 'SeriesInstanceUID'));
    const first = rows[0];
    return sendPage(
      request,
      reply,
      { title: 'Study' },
      html`<h1>Series of study ${first?.StudyDescription || uid}</h1>
<p>${first ? html`Patient <a href="/patient${qs({ id: first.PatientID })}">${showName(first.PatientName)} (${first.PatientID})</a> · ` : ''}<a href="/viewer/study${qs({ uid })}">View study</a> ${actions(request, 'study', uid)}</p>
${seriesTable(request, cut(rows))}`,
    );
  });

  app.get('/series', viewer, async (request, reply) => {
    const q = request.query as Query;
    const uid = checkUid(q.uid, 'series UID');
    const thumbs = q.thumbs === '1';
    const rows = await imagesOf(ctx, uid);
    const c = cut(rows);
    const study = rows[0]?.StudyInstanceUID;
    const list = thumbs
      ? html`<ul class="thumbs">${c.rows.map(
          (r) =>
            html`<li><a href="/image${qs({ uid: r.SOPInstanceUID })}"><img src="/web/image/${r.SOPInstanceUID}.jpg?size=128" alt="Image ${r.InstanceNumber}" loading="lazy" width="128" height="128"><span>${r.InstanceNumber}</span></a></li>`,
        )}</ul>`
      : html`<table><caption>${rows.length} image(s)</caption><thead><tr><th scope="col">Number</th><th scope="col">SOP Instance UID</th><th scope="col">Frames</th><th scope="col">Show</th></tr></thead><tbody>
${c.rows.map((r) => html`<tr><td>${r.InstanceNumber}</td><td><a href="/image${qs({ uid: r.SOPInstanceUID })}">${r.SOPInstanceUID}</a></td><td>${r.NumberOfFrames || '1'}</td><td><a href="/web/image/${r.SOPInstanceUID}.jpg">JPEG</a> <a href="/web/image/${r.SOPInstanceUID}.png">PNG</a> <a href="/web/image/${r.SOPInstanceUID}.gif">GIF</a> <a href="/header${qs({ uid: r.SOPInstanceUID })}">Header</a></td></tr>`)}
</tbody></table>`;
    return sendPage(
      request,
      reply,
      { title: 'Series' },
      html`<h1>Images of series</h1>
<p>${study ? html`<a href="/study${qs({ uid: study })}">Back to the study</a> · ` : ''}<a href="/viewer/series${qs({ uid })}">View series</a> · ${thumbs ? html`<a href="/series${qs({ uid })}">Without thumbnails</a>` : html`<a href="/series${qs({ uid, thumbs: 1 })}">With thumbnails</a>`} ${actions(request, 'series', uid)}</p>
${c.note}${list}`,
    );
  });

  app.get('/image', viewer, async (request, reply) => {
    const uid = checkUid((request.query as Query).uid, 'SOP Instance UID');
    const path = await fileOf(ctx, uid);
    if (!path) return sendMessage(request, reply, 404, 'Not found', `No image ${uid} in the archive.`);
    const q = request.query as Query;
    const params = { wc: q.wc, ww: q.ww, frame: q.frame };
    return sendPage(
      request,
      reply,
      { title: 'Image' },
      html`<h1>Image</h1><p>${uid} · <a href="/header${qs({ uid })}">Header</a> · <a href="/web/image/${uid}.png${qs(params)}">PNG</a> · <a href="/web/image/${uid}.gif${qs(params)}">GIF</a> ${actions(request, 'image', uid)}</p>
<form method="get" action="/image" class="search"><input type="hidden" name="uid" value="${uid}">
<label for="wc">Level</label> <input id="wc" name="wc" value="${q.wc ?? ''}" size="6" inputmode="decimal">
<label for="ww">Window</label> <input id="ww" name="ww" value="${q.ww ?? ''}" size="6" inputmode="decimal">
<label for="frame">Frame</label> <input id="frame" name="frame" value="${q.frame ?? ''}" size="4" inputmode="numeric">
<button type="submit">Show</button></form>
<p><img class="full" src="/web/image/${uid}.jpg${qs(params)}" alt="Image ${uid}"></p>`,
    );
  });

  app.get('/header', viewer, async (request, reply) => {
    const uid = checkUid((request.query as Query).uid, 'SOP Instance UID');
    const path = await fileOf(ctx, uid);
    if (!path) return sendMessage(request, reply, 404, 'Not found', `No image ${uid} in the archive.`);
    const f = await readDicomFile(path, { stopBeforeTag: PIXEL_DATA + 1 });
    const text = dumpDataset(f.dataset, { meta: f.meta });
    if ((request.query as Query).format === 'text')
      return reply.header('Content-Type', 'text/plain; charset=utf-8').send(text);
    return sendPage(
      request,
      reply,
      { title: 'Header' },
      html`<h1>Header of ${uid}</h1><pre class="dump">${text}</pre>`,
    );
  });

  app.get('/web/image/:file', { preHandler: requireRole('viewer') }, async (request, reply) => {
    const file = (request.params as { file: string }).file;
    const m = /^([0-9.]{1,64})\.(jpg|jpeg|png|gif)$/.exec(file);
    if (!m) throw new BadRequestError('an image is {SOP Instance UID}.jpg, .png or .gif');
    const uid = m[1]!;
    const format = m[2]!;
    const q = request.query as Query;
    const num = (v: string | undefined, what: string): number | undefined => {
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new BadRequestError(`${what} must be a number`);
      return n;
    };
    const wc = num(q.wc, 'wc');
    const ww = num(q.ww, 'ww');
    const frame = num(q.frame, 'frame') ?? 0;
    const size = num(q.size, 'size') ?? 0;
    if (!Number.isInteger(frame) || frame < 0) throw new BadRequestError('frame is a whole number from 0');
    if (!Number.isInteger(size) || size < 0 || size > 8192) throw new BadRequestError('size is 0..8192');
    if ((wc === undefined) !== (ww === undefined)) throw new BadRequestError('give wc and ww together');
    if (ww !== undefined && ww <= 0) throw new BadRequestError('ww must be above 0');
    const path = await fileOf(ctx, uid);
    if (!path) return reply.code(404).send({ error: `no image ${uid}` });
    const f = await readDicomFile(path);
    try {
      const image = resize(
        await renderFrame(f.dataset, f.transferSyntax.uid, {
          frame,
          ...(wc !== undefined && ww !== undefined ? { window: { center: wc, width: ww } } : {}),
        }),
        size,
      );
      const body =
        format === 'png'
          ? await encodePng(image)
          : format === 'gif'
            ? encodeGif([image])
            : await encodeJpeg(image, 90);
      return reply
        .header(
          'Content-Type',
          format === 'png' ? 'image/png' : format === 'gif' ? 'image/gif' : 'image/jpeg',
        )
        .header('Cache-Control', 'private, max-age=300')
        .send(body);
    } catch (e) {
      if (e instanceof ImagingError) throw new BadRequestError(e.message);
      throw e;
    }
  });

  /** What the viewer needs of an image: frames, the stored window, the size. */
  app.get('/web/info/:uid', { preHandler: requireRole('viewer') }, async (request, reply) => {
    const uid = checkUid((request.params as { uid: string }).uid, 'SOP Instance UID');
    const path = await fileOf(ctx, uid);
    if (!path) return reply.code(404).send({ error: `no image ${uid}` });
    const f = await readDicomFile(path, { stopBeforeTag: PIXEL_DATA });
    const w = safeWindow(f.dataset);
    return reply.send({
      frames: frameCount(f.dataset, f.transferSyntax.uid) || 1,
      rows: f.dataset.number('Rows') ?? 0,
      columns: f.dataset.number('Columns') ?? 0,
      windowCenter: w?.center ?? null,
      windowWidth: w?.width ?? null,
      modality: f.dataset.string('Modality') ?? '',
    });
  });
}

function safeWindow(ds: Parameters<typeof fileWindow>[0]): { center: number; width: number } | undefined {
  try {
    return fileWindow(ds);
  } catch {
    return undefined;
  }
}

function studyTable(
  request: { webUser?: { role: 'viewer' | 'operator' | 'admin' } },
  c: { rows: Row[]; note: SafeHtml | string },
  withPatient: boolean,
): SafeHtml {
  return html`${c.note}<table><caption>${c.rows.length} stud${c.rows.length === 1 ? 'y' : 'ies'}</caption><thead><tr>${withPatient ? html`<th scope="col">Patient</th>` : ''}<th scope="col">Date</th><th scope="col">Description</th><th scope="col">Accession</th><th scope="col">Modalities</th><th scope="col">Images</th><th scope="col">Actions</th></tr></thead><tbody>
${c.rows.map((r) => html`<tr>${withPatient ? html`<td><a href="/patient${qs({ id: r.PatientID })}">${showName(r.PatientName)} (${r.PatientID})</a></td>` : ''}<td>${showDate(r.StudyDate)}</td><td><a href="/study${qs({ uid: r.StudyInstanceUID })}">${r.StudyDescription || r.StudyInstanceUID}</a></td><td>${r.AccessionNumber}</td><td>${(r.ModalitiesInStudy ?? '').replace(/\\/g, ', ')}</td><td>${r.NumberOfStudyRelatedInstances}</td><td><a href="/viewer/study${qs({ uid: r.StudyInstanceUID })}">View</a> ${actions(request, 'study', r.StudyInstanceUID ?? '')}</td></tr>`)}
</tbody></table>`;
}

function seriesTable(
  request: { webUser?: { role: 'viewer' | 'operator' | 'admin' } },
  c: { rows: Row[]; note: SafeHtml | string },
): SafeHtml {
  return html`${c.note}<table><caption>${c.rows.length} series</caption><thead><tr><th scope="col">Number</th><th scope="col">Date</th><th scope="col">Modality</th><th scope="col">Description</th><th scope="col">Images</th><th scope="col">Actions</th></tr></thead><tbody>
${c.rows.map((r) => html`<tr><td>${r.SeriesNumber}</td><td>${showDate(r.SeriesDate)}</td><td>${r.Modality}</td><td><a href="/series${qs({ uid: r.SeriesInstanceUID })}">${r.SeriesDescription || r.SeriesInstanceUID}</a></td><td>${r.NumberOfSeriesRelatedInstances}</td><td><a href="/series${qs({ uid: r.SeriesInstanceUID, thumbs: 1 })}">Thumbnails</a> <a href="/viewer/series${qs({ uid: r.SeriesInstanceUID })}">View</a> ${actions(request, 'series', r.SeriesInstanceUID ?? '')}</td></tr>`)}
</tbody></table>`;
}
