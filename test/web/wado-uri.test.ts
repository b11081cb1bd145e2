/**
 * WADO-URI at /wado and Conquest's CGI paths: pictures (JPEG default, PNG, GIF) with window, size, region
 * and frame; application/dicom as stored and transcoded; refusals (anonymize, bad UIDs, header injection).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readDicomFile } from '../../src/dicom/reader.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';
import { type WebFixture, webFixture } from './dicomweb-support.js';

describe('WADO-URI', { skip: CORPUS_SKIP }, () => {
  let f: WebFixture;
  let ct: string;
  let mf: string;
  let ctQuery: string;
  let mfQuery: string;
  before(async () => {
    f = await webFixture();
    [ct, mf] = await f.add([
      corpusPath('ts/ct16s_implicit_le.dcm'),
      corpusPath('codec/jpeg_ll_sv1_nm16mf_bot.dcm'),
    ]);
    const q = async (p: string) => {
      const ds = (await readDicomFile(p)).dataset;
      return `studyUID=${ds.string('StudyInstanceUID')}&seriesUID=${ds.string('SeriesInstanceUID')}&objectUID=${ds.string('SOPInstanceUID')}`;
    };
    ctQuery = await q(ct!);
    mfQuery = await q(mf!);
  });
  after(async () => {
    await f?.close();
  });
  const get = (url: string) => f.app.inject({ method: 'GET', url });

  it('answers a JPEG by default at /wado and at every Conquest path', async () => {
    for (const path of ['/wado', '/cgi-bin/dgate', '/cgi-bin/dgate.exe', '/dgate', '/dgate.exe']) {
      const r = await get(`${path}?requestType=WADO&${ctQuery}`);
      assert.equal(r.statusCode, 200, `${path}: ${r.body}`);
      assert.equal(r.headers['content-type'], 'image/jpeg');
      assert.equal(r.rawPayload.readUInt16BE(0), 0xffd8);
    }
  });

  it('makes PNG and GIF, with size, window, region and frame', async () => {
    const png = await get(
      `/wado?requestType=WADO&${ctQuery}&contentType=image/png&rows=16&columns=32&windowCenter=40&windowWidth=400`,
    );
    assert.equal(png.headers['content-type'], 'image/png');
    const meta = await sharp(png.rawPayload).metadata();
    assert.ok((meta.width ?? 0) <= 16 && (meta.height ?? 0) <= 16, `${meta.width}x${meta.height}`);
    const gif = await get(`/wado?requestType=WADO&${ctQuery}&contentType=image/gif`);
    assert.equal(gif.rawPayload.subarray(0, 3).toString(), 'GIF');
    const full = await sharp(
      (await get(`/wado?requestType=WADO&${ctQuery}&contentType=image/png`)).rawPayload,
    ).metadata();
    const half = await sharp(
      (await get(`/wado?requestType=WADO&${ctQuery}&contentType=image/png&region=0,0,0.5,0.5`)).rawPayload,
    ).metadata();
    assert.equal(half.width, Math.ceil((full.width ?? 0) / 2));
    const f2 = await get(`/wado?requestType=WADO&${mfQuery}&frameNumber=2`);
    assert.equal(f2.statusCode, 200);
    const f1 = await get(`/wado?requestType=WADO&${mfQuery}&frameNumber=1&contentType=image/png`);
    const f3 = await get(`/wado?requestType=WADO&${mfQuery}&frameNumber=3&contentType=image/png`);
    assert.ok(!f1.rawPayload.equals(f3.rawPayload), 'frames differ');
    assert.equal((await get(`/wado?requestType=WADO&${mfQuery}&frameNumber=999`)).statusCode, 404);
  });

  it('sends application/dicom as stored or transcoded', async () => {
    const asIs = await get(
      `/wado?requestType=WADO&${ctQuery}&contentType=application/dicom&transferSyntax=*`,
    );
    assert.equal(asIs.headers['content-type'], 'application/dicom');
    assert.ok(asIs.rawPayload.equals(readFileSync(ct!)), 'the stored file');
    const ele = await get(`/wado?requestType=WADO&${ctQuery}&contentType=application/dicom`);
    const { parseDicom } = await import('../../src/dicom/reader.js');
    assert.equal(parseDicom(ele.rawPayload).transferSyntax.uid, '1.2.840.10008.1.2.1');
    const rle = await get(
      `/wado?requestType=WADO&${ctQuery}&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.5`,
    );
    assert.equal(parseDicom(rle.rawPayload).transferSyntax.uid, '1.2.840.10008.1.2.5');
  });

  it('refuses anonymisation, bad UIDs, injection and other request types', async () => {
    const anon = await get(`/wado?requestType=WADO&${ctQuery}&anonymize=yes`);
    assert.equal(anon.statusCode, 400);
    assert.match(anon.body, /anonymisation is not in this version/);
    assert.equal((await get('/wado?requestType=WADO&objectUID=../../dicom.ini')).statusCode, 400);
    assert.equal(
      (await get('/wado?requestType=WADO&objectUID=1.2.3&studyUID=1.2%0d%0aX-A:%20b')).statusCode,
      400,
    );
    assert.equal((await get('/wado?objectUID=1.2.3')).statusCode, 400);
    assert.equal((await get('/wado?requestType=WADO&objectUID=1.2.3')).statusCode, 404);
    assert.equal((await get(`/wado?requestType=WADO&${ctQuery}&contentType=text/html`)).statusCode, 406);
    assert.equal((await get(`/wado?requestType=WADO&${ctQuery}&region=0,0,2,1`)).statusCode, 400);
    assert.equal((await get(`/wado?requestType=WADO&${ctQuery}&windowCenter=40`)).statusCode, 400);
  });
});
