/**
 * The actions: send a patient/study/series/image to a known AE (C-STORE, in the destination's compression,
 * with progress), delete (with confirmation), export as ZIP, upload of DICOM files and ZIPs, the known-AE
 * list, server status, query another AE and move from it ("find"), and the worklist.
 */
import { createReadStream, createWriteStream, promises as fsp, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Unzip, UnzipInflate, Zip, ZipPassThrough } from 'fflate';
import { deleteFromArchive, deleteSummary } from '../../archive/maintenance/delete.js';
import { addFile } from '../../archive/maintenance/import.js';
import { type CompressionMode, parseCompressionMode } from '../../codecs/modes.js';
import { quoteIdentifier } from '../../db/schema.js';
import { Dataset } from '../../dicom/dataset.js';
import { readDicomFile } from '../../dicom/reader.js';
import { DicomClient, describeFile } from '../../net/client.js';
import { storeInMode } from '../../services/outgoing-store.js';
import { proposalFor } from '../../services/outgoing-syntax.js';
import { requireRole } from '../auth/guard.js';
import { roleAtLeast } from '../auth/user.js';
import type { WebContext } from '../context.js';
import { showDate, showName } from './browse.js';
import { BadRequestError, checkSearch, checkTarget, dateRange, filesOf, type ObjectLevel } from './data.js';
import { html, qs } from './html.js';
import { JobList } from './jobs.js';
import { csrfField, sendMessage, sendPage } from './layout.js';

type Form = Record<string, string | string[] | undefined>;

function field(body: unknown, name: string): string {
  const v = body && typeof body === 'object' ? (body as Form)[name] : undefined;
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? '') : '';
}

const AE = /^[\x21-\x5b\x5d-\x7e][\x20-\x5b\x5d-\x7e]{0,15}$/;
const NATIVE = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];
const FIND = { PATIENT: '1.2.840.10008.5.1.4.1.2.1.1', STUDY: '1.2.840.10008.5.1.4.1.2.2.1' };
const MOVE = { PATIENT: '1.2.840.10008.5.1.4.1.2.1.2', STUDY: '1.2.840.10008.5.1.4.1.2.2.2' };

/** Known AEs one can connect to: acrnema.map entries without wildcards. */
function knownAes(ctx: WebContext): { ae: string; host: string; port: number; compression: string }[] {
  return ctx
    .config()
    .acrNemaMap.entries.filter((e) => !/[*?]/.test(e.ae) && /^\d+$/.test(e.port) && !/[*?]/.test(e.host))
    .map((e) => ({ ae: e.ae, host: e.host, port: Number(e.port), compression: e.compression }));
}

function checkAe(
  ctx: WebContext,
  value: string,
): { ae: string; host: string; port: number; compression: string } {
  if (!AE.test(value)) throw new BadRequestError('an AE title is 1-16 printable characters');
  const found = ctx.config().acrNemaMap.resolve(value);
  if (!found) throw new BadRequestError(`${value} is not in acrnema.map`);
  return { ae: found.ae, host: found.host, port: found.port, compression: found.compression };
}

function modeOf(ctx: WebContext, text: string): CompressionMode {
  try {
    return parseCompressionMode(text || 'un', ctx.config().server.lossyQuality);
  } catch (e) {
    ctx.log.warn(`acrnema.map compression '${text}': ${(e as Error).message}; sending objects as stored`);
    return parseCompressionMode('as');
  }
}

const LEVEL_LABEL: Record<ObjectLevel, string> = {
  PATIENT: 'patient',
  STUDY: 'study',
  SERIES: 'series',
  IMAGE: 'image',
};

