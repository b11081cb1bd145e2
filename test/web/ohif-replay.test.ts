/**
 * OHIF 3's DICOMweb request sequence, replayed against this server (OHIF/Viewers
 * extensions/default/src/DicomWebDataSource: qido.js mapParams and seriesInStudy, the series metadata
 * loader, and cornerstone's WADO-RS image loader): the study list search with OHIF's includefield list and
 * paging, the series search, per-series metadata, then every instance's first frame with OHIF's Accept
 * header. The study must open (metadata with what cornerstone needs) and each image must decode to pixels.
 *
 * Why a replay: the registry has the OHIF packages (@ohif/app ships a dist/), but serving and driving the
 * whole viewer in Chromium is the browser test's work; this pins the exact requests and checks the answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describePixels } from '../../src/codecs/pixel-data.js';
import { decodeFrame } from '../../src/codecs/registry.js';
import { datasetFromJson } from '../../src/dicom/json.js';
import { studyFiles } from '../archive/maintenance/support.js';
import { CORPUS_SKIP } from '../support/corpus.js';
import { splitMultipart, type WebFixture, webFixture } from './dicomweb-support.js';

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;
const str = (j: Json, tag: string): string | undefined => {
  const v = j[tag]?.Value?.[0];
  if (v && typeof v === 'object') return (v as { Alphabetic?: string }).Alphabetic;
  return v === undefined ? undefined : String(v);
};

/** OHIF's Accept for frames (cornerstone dicom-image-loader, WADO-RS). */
const OHIF_FRAME_ACCEPT = 'multipart/related; type=application/octet-stream; transfer-syntax=*';

describe('OHIF 3 request sequence', { skip: CORPUS_SKIP }, () => {
  let f: WebFixture;
  before(async () => {
    f = await webFixture({ WebCorsOrigins: '*' });
    await f.add(studyFiles('PAT002'));
  });
  after(async () => {
    await f?.close();
  });
  const get = async (url: string, accept = 'application/dicom+json') => {
    const r = await f.app.inject({
      method: 'GET',
      url,
      headers: { accept, origin: 'http://localhost:3000' },
    });
    assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    return r;
  };

  it('study list → series → metadata → frames: the study opens and every image decodes', async () => {
    const list = JSON.parse(
      (
        await get(
          '/dicom-web/studies?PatientName=*M%C3%BCller*&limit=101&offset=0&fuzzymatching=false&includefield=00081030%2C00080060%2C00080090%2C00100030',
        )
      ).body,
    ) as Json[];
    assert.equal(list.length, 2);
    for (const tag of [
      '0020000D',
      '00080020',
      '00080030',
      '00080050',
      '00100020',
      '00100010',
      '00100030',
      '00201208',
      '00081030',
      '00080061',
      '00080090',
    ])
      assert.ok(list[0]![tag], `study list needs ${tag}`);
    const study = str(list[0]!, '0020000D')!;
    // The viewer's own study search by UID (mapParams with studyInstanceUid).
    assert.equal(JSON.parse((await get(`/dicom-web/studies?StudyInstanceUID=${study}`)).body).length, 1);
    const series = JSON.parse(
      (await get(`/dicom-web/studies/${study}/series?includefield=0008103E%2C00080021`)).body,
    ) as Json[];
    assert.ok(series.length >= 1);
    let frames = 0;
    for (const s of series) {
      for (const tag of ['0020000E', '00080060', '00200011', '00201209', '0008103E'])
        assert.ok(s[tag], `series needs ${tag}`);
      const se = str(s, '0020000E')!;
      const meta = JSON.parse(
        (await get(`/dicom-web/studies/${study}/series/${se}/metadata`)).body,
      ) as Json[];
      assert.equal(meta.length, Number(str(s, '00201209')));
      for (const m of meta) {
        for (const tag of [
          '00080016',
          '00080018',
          '00280010',
          '00280011',
          '00280100',
          '00280103',
          '00280004',
          '7FE00010',
        ])
          assert.ok(m[tag], `metadata needs ${tag}`);
        const sop = str(m, '00080018')!;
        const r = await get(
          `/dicom-web/studies/${study}/series/${se}/instances/${sop}/frames/1`,
          OHIF_FRAME_ACCEPT,
        );
        const [part] = splitMultipart(String(r.headers['content-type']), r.rawPayload);
        const ts = /transfer-syntax=([0-9.]+)/.exec(part!.headers.get('content-type') ?? '')?.[1];
        assert.ok(ts, 'the part says its transfer syntax');
        const header = datasetFromJson(
          Object.fromEntries(
            Object.entries(m).filter(([k]) => k !== '7FE00010' && k !== '00083002'),
          ) as never,
        );
        const d = describePixels(header, ts);
        const decoded = await decodeFrame(part!.body, d, ts!);
        assert.equal(decoded.pixels.length, d.rows * d.columns * d.samplesPerPixel * (d.bitsAllocated / 8));
        frames++;
      }
    }
    assert.ok(frames >= 18, `${frames} images rendered`);
  });
});
