/**
 * Issue 7, the pages: search with the manual's Find semantics (substring of name or ID, dates), studies,
 * series, images with and without thumbnails, viewers, header dump, rendered images; uploads (DICOM,
 * ZIP, refused non-DICOM and corrupt files), delete with confirmation, ZIP export, worklist, status, AEs;
 * escaping, path traversal and header injection attempts rejected.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { unzipSync, zipSync } from 'fflate';
import { readDicomFile } from '../../src/dicom/reader.js';
import { dateRange } from '../../src/web/pages/data.js';
import { escapeHtml, html, jsonScript } from '../../src/web/pages/html.js';
import { CORPUS_SKIP } from '../support/corpus.js';
import { corpusFiles, form, loadCorpus, login, type WebFixture, webFixture } from './web-fixture.js';

const ADMIN = 'admin-pages-1';

describe('html helper', () => {
  it('escapes every interpolation, nests templates, and keeps JSON inside its script', () => {
    const evil = `<script>alert("x")</script>'&`;
    assert.equal(html`<p>${evil}</p>`.text, `<p>${escapeHtml(evil)}</p>`);
    assert.ok(!html`<p title="${evil}">`.text.includes('"x"'));
    assert.equal(
      html`<ul>${['a', '<b>'].map((x) => html`<li>${x}</li>`)}</ul>`.text,
      '<ul><li>a</li><li>&lt;b&gt;</li></ul>',
    );
    assert.ok(!jsonScript({ a: '</script><script>' }).text.includes('<'));
  });

  it("reads the manual's dates: yyyy, yyyymm, yyyymmdd and ranges", () => {
    assert.equal(dateRange('2019'), '20190101-20191231');
    assert.equal(dateRange('202402'), '20240201-20240229');
    assert.equal(dateRange('20190115'), '20190115');
    assert.equal(dateRange('2019-2020'), '20190101-20201231');
    assert.equal(dateRange('20190115-'), '20190115-');
    assert.equal(dateRange('-2019'), '-20191231');
    assert.throws(() => dateRange('2019x'), /a date is/);
  });
});

describe('web pages', { skip: CORPUS_SKIP }, () => {
  let f: WebFixture;
  let s: { cookie: string; csrf: string };
  const get = (url: string) => f.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
  const post = (url: string, fields: Record<string, string>) => {
    const b = form({ ...fields, _csrf: s.csrf });
    return f.app.inject({
      method: 'POST',
      url,
      headers: { cookie: s.cookie, ...b.headers },
      payload: b.payload,
    });
  };
  const count = async (): Promise<number> => {
    const ix = f.archive.index!;
    const row = await ix.driver.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${ix.schema.levels.Image!.table}`,
    );
    return Number(row?.n);
  };

  before(async () => {
    f = await webFixture([`admin_password = ${ADMIN}`]);
    await loadCorpus(f.archive, 'study/PAT001');
    await loadCorpus(f.archive, 'study/PAT002');
    s = await login(f.app, 'admin', ADMIN);
  });
  after(async () => f?.close());

  it('finds patients by a substring of the name or of the ID', async () => {
    const byName = await get('/patients?q=doe');
    assert.equal(byName.statusCode, 200);
    assert.match(byName.body, /PAT001/);
    assert.doesNotMatch(byName.body, /PAT002/);
    const byId = await get('/patients?q=T002');
    assert.match(byId.body, /PAT002/);
    assert.doesNotMatch(byId.body, /PAT001/);
    const all = await get('/patients?all=1');
    assert.match(all.body, /2 patient\(s\)/);
  });

  it('finds studies by date (yyyy, range) and series by modality date', async () => {
    const r = await get('/patients?level=study&date=2019');
    assert.match(r.body, /1 study/);
    assert.match(r.body, /CT CHEST W\/O CONTRAST/);
    const range = await get('/patients?level=study&date=2020-2021');
    assert.match(range.body, /2 studies/);
    const series = await get('/patients?level=series&q=PAT001');
    assert.equal(series.statusCode, 200);
    assert.match(series.body, /5 series/);
  });

  it('lists the studies of a patient, the series of a study and the images of a series', async () => {
    const p = await get('/patient?id=PAT001');
    assert.match(p.body, /2 studies/);
    const study = /\/study\?uid=([0-9.]+)/.exec(p.body)![1]!;
    const st = await get(`/study?uid=${study}`);
    assert.equal(st.statusCode, 200);
    const series = /\/series\?uid=([0-9.]+)"/.exec(st.body)![1]!;
    const plain = await get(`/series?uid=${series}`);
    assert.match(plain.body, /image\(s\)/);
    assert.doesNotMatch(plain.body, /size=128/);
    const thumbs = await get(`/series?uid=${series}&thumbs=1`);
    assert.match(thumbs.body, /<img src="\/web\/image\/[0-9.]+\.jpg\?size=128"/);
    const viewer = await get(`/viewer/series?uid=${series}`);
    assert.match(viewer.body, /id="viewer-data"/);
    assert.match(viewer.body, /\/assets\/viewer\.js/);
    const sv = await get(`/viewer/study?uid=${study}`);
    assert.match(sv.body, /data-series="1"/);
  });

  it('renders images as JPEG, PNG and GIF with window, frame and size; dumps the header', async () => {
    const file = corpusFiles('study/PAT001')[0]!;
    const sop = (await readDicomFile(file)).dataset.string('SOPInstanceUID')!;
    const jpg = await get(`/web/image/${sop}.jpg?wc=40&ww=400`);
    assert.equal(jpg.statusCode, 200);
    assert.equal(jpg.headers['content-type'], 'image/jpeg');
    assert.equal(jpg.rawPayload.subarray(0, 2).toString('hex'), 'ffd8');
    const png = await get(`/web/image/${sop}.png?size=64`);
    assert.equal(png.rawPayload.subarray(1, 4).toString(), 'PNG');
    const gif = await get(`/web/image/${sop}.gif`);
    assert.equal(gif.rawPayload.subarray(0, 3).toString(), 'GIF');
    assert.equal((await get(`/web/image/${sop}.jpg?frame=99`)).statusCode, 400);
    assert.equal((await get(`/web/image/${sop}.jpg?wc=40`)).statusCode, 400);
    const info = JSON.parse((await get(`/web/info/${sop}`)).body);
    assert.equal(info.frames, 1);
    const header = await get(`/header?uid=${sop}`);
    assert.match(header.body, /\(0010,0010\) PN \[DOE\^JOHN\]/);
    const text = await get(`/header?uid=${sop}&format=text`);
    assert.match(String(text.headers['content-type']), /^text\/plain/);
  });

  it('rejects path traversal and bad parameters with 400, never a file', async () => {
    for (const url of [
      '/web/image/..%2F..%2Fetc%2Fpasswd.jpg',
      '/web/image/1.2.3.jpg%00.png',
      '/study?uid=../../etc/passwd',
      '/series?uid=1.2.3%2F..',
      '/header?uid=1.2.3;ls',
      '/patient?id=*',
      '/viewer/series?uid=%0d%0aX-Evil:%201',
      '/export?level=study&key=..%2F..%2F',
      '/patients?q=a%5Cb',
      '/patients?level=image',
    ]) {
      const r = await get(url);
      assert.equal(r.statusCode, 400, `${url}: ${r.statusCode}`);
    }
    const asset = await get('/assets/..%2Fpackage.json');
    assert.equal(asset.statusCode, 404);
    assert.equal((await get('/assets/style.css')).statusCode, 200);
  });

  it('puts no request value into a header', async () => {
    const r = await get('/export?level=patient&key=PAT001%0d%0aX-Injected:%201');
    assert.equal(r.statusCode, 400);
    assert.equal(r.headers['x-injected'], undefined);
    const ok = await get('/export?level=patient&key=PAT002');
    assert.equal(ok.headers['content-disposition'], 'attachment; filename="patient.zip"');
  });

  it('escapes what it shows from the request', async () => {
    const r = await get('/patients?q=%3Cscript%3Ex%3C%2Fscript%3E');
    assert.equal(r.statusCode, 200);
    assert.ok(!r.body.includes('<script>x'));
    assert.match(r.body, /&lt;script&gt;x/);
    // Defence in depth: scripts only from this server, no framing.
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'.*frame-ancestors 'none'/);
  });

  it('exports a study as a ZIP of its files, byte for byte', async () => {
    const r = await get('/export?level=patient&key=PAT002');
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/zip');
    const entries = unzipSync(new Uint8Array(r.rawPayload));
    const files = corpusFiles('study/PAT002');
    assert.equal(Object.keys(entries).length, files.length);
    const one = files[0]!;
    const sop = (await readDicomFile(one)).dataset.string('SOPInstanceUID')!;
    assert.ok(entries[`${sop}.dcm`]);
  });

  it('uploads DICOM files and ZIPs; refuses non-DICOM and corrupt files with a message, storing nothing', async () => {
    const before = await count();
    const boundary = 'XyZ123boundary';
    const multipart = (parts: { name: string; data: Buffer }[]) =>
      Buffer.concat([
        ...parts.flatMap((p) => [
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${p.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
          ),
          p.data,
          Buffer.from('\r\n'),
        ]),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
    const send = (parts: { name: string; data: Buffer }[]) =>
      f.app.inject({
        method: 'POST',
        url: `/upload?_csrf=${encodeURIComponent(s.csrf)}`,
        headers: {
          cookie: s.cookie,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          accept: 'application/json',
        },
        payload: multipart(parts),
      });
    const text = await send([
      { name: 'notes.txt', data: Buffer.from('this is not DICOM at all\n'.repeat(20)) },
    ]);
    assert.equal(text.statusCode, 400);
    assert.match(JSON.parse(text.body).files[0].message, /not a readable DICOM file/);
    const good = readFileSync(corpusFiles('study/PAT003')[0]!);
    const corrupt = await send([{ name: 'cut.dcm', data: good.subarray(0, Math.floor(good.length / 2)) }]);
    assert.equal(corrupt.statusCode, 400, corrupt.body);
    assert.match(JSON.parse(corrupt.body).files[0].message, /not stored/);
    assert.equal(await count(), before, 'nothing stored');
    const noToken = await f.app.inject({
      method: 'POST',
      url: '/upload',
      headers: { cookie: s.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: multipart([{ name: 'a.dcm', data: good }]),
    });
    assert.equal(noToken.statusCode, 403);
    const ok = await send([{ name: 'a.dcm', data: good }]);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(await count(), before + 1);
    const two = corpusFiles('study/PAT003')
      .slice(1, 3)
      .map((p) => readFileSync(p));
    const zip = Buffer.from(
      zipSync({ 'x/one.dcm': two[0]!, 'two.dcm': two[1]!, '../evil.txt': Buffer.from('no') }),
    );
    const z = await send([{ name: 'batch.zip', data: zip }]);
    assert.equal(z.statusCode, 200, z.body);
    assert.equal(JSON.parse(z.body).stored, 2);
    assert.equal(await count(), before + 3);
  });

  it('deletes a series only after confirmation', async () => {
    const p = await get('/patient?id=PAT002');
    const study = /\/study\?uid=([0-9.]+)/.exec(p.body)![1]!;
    const series = /\/series\?uid=([0-9.]+)"/.exec((await get(`/study?uid=${study}`)).body)![1]!;
    const confirm = await get(`/delete?level=series&key=${series}`);
    assert.match(confirm.body, /cannot be undone/);
    const before = await count();
    const unconfirmed = await post('/delete', { level: 'series', key: series });
    assert.equal(unconfirmed.statusCode, 400);
    assert.equal(await count(), before);
    const done = await post('/delete', { level: 'series', key: series, confirm: 'yes' });
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /deleted \d+ images?/);
    assert.ok((await count()) < before);
  });

  it('edits the worklist: add, list, change, delete', async () => {
    const edit = await get('/worklist/edit');
    assert.equal(edit.statusCode, 200);
    const names = [...edit.body.matchAll(/<input id="wl\d+" name="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(names.length > 3, edit.body.slice(0, 500));
    const fields: Record<string, string> = { _original: '' };
    for (const n of names) fields[n] = '';
    fields[names[0]!] = 'ACC9';
    if (names.includes('PatientID')) fields.PatientID = 'WL1';
    assert.equal((await post('/worklist/save', fields)).statusCode, 200);
    assert.match((await get('/worklist')).body, /ACC9/);
    assert.equal((await post('/worklist/save', fields)).statusCode, 400, 'a duplicate is refused');
    fields._original = 'ACC9';
    fields[names[0]!] = 'ACC10';
    assert.equal((await post('/worklist/save', fields)).statusCode, 200);
    const list = (await get('/worklist')).body;
    assert.match(list, /ACC10/);
    assert.doesNotMatch(list, /ACC9</);
    assert.equal((await post('/worklist/delete', { key: 'ACC10' })).statusCode, 200);
    assert.doesNotMatch((await get('/worklist')).body, /ACC10/);
  });

  it('shows the status counters and the known AEs', async () => {
    const st = await get('/status');
    assert.match(st.body, /Image rows<\/th><td>\d+/);
    const aes = await get('/aes');
    assert.match(aes.body, /CONQUESTSRV1/);
  });
});