export function registerActionRoutes(app: FastifyInstance, ctx: WebContext): void {
  const jobs = new JobList();
  const viewerPage = { preHandler: requireRole('viewer', { page: true }) };
  const operatorPage = { preHandler: requireRole('operator', { page: true }) };
  const operatorWrite = { preHandler: requireRole('operator', { writes: true, page: true }) };

  // ---- send --------------------------------------------------------------------------------------
  app.get('/send', operatorPage, async (request, reply) => {
    const q = request.query as Form;
    const t = checkTarget(q.level, q.key);
    const aes = knownAes(ctx);
    return sendPage(
      request,
      reply,
      { title: 'Send' },
      html`<h1>Send ${LEVEL_LABEL[t.level]} ${t.key}</h1>
<form method="post" action="/send">${csrfField(request)}
<input type="hidden" name="level" value="${t.level}"><input type="hidden" name="key" value="${t.key}">
<p><label for="dest">Destination (acrnema.map)</label> <select id="dest" name="dest" required>${aes.map((a) => html`<option value="${a.ae}">${a.ae} (${a.host}:${a.port}, ${a.compression})</option>`)}</select></p>
<p><button type="submit">Send</button></p></form>`,
    );
  });

  app.post('/send', operatorWrite, async (request, reply) => {
    const t = checkTarget(field(request.body, 'level'), field(request.body, 'key'));
    const dest = checkAe(ctx, field(request.body, 'dest'));
    const job = jobs.start(
      `send ${LEVEL_LABEL[t.level]} ${t.key} to ${dest.ae}`,
      request.webUser!.name,
      async (job) => {
        const items = await filesOf(ctx, t);
        job.total = items.length;
        if (items.length === 0) return 'nothing to send';
        const files = await Promise.all(items.map((i) => describeFile(i.path)));
        const mode = modeOf(ctx, dest.compression);
        job.message = `connecting to ${dest.ae}`;
        const client = await DicomClient.connect(
          {
            host: dest.host,
            port: dest.port,
            callingAETitle: ctx.aeTitle,
            calledAETitle: dest.ae,
            log: ctx.log,
          },
          proposalFor(
            files.map((f) => ({ sopClassUid: f.sopClassUid, transferSyntaxUid: f.transferSyntax.uid })),
            mode,
          ),
        );
        try {
          for (const f of files) {
            job.message = `sending ${job.done + job.failed + 1} of ${job.total}`;
            try {
              const status = await storeInMode(client, f, undefined, mode);
              if (status === 0 || (status & 0xf000) === 0xb000) job.done++;
              else job.failed++;
            } catch (e) {
              job.failed++;
              ctx.log.warn(`web send of ${f.sopInstanceUid} to ${dest.ae}: ${(e as Error).message}`);
            }
          }
        } finally {
          await client.release().catch(() => client.abort());
        }
        ctx.log.info(`web: ${request.webUser?.name} sent ${job.done} of ${job.total} objects to ${dest.ae}`);
        return `sent ${job.done} of ${job.total}${job.failed ? `, ${job.failed} failed` : ''}`;
      },
    );
    return jobPage(request, reply, job.id, job.title);
  });

  app.get('/jobs/:id', { preHandler: requireRole('viewer') }, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const job = /^[0-9a-f]{24}$/.test(id) ? jobs.get(id) : undefined;
    if (!job || (job.owner !== request.webUser?.name && request.webUser?.role !== 'admin'))
      return reply.code(404).send({ error: 'no such job' });
    const { owner: _owner, ...rest } = job;
    return reply.header('Cache-Control', 'no-store').send(rest);
  });

  // ---- delete ------------------------------------------------------------------------------------
  app.get('/delete', operatorPage, async (request, reply) => {
    const q = request.query as Form;
    const t = checkTarget(q.level, q.key);
    const n = (await filesOf(ctx, t)).length;
    return sendPage(
      request,
      reply,
      { title: 'Delete' },
      html`<h1>Delete ${LEVEL_LABEL[t.level]} ${t.key}?</h1>
<p role="alert">This removes ${n} image(s) from the archive and their files from disk. It cannot be undone.</p>
<form method="post" action="/delete">${csrfField(request)}
<input type="hidden" name="level" value="${t.level}"><input type="hidden" name="key" value="${t.key}">
<p><label><input type="checkbox" name="confirm" value="yes" required> Yes, delete it</label></p>
<p><button type="submit">Delete</button> <a href="/patients">Cancel</a></p></form>`,
    );
  });

  app.post('/delete', operatorWrite, async (request, reply) => {
    const t = checkTarget(field(request.body, 'level'), field(request.body, 'key'));
    if (field(request.body, 'confirm') !== 'yes') throw new BadRequestError('the deletion was not confirmed');
    const target =
      t.level === 'PATIENT'
        ? { patientId: t.key }
        : t.level === 'STUDY'
          ? { studyUid: t.key }
          : t.level === 'SERIES'
            ? { seriesUid: t.key }
            : { sopUid: t.key };
    const result = await deleteFromArchive(ctx.archive, target, { log: ctx.log });
    ctx.log.info(`web: ${request.webUser?.name} deleted ${LEVEL_LABEL[t.level]} ${t.key}`);
    return sendMessage(request, reply, 200, 'Deleted', `${deleteSummary(result)}.`, '/patients');
  });

  // ---- export ------------------------------------------------------------------------------------
  app.get('/export', viewerPage, async (request, reply) => {
    const q = request.query as Form;
    const t = checkTarget(q.level, q.key);
    const items = await filesOf(ctx, t);
    if (items.length === 0) return sendMessage(request, reply, 404, 'Not found', 'Nothing to export.');
    const out = new PassThrough();
    const zip = new Zip((err, chunk, final) => {
      if (err) {
        out.destroy(err);
        return;
      }
      out.write(chunk);
      if (final) out.end();
    });
    // Files are added one after the other, each streamed from disk (stored, not deflated: DICOM pixel
    // data hardly compresses and the CPU is better spent elsewhere).
    void (async () => {
      try {
        for (const item of items) {
          const entry = new ZipPassThrough(`${item.sopInstanceUid}.dcm`);
          zip.add(entry);
          for await (const chunk of createReadStream(item.path)) {
            entry.push(chunk as Uint8Array);
            if (out.writableNeedDrain) await new Promise((r) => out.once('drain', r));
          }
          entry.push(new Uint8Array(0), true);
        }
        zip.end();
      } catch (e) {
        out.destroy(e as Error);
      }
    })();
    return reply
      .header('Content-Type', 'application/zip')
      .header('Content-Disposition', `attachment; filename="${LEVEL_LABEL[t.level]}.zip"`)
      .send(out);
  });

  // ---- upload ------------------------------------------------------------------------------------
  void app.register(async (scope) => {
    await scope.register(fastifyMultipart, {
      limits: { fileSize: 4 * 1024 ** 3, files: 10_000, fields: 10 },
    });
    scope.get('/upload', operatorPage, async (request, reply) =>
      sendPage(
        request,
        reply,
        { title: 'Upload' },
        html`<h1>Upload DICOM files</h1>
<form method="post" action="/upload${qs({ _csrf: request.csrfToken })}" enctype="multipart/form-data">
<p><label for="files">DICOM files or ZIP files</label> <input id="files" name="files" type="file" multiple required></p>
<p><button type="submit">Upload</button></p></form>`,
      ),
    );
    scope.post('/upload', operatorWrite, async (request, reply) => uploadHandler(ctx, request, reply));
  });

  // ---- known AEs, status ---------------------------------------------------------------------------
  app.get('/aes', viewerPage, async (request, reply) => {
    const entries = ctx.config().acrNemaMap.entries;
    return sendPage(
      request,
      reply,
      { title: 'Known AEs' },
      html`<h1>Known DICOM nodes (acrnema.map)</h1>
<table><thead><tr><th scope="col">AE title</th><th scope="col">Host</th><th scope="col">Port</th><th scope="col">Compression</th></tr></thead><tbody>
${entries.map((e) => html`<tr><td>${e.ae}</td><td>${e.host}</td><td>${e.port}</td><td>${e.compression}</td></tr>`)}
</tbody></table>`,
    );
  });

  app.get('/status', viewerPage, async (request, reply) => {
    const s = ctx.status();
    const server = ctx.config().server;
    const counts: [string, string][] = [];
    const ix = ctx.archive.index;
    if (ix) {
      for (const level of ['Patient', 'Study', 'Series', 'Image'] as const) {
        const m = ix.schema.levels[level];
        if (!m) continue;
        const row = await ix.driver.get<{ n: unknown }>(
          `SELECT COUNT(*) AS n FROM ${quoteIdentifier(ix.driver.dialect, m.table)}`,
        );
        counts.push([`${level} rows`, String(row?.n ?? 0)]);
      }
    }
    const rows: [string, string][] = [
      ['AE title', ctx.aeTitle],
      ['DICOM port', String(ctx.dicomPort)],
      ['Running since', s.startedAt.toISOString()],
      ['Associations', String(s.associations)],
      ['Objects stored', String(s.stored)],
      ['Stores refused', String(s.storeFailures)],
      ['Queries', String(s.queries)],
      ['Retrieves', String(s.retrieved)],
      ['Index', ix ? `${ix.kind} ${ix.kind === 'sqlite' ? ix.file : ''}` : 'none'],
      ['MAG0', server.magDevices[0] ?? ''],
      ['Web read-only', app.webReadOnly ? 'yes (WEBReadOnly)' : 'no'],
      ...counts,
    ];
    return sendPage(
      request,
      reply,
      { title: 'Status' },
      html`<h1>Server status</h1><table><tbody>${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table>`,
    );
  });

  // ---- find on another AE, move from it ------------------------------------------------------------
  app.get('/find', viewerPage, async (request, reply) => {
    const q = request.query as Form;
    const aes = knownAes(ctx);
    const aeName = typeof q.ae === 'string' ? q.ae : '';
    const level = typeof q.level === 'string' ? q.level.toUpperCase() : 'STUDY';
    if (!['PATIENT', 'STUDY', 'SERIES'].includes(level))
      throw new BadRequestError('level is patient, study or series');
    const text = checkSearch(q.q);
    const date = dateRange(q.date);
    let results: ReturnType<typeof html> | string = '';
    if (aeName) {
      const peer = checkAe(ctx, aeName);
      const rows = await remoteFind(ctx, peer, level as 'PATIENT' | 'STUDY' | 'SERIES', text, date);
      const canMove = roleAtLeast(request.webUser!.role, 'operator') && !app.webReadOnly;
      const keyOf = (r: Dataset) =>
        level === 'PATIENT'
          ? r.string('PatientID')
          : level === 'STUDY'
            ? r.string('StudyInstanceUID')
            : r.string('SeriesInstanceUID');
      results = html`<table><caption>${rows.length} match(es) on ${peer.ae}</caption><thead><tr><th scope="col">Patient ID</th><th scope="col">Name</th><th scope="col">Date</th><th scope="col">Description</th><th scope="col">Modality</th>${canMove ? html`<th scope="col">Move to ${ctx.aeTitle}</th>` : ''}</tr></thead><tbody>
${rows.map(
  (r) =>
    html`<tr><td>${r.string('PatientID')}</td><td>${showName(r.string('PatientName'))}</td><td>${showDate(r.string(level === 'SERIES' ? 'SeriesDate' : 'StudyDate'))}</td><td>${r.string(level === 'SERIES' ? 'SeriesDescription' : 'StudyDescription')}</td><td>${r.strings(level === 'SERIES' ? 'Modality' : 'ModalitiesInStudy').join(', ')}</td>${
      canMove
        ? html`<td><form method="post" action="/find/move" class="inline">${csrfField(request)}<input type="hidden" name="ae" value="${peer.ae}"><input type="hidden" name="level" value="${level}"><input type="hidden" name="key" value="${keyOf(r) ?? ''}"><input type="hidden" name="patient" value="${r.string('PatientID') ?? ''}"><input type="hidden" name="study" value="${r.string('StudyInstanceUID') ?? ''}"><button type="submit">Move</button></form></td>`
        : ''
    }</tr>`,
)}
</tbody></table>`;
    }
    const opt = (v: string, label: string) =>
      html`<option value="${v}"${v === level ? html` selected` : ''}>${label}</option>`;
    return sendPage(
      request,
      reply,
      { title: 'Find' },
      html`<h1>Query another DICOM node</h1>
<form method="get" action="/find" role="search">
<p><label for="ae">Node</label> <select id="ae" name="ae">${aes.map((a) => html`<option value="${a.ae}"${a.ae === aeName ? html` selected` : ''}>${a.ae}</option>`)}</select>
<label for="fq">Name or patient ID contains</label> <input id="fq" name="q" value="${text}" maxlength="64">
<label for="fdate">Date</label> <input id="fdate" name="date" value="${typeof q.date === 'string' ? q.date : ''}" maxlength="40">
<label for="flevel">Find</label> <select id="flevel" name="level">${opt('PATIENT', 'Patients')}${opt('STUDY', 'Studies')}${opt('SERIES', 'Series')}</select>
<button type="submit">Find</button></p></form>
${results}`,
    );
  });

  app.post('/find/move', operatorWrite, async (request, reply) => {
    const peer = checkAe(ctx, field(request.body, 'ae'));
    const t = checkTarget(field(request.body, 'level'), field(request.body, 'key'));
    const study = field(request.body, 'study');
    const job = jobs.start(
      `move ${LEVEL_LABEL[t.level]} ${t.key} from ${peer.ae}`,
      request.webUser!.name,
      async (job) => {
        const model = t.level === 'PATIENT' ? 'PATIENT' : 'STUDY';
        const client = await DicomClient.connect(
          {
            host: peer.host,
            port: peer.port,
            callingAETitle: ctx.aeTitle,
            calledAETitle: peer.ae,
            log: ctx.log,
          },
          [{ abstractSyntax: MOVE[model], transferSyntaxes: NATIVE }],
        );
        try {
          const id = new Dataset();
          id.setStrings('QueryRetrieveLevel', t.level);
          if (t.level === 'PATIENT') id.setStrings('PatientID', t.key);
          if (t.level === 'STUDY') id.setStrings('StudyInstanceUID', t.key);
          if (t.level === 'SERIES') {
            if (/^[0-9.]{1,64}$/.test(study)) id.setStrings('StudyInstanceUID', study);
            id.setStrings('SeriesInstanceUID', t.key);
          }
          const result = await client.move(MOVE[model], ctx.aeTitle, id, (p) => {
            job.total = (p.remaining ?? 0) + p.completed + p.failed + p.warning;
            job.done = p.completed + p.warning;
            job.failed = p.failed;
            job.message = `${job.done} of ${job.total} received`;
          });
          job.total = result.completed + result.failed + result.warning;
          job.done = result.completed + result.warning;
          job.failed = result.failed;
          if (result.status !== 0 && (result.status & 0xf000) !== 0xb000)
            throw new Error(`the move ended with status 0x${result.status.toString(16)}`);
          return `moved ${job.done} of ${job.total}${job.failed ? `, ${job.failed} failed` : ''}`;
        } finally {
          await client.release().catch(() => client.abort());
        }
      },
    );
    return jobPage(request, reply, job.id, job.title);
  });

  registerWorklistRoutes(app, ctx);
}

