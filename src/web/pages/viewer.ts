/**
 * The series and study viewers (manual Appendix 4: mouse wheel and keys B/D brighter/darker, L/H contrast,
 * P/A presets/stored window, N negative, I/O zoom, arrows pan, U/V frames, PageUp/PageDown slices, Q header).
 * The page carries the image list as JSON; /assets/viewer.js shows the images rendered by /web/image.
 */
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/guard.js';
import type { WebContext } from '../context.js';
import { showName } from './browse.js';
import { byNumber, checkUid, findLocal, imagesOf } from './data.js';
import { html, jsonScript, qs } from './html.js';
import { sendMessage, sendPage } from './layout.js';

interface ViewerSeries {
  uid: string;
  label: string;
  images: { sop: string; frames: number }[];
}

export function registerViewerRoutes(app: FastifyInstance, ctx: WebContext): void {
  const viewer = { preHandler: requireRole('viewer', { page: true }) };

  const seriesData = async (uid: string, label: string): Promise<ViewerSeries> => ({
    uid,
    label,
    images: (await imagesOf(ctx, uid)).map((r) => ({
      sop: r.SOPInstanceUID ?? '',
      frames: Math.max(1, Number.parseInt(r.NumberOfFrames ?? '', 10) || 1),
    })),
  });

  const page = (series: ViewerSeries[], title: string, back: string) =>
    html`<div class="viewer" id="viewer">
<div class="viewer-bar"><h1>${title}</h1> <a href="${back}">Back</a>
<span id="viewer-status" role="status" aria-live="polite"></span></div>
${series.length > 1 ? html`<nav class="series-list" aria-label="Series"><ul>${series.map((s, i) => html`<li><button type="button" data-series="${i}">${s.label} (${s.images.length})</button></li>`)}</ul></nav>` : ''}
<div class="stage" id="stage" tabindex="0" aria-label="Image; mouse wheel or PageUp/PageDown: slice; B/D brighter/darker; L/H contrast; P presets; A stored window; N negative; I/O zoom; arrows pan; U/V frames; Q header">
<img id="viewer-image" alt="">
</div>
<p class="keys">Wheel/PageUp/PageDown: slice · U/V: frame · B/D: brighter/darker · L/H: contrast · P: presets · A: stored window · N: negative · I/O: zoom · arrows: pan · Q: header</p>
<pre id="viewer-header" class="dump" hidden></pre>
<script type="application/json" id="viewer-data">${jsonScript({ series })}</script>
</div>`;

  app.get('/viewer/series', viewer, async (request, reply) => {
    const uid = checkUid((request.query as { uid?: string }).uid, 'series UID');
    const s = await seriesData(uid, 'Series');
    if (s.images.length === 0)
      return sendMessage(request, reply, 404, 'Not found', `No images in series ${uid}.`);
    return sendPage(
      request,
      reply,
      { title: 'Series viewer', scripts: ['viewer.js'], bodyClass: 'viewing' },
      page([s], 'Series viewer', `/series${qs({ uid })}`),
    );
  });

  app.get('/viewer/study', viewer, async (request, reply) => {
    const uid = checkUid((request.query as { uid?: string }).uid, 'study UID');
    const rows = await findLocal(ctx, 'SERIES', { StudyInstanceUID: uid }, [
      'SeriesInstanceUID',
      'SeriesNumber',
      'SeriesDescription',
      'Modality',
      'PatientName',
    ]);
    rows.sort(byNumber('SeriesNumber', 'SeriesInstanceUID'));
    const series: ViewerSeries[] = [];
    for (const r of rows) {
      const s = await seriesData(
        r.SeriesInstanceUID ?? '',
        `${r.SeriesNumber ?? ''} ${r.Modality ?? ''} ${r.SeriesDescription ?? ''}`.trim(),
      );
      if (s.images.length) series.push(s);
    }
    if (series.length === 0)
      return sendMessage(request, reply, 404, 'Not found', `No images in study ${uid}.`);
    return sendPage(
      request,
      reply,
      { title: 'Study viewer', scripts: ['viewer.js'], bodyClass: 'viewing' },
      page(series, `Study viewer — ${showName(rows[0]?.PatientName)}`, `/study${qs({ uid })}`),
    );
  });
}