function jobPage(request: FastifyRequest, reply: FastifyReply, id: string, title: string): FastifyReply {
  return sendPage(
    request,
    reply,
    { title: 'Progress', scripts: ['app.js'] },
    html`<h1>${title}</h1>
<p><progress class="progress" id="job-progress" data-job="${id}" max="1" value="0" aria-label="Progress"></progress></p>
<p id="job-message" role="status" aria-live="polite">starting</p>
<p><a href="/patients">Patients</a></p>`,
  );
}

/** C-FIND on another node with the manual's search (name or ID substring, date), merged by key. */
async function remoteFind(
  ctx: WebContext,
  peer: { ae: string; host: string; port: number },
  level: 'PATIENT' | 'STUDY' | 'SERIES',
  text: string,
  date: string,
): Promise<Dataset[]> {
  const model = level === 'PATIENT' ? 'PATIENT' : 'STUDY';
  const client = await DicomClient.connect(
    { host: peer.host, port: peer.port, callingAETitle: ctx.aeTitle, calledAETitle: peer.ae, log: ctx.log },
    [{ abstractSyntax: FIND[model], transferSyntaxes: NATIVE }],
  );
  try {
    const ask = async (extra: Record<string, string>): Promise<Dataset[]> => {
      const id = new Dataset();
      id.setStrings('QueryRetrieveLevel', level);
      const keys: Record<string, string> = { PatientID: '', PatientName: '' };
      if (level !== 'PATIENT')
        Object.assign(keys, {
          StudyInstanceUID: '',
          StudyDate: '',
          StudyDescription: '',
          ModalitiesInStudy: '',
        });
      if (level === 'SERIES')
        Object.assign(keys, { SeriesInstanceUID: '', SeriesDate: '', SeriesDescription: '', Modality: '' });
      if (date && level === 'STUDY') keys.StudyDate = date;
      if (date && level === 'SERIES') keys.SeriesDate = date;
      Object.assign(keys, extra);
      for (const [k, v] of Object.entries(keys)) id.setStrings(k, v);
      const { matches } = await client.findAll(FIND[model], id);
      return matches;
    };
    const key = (d: Dataset) =>
      `${d.string('PatientID')}|${d.string('StudyInstanceUID') ?? ''}|${d.string('SeriesInstanceUID') ?? ''}`;
    const parts = text
      ? [
          ...(await ask({ PatientName: text.includes('*') ? text : `*${text}*` })),
          ...(await ask({ PatientID: text.includes('*') ? text : `*${text}*` })),
        ]
      : await ask({});
    const seen = new Map<string, Dataset>();
    for (const d of parts) if (!seen.has(key(d))) seen.set(key(d), d);
    return [...seen.values()].slice(0, 1000);
  } finally {
    await client.release().catch(() => client.abort());
  }
}

// ---- upload -----------------------------------------------------------------------------------------

interface UploadResult {
  name: string;
  stored: boolean;
  message: string;
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** Part names shown back to the user: printable and short (they come from the client). */
function displayName(name: string | undefined): string {
  return (name ?? 'file').replace(/[^\x20-\x7e]/g, '?').slice(0, 120) || 'file';
}

async function uploadHandler(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (!request.isMultipart()) throw new BadRequestError('an upload is multipart/form-data');
  const dir = mkdtempSync(join(tmpdir(), 'cq-upload-'));
  const results: UploadResult[] = [];
  try {
    let n = 0;
    for await (const part of request.files()) {
      // Temporary names are ours; the client's file name is only shown.
      const path = join(dir, `part${n++}`);
      await pipeline(part.file, createWriteStream(path));
      if (part.file.truncated) {
        results.push({ name: displayName(part.filename), stored: false, message: 'too large' });
        continue;
      }
      const head = Buffer.alloc(4);
      const fh = await fsp.open(path, 'r');
      await fh.read(head, 0, 4, 0);
      await fh.close();
      if (head.equals(ZIP_MAGIC)) {
        const entries = await unzipTo(path, join(dir, `zip${n}`));
        for (const e of entries)
          results.push(
            await storeUpload(ctx, e.path, `${displayName(part.filename)}: ${displayName(e.name)}`),
          );
      } else results.push(await storeUpload(ctx, path, displayName(part.filename)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const stored = results.filter((r) => r.stored).length;
  const status = results.length === 0 ? 400 : stored === 0 ? 400 : 200;
  ctx.log.info(`web upload by ${request.webUser?.name}: ${stored} of ${results.length} files stored`);
  if ((request.headers.accept ?? '').includes('application/json'))
    return reply.code(status).send({ stored, files: results });
  return sendPage(
    request,
    reply,
    { title: 'Upload' },
    html`<h1>Upload</h1><p role="status">${stored} of ${results.length} file(s) stored.</p>
<table><thead><tr><th scope="col">File</th><th scope="col">Result</th></tr></thead><tbody>
${results.map((r) => html`<tr><td>${r.name}</td><td class="${r.stored ? '' : 'error'}">${r.message}</td></tr>`)}
</tbody></table><p><a href="/upload">Upload more</a></p>`,
    status,
  );
}

/** A DICOM file is read whole first (a truncated or corrupt file is refused before anything is stored). */
async function storeUpload(ctx: WebContext, path: string, name: string): Promise<UploadResult> {
  try {
    const f = await readDicomFile(path);
    if (!f.dataset.string('SOPInstanceUID') || !f.dataset.string('SOPClassUID'))
      return { name, stored: false, message: 'not stored: no SOP Class or SOP Instance UID' };
  } catch (e) {
    return {
      name,
      stored: false,
      message: `not stored: not a readable DICOM file (${(e as Error).message.slice(0, 200)})`,
    };
  }
  try {
    const added = await addFile(ctx.archive, path, { log: ctx.log });
    return {
      name,
      stored: true,
      message: `stored ${added.sopInstanceUid}${added.replaced ? ' (replaced)' : ''}`,
    };
  } catch (e) {
    return { name, stored: false, message: `not stored: ${(e as Error).message.slice(0, 200)}` };
  }
}

/** Extracts a ZIP's files (streamed) to numbered files in `dir`; folders and names are not used as paths. */
async function unzipTo(zipPath: string, dir: string): Promise<{ name: string; path: string }[]> {
  await fsp.mkdir(dir);
  const out: { name: string; path: string }[] = [];
  const pending: Promise<void>[] = [];
  const unzip = new Unzip((file) => {
    if (file.name.endsWith('/')) return;
    const path = join(dir, `entry${out.length}`);
    out.push({ name: file.name, path });
    const ws = createWriteStream(path);
    pending.push(
      new Promise<void>((resolve, reject) => {
        ws.on('finish', resolve);
        ws.on('error', reject);
      }),
    );
    file.ondata = (err, chunk, final) => {
      if (err) {
        ws.destroy(err);
        return;
      }
      ws.write(chunk);
      if (final) ws.end();
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  for await (const chunk of createReadStream(zipPath)) unzip.push(chunk as Uint8Array);
  unzip.push(new Uint8Array(0), true);
  await Promise.all(pending);
  return out;
}

// ---- worklist -----------------------------------------------------------------------------------------

function registerWorklistRoutes(app: FastifyInstance, ctx: WebContext): void {
  const worklist = () => {
    const m = ctx.archive.index?.schema.levels.WorkList;
    if (!m || !ctx.archive.index) throw new BadRequestError('dicom.sql defines no worklist table');
    return {
      m,
      driver: ctx.archive.index.driver,
      q: (n: string) => quoteIdentifier(ctx.archive.index!.driver.dialect, n),
    };
  };

  app.get('/worklist', { preHandler: requireRole('viewer', { page: true }) }, async (request, reply) => {
    const { m, driver, q } = worklist();
    const cols = m.tags;
    const rows = await driver.all(
      `SELECT ${cols.map((c, i) => `${q(c.column)} AS w${i}`).join(', ')} FROM ${q(m.table)} ORDER BY ${q(m.key.column)}`,
    );
    const canEdit = roleAtLeast(request.webUser!.role, 'operator') && !app.webReadOnly;
    const cell = (v: unknown) =>
      v === null || v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
    return sendPage(
      request,
      reply,
      { title: 'Worklist' },
      html`<h1>Worklist (${m.table})</h1>${canEdit ? html`<p><a href="/worklist/edit">Add an entry</a></p>` : ''}
<div class="scroll"><table><thead><tr>${cols.map((c) => html`<th scope="col">${c.column}</th>`)}${canEdit ? html`<th scope="col">Edit</th>` : ''}</tr></thead><tbody>
${rows.slice(0, 1000).map((r) => html`<tr>${cols.map((_, i) => html`<td>${cell(r[`w${i}`])}</td>`)}${canEdit ? html`<td><a href="/worklist/edit${qs({ key: cell(r.w0) })}">Edit</a></td>` : ''}</tr>`)}
</tbody></table></div>`,
    );
  });

  const checkKey = (v: unknown): string => {
    if (typeof v !== 'string' || v.length > 64 || /[\x00-\x1f\x7f]/.test(v))
      throw new BadRequestError('a worklist key is at most 64 printable characters');
    return v;
  };

  app.get(
    '/worklist/edit',
    { preHandler: requireRole('operator', { page: true }) },
    async (request, reply) => {
      const { m, driver, q } = worklist();
      const key = checkKey((request.query as Form).key ?? '');
      const row = key
        ? await driver.get(
            `SELECT ${m.tags.map((c, i) => `${q(c.column)} AS w${i}`).join(', ')} FROM ${q(m.table)} WHERE ${q(m.key.column)} = ?`,
            [key],
          )
        : undefined;
      const value = (i: number) => {
        const v = row?.[`w${i}`];
        return v === null || v === undefined ? '' : String(v);
      };
      return sendPage(
        request,
        reply,
        { title: 'Worklist entry' },
        html`<h1>${row ? 'Edit' : 'Add'} worklist entry</h1>
<form method="post" action="/worklist/save">${csrfField(request)}<input type="hidden" name="_original" value="${row ? key : ''}">
${m.tags.map((c, i) => html`<p><label for="wl${i}">${c.column}</label> <input id="wl${i}" name="${c.column}" value="${value(i)}" maxlength="${c.length}"></p>`)}
<p><button type="submit">Save</button></p></form>
${row ? html`<form method="post" action="/worklist/delete">${csrfField(request)}<input type="hidden" name="key" value="${key}"><button type="submit">Delete this entry</button></form>` : ''}`,
      );
    },
  );

  app.post(
    '/worklist/save',
    { preHandler: requireRole('operator', { writes: true, page: true }) },
    async (request, reply) => {
      const { m, driver, q } = worklist();
      const values = m.tags.map((c) => {
        const v = field(request.body, c.column);
        if (v.length > c.length || /[\x00-\x1f\x7f]/.test(v))
          throw new BadRequestError(`${c.column}: at most ${c.length} printable characters`);
        return v;
      });
      const key = values[0] ?? '';
      if (!key) throw new BadRequestError(`${m.key.column} is required`);
      const original = checkKey(field(request.body, '_original'));
      await driver.transaction(async (tx) => {
        if (original) await tx.run(`DELETE FROM ${q(m.table)} WHERE ${q(m.key.column)} = ?`, [original]);
        else {
          const exists = await tx.get(`SELECT 1 AS x FROM ${q(m.table)} WHERE ${q(m.key.column)} = ?`, [key]);
          if (exists) throw new BadRequestError(`an entry ${key} exists already`);
        }
        await tx.run(
          `INSERT INTO ${q(m.table)} (${m.tags.map((c) => q(c.column)).join(', ')}) VALUES (${m.tags.map(() => '?').join(', ')})`,
          values,
        );
      });
      return sendMessage(request, reply, 200, 'Worklist', `Entry ${key} saved.`, '/worklist');
    },
  );

  app.post(
    '/worklist/delete',
    { preHandler: requireRole('operator', { writes: true, page: true }) },
    async (request, reply) => {
      const { m, driver, q } = worklist();
      const key = checkKey(field(request.body, 'key'));
      const r = await driver.run(`DELETE FROM ${q(m.table)} WHERE ${q(m.key.column)} = ?`, [key]);
      return sendMessage(
        request,
        reply,
        r.changes ? 200 : 404,
        'Worklist',
        r.changes ? `Entry ${key} deleted.` : `No entry ${key}.`,
        '/worklist',
      );
    },
  );
}
