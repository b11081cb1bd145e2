/**
 * DICOMweb against a real archive of the corpus study folder (6 studies, 145 instances, 3 patients):
 * QIDO-RS matching and return attributes, WADO-RS instances (byte-equal to the stored files), metadata and
 * bulk data, frames (decoded frames hash to the corpus MANIFEST's pixel_sha256), rendered pictures,
 * STOW-RS (round trip and refusals), CORS, and the security checks on every kind of parameter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describePixels } from '../../src/codecs/pixel-data.js';
import { decodeFrame } from '../../src/codecs/registry.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { count, studyFiles } from '../archive/maintenance/support.js';
import { CORPUS_DIR, CORPUS_SKIP, corpusManifest, corpusPath } from '../support/corpus.js';
import { pixelHash } from '../support/pixel-hash.js';
import {
  CURL_SKIP,
  type curl,
  multipartBody,
  splitMultipart,
  type WebFixture,
  webFixture,
} from './dicomweb-support.js';

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;

interface StudyRow {
  patient: string;
  uid: string;
  date: string;
  modality: string;
  series: number;
  instances: number;
}

function index(): StudyRow[] {
  const lines = readFileSync(join(CORPUS_DIR, 'study', 'INDEX.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return lines.map((l) => {
    const c = l.split('\t');
    return {
      patient: c[0]!,
      uid: c[2]!,
      date: c[3]!,
      modality: c[7]!,
      series: Number(c[8]),
      instances: Number(c[9]),
    };
  });
}

const str = (j: Json, tag: string): string | undefined => {
  const v = j[tag]?.Value?.[0];
  if (v && typeof v === 'object') return (v as { Alphabetic?: string }).Alphabetic;
  return v === undefined ? undefined : String(v);
};

describe('DICOMweb on the corpus study folder', { skip: CORPUS_SKIP }, () => {
  let f: WebFixture;
  let studies: StudyRow[];
  before(async () => {
    f = await webFixture({ WebCorsOrigins: 'http://viewer.example' });
    await f.add(studyFiles());
    studies = index();
  });
  after(async () => {
    await f?.close();
  });

  const get = (url: string, accept?: string) =>
    f.app.inject({ method: 'GET', url, headers: accept ? { accept } : {} });
  const json = async (url: string): Promise<Json[]> => {
    const r = await get(url);
    assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
    assert.match(String(r.headers['content-type']), /^application\/dicom\+json/);
    return JSON.parse(r.body) as Json[];
  };

  describe('QIDO-RS', () => {
    it('finds every study with the PS3.18 required attributes and counts', async () => {
      const out = await json('/dicom-web/studies');
      assert.equal(out.length, studies.length);
      for (const s of studies) {
        const j = out.find((x) => str(x, '0020000D') === s.uid);
        assert.ok(j, `study ${s.uid}`);
        for (const tag of [
          '00080020',
          '00080030',
          '00080050',
          '00080061',
          '00080090',
          '00100010',
          '00100020',
          '00100030',
          '00100040',
          '00200010',
        ])
          assert.ok(j[tag], `${tag} in the response`);
        assert.equal(Number(str(j, '00201206')), s.series);
        assert.equal(Number(str(j, '00201208')), s.instances);
        assert.equal(str(j, '00080061'), s.modality);
        assert.equal(str(j, '00080056'), 'ONLINE');
        assert.match(str(j, '00081190')!, new RegExp(`/dicom-web/studies/${s.uid.replace(/\./g, '\\.')}$`));
        assert.equal(j['00080052'], undefined, 'no Query/Retrieve Level in QIDO answers');
      }
    });

    it('matches by keyword and by tag, with wildcards, ranges, UID lists and modalities', async () => {
      assert.equal((await json('/dicom-web/studies?PatientName=DOE^*')).length, 2);
      assert.equal((await json('/dicom-web/studies?00100020=PAT002')).length, 2);
      const inRange = studies.filter((s) => s.date >= '20200101' && s.date <= '20221231').length;
      assert.equal((await json('/dicom-web/studies?StudyDate=20200101-20221231')).length, inRange);
      const two = `${studies[0]!.uid},${studies[3]!.uid}`;
      const byUid = await json(`/dicom-web/studies?StudyInstanceUID=${two}`);
      assert.deepEqual(
        byUid.map((j) => str(j, '0020000D')).sort(),
        [studies[0]!.uid, studies[3]!.uid].sort(),
      );
      const mr = await json('/dicom-web/studies?ModalitiesInStudy=MR');
      assert.equal(mr.length, studies.filter((s) => s.modality === 'MR').length);
    });

    it('fuzzymatching=true matches person names case-insensitively and by their start', async () => {
      assert.equal((await json('/dicom-web/studies?PatientName=doe')).length, 0);
      assert.equal((await json('/dicom-web/studies?PatientName=doe&fuzzymatching=true')).length, 2);
    });

    it('pages with limit and offset, and returns includefield attributes', async () => {
      const all = (await json('/dicom-web/studies')).map((j) => str(j, '0020000D'));
      const a = (await json('/dicom-web/studies?limit=4')).map((j) => str(j, '0020000D'));
      const b = (await json('/dicom-web/studies?limit=4&offset=4')).map((j) => str(j, '0020000D'));
      assert.equal(a.length, 4);
      assert.equal(b.length, all.length - 4);
      assert.deepEqual([...a, ...b].sort(), [...all].sort());
      const inc = await json(
        '/dicom-web/studies?includefield=StudyDescription&includefield=00081030,00080060',
      );
      assert.ok(inc.every((j) => j['00081030'] !== undefined));
      const every = await json('/dicom-web/studies?includefield=all&limit=1');
      assert.ok(Object.keys(every[0]!).length >= 15);
    });

    it('searches series and instances at every level with their counts', async () => {
      const s = studies[0]!;
      const series = await json(`/dicom-web/studies/${s.uid}/series`);
      assert.equal(series.length, s.series);
      const total = series.reduce((n, j) => n + Number(str(j, '00201209')), 0);
      assert.equal(total, s.instances);
      for (const j of series)
        for (const tag of ['00080060', '0020000E', '00200011', '00081190']) assert.ok(j[tag], tag);
      const se = str(series[0]!, '0020000E')!;
      const inst = await json(`/dicom-web/studies/${s.uid}/series/${se}/instances`);
      assert.equal(inst.length, Number(str(series[0]!, '00201209')));
      for (const tag of ['00080016', '00080018', '00200013', '00280010', '00280011'])
        assert.ok(inst[0]![tag], tag);
      assert.match(str(inst[0]!, '00081190')!, /\/instances\/[0-9.]+$/);
      assert.equal((await json(`/dicom-web/studies/${s.uid}/instances`)).length, s.instances);
      const allSeries = await json('/dicom-web/series');
      assert.equal(
        allSeries.length,
        studies.reduce((n, x) => n + x.series, 0),
      );
      assert.ok(allSeries[0]!['00100010'], 'study-level attributes come with /series');
      assert.equal((await json('/dicom-web/instances?PatientID=PAT003')).length, 47);
    });

    it('refuses what it cannot answer: media types, attributes, values', async () => {
      assert.equal(
        (await get('/dicom-web/studies', 'multipart/related; type="application/dicom+xml"')).statusCode,
        406,
      );
      assert.equal((await get('/dicom-web/studies', 'application/json')).statusCode, 200);
      assert.equal((await get('/dicom-web/studies?NoSuchKeyword=1')).statusCode, 400);
      assert.equal((await get('/dicom-web/studies?limit=-1')).statusCode, 400);
      assert.equal((await get('/dicom-web/studies?PatientName=A%0D%0ASet-Cookie:%20x=1')).statusCode, 400);
      assert.equal((await get('/dicom-web/studies/1.2.abc/series')).statusCode, 400);
      assert.equal((await get('/dicom-web/studies?fuzzymatching=maybe')).statusCode, 400);
    });
  });

  describe('WADO-RS', () => {
    it('sends a series as stored (transfer-syntax=*), byte for byte the archive files', async () => {
      const s = studies[1]!;
      const series = await json(`/dicom-web/studies/${s.uid}/series`);
      const se = str(series[0]!, '0020000E')!;
      const r = await get(
        `/dicom-web/studies/${s.uid}/series/${se}`,
        'multipart/related; type="application/dicom"; transfer-syntax=*',
      );
      assert.equal(r.statusCode, 200);
      const ct = String(r.headers['content-type']);
      assert.match(ct, /^multipart\/related; type="application\/dicom"; boundary=/);
      const parts = splitMultipart(ct, r.rawPayload);
      assert.equal(parts.length, Number(str(series[0]!, '00201209')));
      const rows = f.archive.index!.driver;
      for (const p of parts) {
        assert.match(p.headers.get('content-type')!, /^application\/dicom; transfer-syntax=[0-9.]+$/);
        const file = await readDicomFile(await writeTemp(p.body));
        const sop = file.dataset.string('SOPInstanceUID')!;
        const row = await rows.get<{ d: string; f: string }>(
          'SELECT DeviceName AS d, ObjectFile AS f FROM DICOMImages WHERE SOPInstanc = ?',
          [sop],
        );
        const stored = readFileSync(join(f.archive.devices[0]!, row!.f));
        assert.ok(stored.equals(p.body), `${sop} is the stored file`);
      }
    });

    it('transcodes to the requested transfer syntax, one object per part', async () => {
      const s = studies[0]!;
      const r = await get(
        `/dicom-web/studies/${s.uid}`,
        'multipart/related; type=application/dicom; transfer-syntax=1.2.840.10008.1.2',
      );
      assert.equal(r.statusCode, 200);
      const parts = splitMultipart(String(r.headers['content-type']), r.rawPayload);
      assert.equal(parts.length, s.instances);
      for (const p of parts.slice(0, 5)) {
        assert.equal(p.headers.get('content-type'), 'application/dicom; transfer-syntax=1.2.840.10008.1.2');
        const file = await readDicomFile(await writeTemp(p.body));
        assert.equal(file.transferSyntax.uid, '1.2.840.10008.1.2');
      }
      // Default (no transfer-syntax): Explicit VR Little Endian.
      const d = await get(`/dicom-web/studies/${s.uid}`, 'multipart/related; type="application/dicom"');
      const first = splitMultipart(String(d.headers['content-type']), d.rawPayload)[0]!;
      assert.equal(
        first.headers.get('content-type'),
        'application/dicom; transfer-syntax=1.2.840.10008.1.2.1',
      );
      assert.equal((await get(`/dicom-web/studies/${s.uid}`, 'application/json')).statusCode, 406);
      assert.equal((await get('/dicom-web/studies/1.2.3.4')).statusCode, 404);
    });

    it('gives series metadata with BulkDataURIs that resolve against the series URL', async () => {
      const s = studies[0]!;
      const series = await json(`/dicom-web/studies/${s.uid}/series`);
      const se = str(series[0]!, '0020000E')!;
      const base = `/dicom-web/studies/${s.uid}/series/${se}`;
      const meta = await json(`${base}/metadata`);
      assert.equal(meta.length, Number(str(series[0]!, '00201209')));
      const one = meta[0]!;
      const uri = one['7FE00010']?.BulkDataURI;
      assert.ok(uri && !uri.startsWith('/') && !uri.startsWith('http'), 'relative BulkDataURI');
      const resolved = new URL(uri, `http://x${base}/`).pathname;
      const bulk = await get(resolved, 'multipart/related; type="application/octet-stream"');
      assert.equal(bulk.statusCode, 200);
      const [part] = splitMultipart(String(bulk.headers['content-type']), bulk.rawPayload);
      const sop = str(one, '00080018')!;
      const single = await get(`${base}/instances/${sop}/metadata`);
      assert.equal(JSON.parse(single.body).length, 1);
      const rows = Number(str(one, '00280010'));
      const cols = Number(str(one, '00280011'));
      assert.equal(part!.body.length, rows * cols * 2);
      // Study level holds every instance.
      assert.equal((await json(`/dicom-web/studies/${s.uid}/metadata`)).length, s.instances);
    });

    it('renders and thumbnails as JPEG and PNG', async () => {
      const s = studies[0]!;
      const inst = await json(`/dicom-web/studies/${s.uid}/instances?limit=1`);
      const se = str(inst[0]!, '0020000E')!;
      const sop = str(inst[0]!, '00080018')!;
      const base = `/dicom-web/studies/${s.uid}/series/${se}/instances/${sop}`;
      const jpeg = await get(`${base}/rendered?window=40,400&viewport=32,32`, 'image/jpeg');
      assert.equal(jpeg.statusCode, 200);
      assert.equal(jpeg.rawPayload.readUInt16BE(0), 0xffd8);
      const png = await get(`${base}/frames/1/rendered`, 'image/png');
      assert.equal(png.rawPayload.subarray(1, 4).toString(), 'PNG');
      const thumb = await get(`/dicom-web/studies/${s.uid}/thumbnail`, 'image/jpeg');
      assert.equal(thumb.statusCode, 200);
      assert.equal((await get(`${base}/frames/2/rendered`)).statusCode, 404);
      assert.equal((await get(`${base}/rendered`, 'text/html')).statusCode, 406);
    });

    it('rejects path traversal and malformed frame lists and bulk paths', async () => {
      const s = studies[0]!.uid;
      for (const url of [
        `/dicom-web/studies/..%2F..%2Fetc%2Fpasswd/metadata`,
        `/dicom-web/studies/${s}/series/..%2F..%2F/metadata`,
        `/dicom-web/studies/${s}/series/1.2/instances/1.2;rm/frames/1`,
        `/dicom-web/studies/${s}/series/1.2/instances/1.2/frames/1,a`,
        `/dicom-web/studies/${s}/series/1.2/instances/1.2/frames/0`,
        `/dicom-web/studies/${s}/series/1.2/instances/1.2/bulkdata/..%2F..%2Fdicom.ini`,
      ]) {
        const r = await get(url);
        assert.equal(r.statusCode, 400, `${url}: ${r.statusCode} ${r.body}`);
        assert.doesNotMatch(r.body, /passwd|rm|dicom\.ini/);
      }
    });
  });

  describe('CORS', () => {
    it('answers the configured origin and its preflight, and no other', async () => {
      const ok = await f.app.inject({
        method: 'GET',
        url: '/dicom-web/studies?limit=1',
        headers: { origin: 'http://viewer.example' },
      });
      assert.equal(ok.headers['access-control-allow-origin'], 'http://viewer.example');
      const other = await f.app.inject({
        method: 'GET',
        url: '/dicom-web/studies?limit=1',
        headers: { origin: 'http://evil.example' },
      });
      assert.equal(other.headers['access-control-allow-origin'], undefined);
      const pre = await f.app.inject({
        method: 'OPTIONS',
        url: '/dicom-web/studies',
        headers: { origin: 'http://viewer.example', 'access-control-request-method': 'GET' },
      });
      assert.equal(pre.statusCode, 204);
      assert.match(String(pre.headers['access-control-allow-methods']), /GET/);
      assert.match(String(pre.headers['access-control-allow-headers']), /Authorization/);
    });
  });
});

let tempCounter = 0;
async function writeTemp(bytes: Buffer): Promise<string> {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'cq-dweb-part-'));
  const p = join(dir, `p${tempCounter++}.dcm`);
  writeFileSync(p, bytes);
  return p;
}

describe('WADO-RS frames decode to the corpus MANIFEST pixel hashes', { skip: CORPUS_SKIP }, () => {
  let f: WebFixture;
  before(async () => {
    f = await webFixture();
  });
  after(async () => {
    await f?.close();
  });
  const lossless = (): ReturnType<typeof corpusManifest> =>
    corpusManifest().filter(
      (e) =>
        e.path.startsWith('codec/') &&
        e.pixelSha256 &&
        /^1\.2\.840\.10008\.1\.2(\.1|\.2|\.5|\.4\.57|\.4\.70|\.4\.80|\.4\.90)?$/.test(e.transferSyntaxUid) &&
        e['samples_per_pixel'] === '1' &&
        e['pixel_hash_layout'] === 'interleaved',
    );

  it('native octet-stream frames (the default Accept) hash to pixel_sha256', async () => {
    const entries = lossless();
    assert.ok(entries.length >= 10, `${entries.length} lossless monochrome codec files`);
    for (const e of entries) {
      const [stored] = await f.add([corpusPath(e)]);
      const file = await readDicomFile(stored!);
      const ds = file.dataset;
      const n = ds.number('NumberOfFrames') ?? 1;
      const list = Array.from({ length: n }, (_, i) => i + 1).join(',');
      const url = `/dicom-web/studies/${ds.string('StudyInstanceUID')}/series/${ds.string('SeriesInstanceUID')}/instances/${ds.string('SOPInstanceUID')}/frames/${list}`;
      const r = await f.app.inject({
        method: 'GET',
        url,
        headers: { accept: 'multipart/related; type="application/octet-stream"' },
      });
      assert.equal(r.statusCode, 200, `${e.path}: ${r.body}`);
      const parts = splitMultipart(String(r.headers['content-type']), r.rawPayload);
      assert.equal(parts.length, n);
      for (const p of parts)
        assert.equal(
          p.headers.get('content-type'),
          'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1',
        );
      const d = describePixels(ds, file.transferSyntax.uid);
      assert.equal(
        pixelHash(
          parts.map((p) => p.body),
          { ...d, photometricInterpretation: 'MONOCHROME2' },
        ),
        e.pixelSha256,
        e.path,
      );
    }
  });

  it('sends compressed frames as stored with transfer-syntax=*, and re-encodes on request', async () => {
    const e = corpusManifest().find((x) => x.path === 'codec/jpeg_ll_sv1_ct16s.dcm')!;
    const [stored] = await f.add([corpusPath(e)]);
    const file = await readDicomFile(stored!);
    const ds = file.dataset;
    const base = `/dicom-web/studies/${ds.string('StudyInstanceUID')}/series/${ds.string('SeriesInstanceUID')}/instances/${ds.string('SOPInstanceUID')}/frames/1`;
    for (const accept of [
      'multipart/related; type=application/octet-stream; transfer-syntax=*',
      'multipart/related; type="application/octet-stream"; transfer-syntax="*"',
    ]) {
      const r = await f.app.inject({ method: 'GET', url: base, headers: { accept } });
      const [p] = splitMultipart(String(r.headers['content-type']), r.rawPayload);
      assert.equal(
        p!.headers.get('content-type'),
        'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.70',
      );
      assert.equal(p!.body.readUInt16BE(0), 0xffd8, 'the stored JPEG stream');
    }
    const jls = await f.app.inject({
      method: 'GET',
      url: base,
      headers: { accept: 'multipart/related; type="image/jls"' },
    });
    assert.equal(jls.statusCode, 200, jls.body);
    const [p] = splitMultipart(String(jls.headers['content-type']), jls.rawPayload);
    assert.equal(p!.headers.get('content-type'), 'image/jls; transfer-syntax=1.2.840.10008.1.2.4.80');
    const d = describePixels(ds, file.transferSyntax.uid);
    const decoded = await decodeFrame(p!.body, d, '1.2.840.10008.1.2.4.80');
    assert.equal(pixelHash([decoded.pixels], d), e.pixelSha256);
    const none = await f.app.inject({
      method: 'GET',
      url: base,
      headers: { accept: 'multipart/related; type="video/mpeg"' },
    });
    assert.equal(none.statusCode, 406);
  });
});

describe('STOW-RS', { skip: CORPUS_SKIP }, () => {
  let f: WebFixture;
  before(async () => {
    f = await webFixture();
  });
  after(async () => {
    await f?.close();
  });
  const post = (
    url: string,
    body: Buffer,
    type = 'multipart/related; type="application/dicom"; boundary=XyZ',
  ) =>
    f.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': type, accept: 'application/dicom+json' },
      payload: body,
    });

  it('stores good parts, refuses non-DICOM and corrupt ones (202), then QIDO and WADO-RS give them back byte for byte', async () => {
    const files = studyFiles('PAT003').slice(0, 3);
    const good = files.map((p) => readFileSync(p));
    const truncated = good[0]!.subarray(0, Math.floor(good[0]!.length / 2));
    const corrupt = readFileSync(corpusPath('bad/corrupt_j2k_truncated.dcm'));
    void corrupt;
    const body = multipartBody('XyZ', [
      { type: 'application/dicom', body: good[0]! },
      { type: 'application/dicom', body: Buffer.from('this is not DICOM at all, not even 132 bytes long') },
      { type: 'application/dicom', body: good[1]! },
      {
        type: 'application/dicom',
        body: Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), truncated.subarray(132, 400)]),
      },
      { type: 'application/dicom', body: good[2]! },
    ]);
    const before = count(f.archive, 'Image');
    const r = await post('/dicom-web/studies', body);
    assert.equal(r.statusCode, 202, r.body);
    assert.match(String(r.headers.warning), /2 of 5 not stored/);
    const res = JSON.parse(r.body) as Json;
    const refs = res['00081199']!.Value as Json[];
    const failed = res['00081198']!.Value as Json[];
    assert.equal(refs.length, 3);
    assert.equal(failed.length, 2);
    for (const x of failed) assert.equal(x['00081197']!.Value![0], 0xc000);
    assert.equal(count(f.archive, 'Image'), before + 3, 'nothing stored for the bad parts');
    for (const [k, ref] of refs.entries()) {
      const url = new URL(str(ref, '00081190')!).pathname;
      const w = await f.app.inject({
        method: 'GET',
        url,
        headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
      });
      const [part] = splitMultipart(String(w.headers['content-type']), w.rawPayload);
      const sop = str(ref, '00081155')!;
      const row = await f.archive.index!.driver.get<{ f: string }>(
        'SELECT ObjectFile AS f FROM DICOMImages WHERE SOPInstanc = ?',
        [sop],
      );
      assert.ok(
        readFileSync(join(f.archive.devices[0]!, row!.f)).equals(part!.body),
        'WADO-RS gives the stored file',
      );
      // The data set after the meta header is what was sent.
      const sent = await readDicomFile(files[k]!);
      assert.ok(part!.body.subarray(part!.body.length - 64).equals(good[k]!.subarray(good[k]!.length - 64)));
      assert.equal(sent.dataset.string('SOPInstanceUID'), sop);
      const q = await f.app.inject({ method: 'GET', url: `/dicom-web/instances?SOPInstanceUID=${sop}` });
      assert.equal(JSON.parse(q.body).length, 1);
    }
  });

  it('answers 409 when nothing is stored, 415 for other media types, A900 for another study', async () => {
    const bad = multipartBody('XyZ', [{ type: 'application/dicom', body: Buffer.alloc(300, 1) }]);
    assert.equal((await post('/dicom-web/studies', bad)).statusCode, 409);
    assert.equal((await post('/dicom-web/studies', Buffer.from('{}'), 'application/json')).statusCode, 415);
    assert.equal(
      (
        await post(
          '/dicom-web/studies',
          bad,
          'multipart/related; type="application/dicom+json"; boundary=XyZ',
        )
      ).statusCode,
      415,
    );
    assert.equal(
      (await post('/dicom-web/studies', bad, 'multipart/related; type="application/dicom"')).statusCode,
      400,
    );
    const file = readFileSync(studyFiles('PAT001')[0]!);
    const other = await post(
      '/dicom-web/studies/1.2.3.4.5',
      multipartBody('XyZ', [{ type: 'application/dicom', body: file }]),
    );
    assert.equal(other.statusCode, 409);
    const reason = (JSON.parse(other.body)['00081198'].Value[0] as Json)['00081197']!.Value![0];
    assert.equal(reason, 0xa900);
    const unterminated = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Type: application/dicom\r\n\r\n'),
      file,
    ]);
    assert.equal((await post('/dicom-web/studies', unterminated)).statusCode, 400);
  });

  it('is refused under WEBReadOnly', async () => {
    const ro = await webFixture({ WEBReadOnly: '1' });
    try {
      const body = multipartBody('XyZ', [
        { type: 'application/dicom', body: readFileSync(studyFiles('PAT001')[0]!) },
      ]);
      const r = await ro.app.inject({
        method: 'POST',
        url: '/dicom-web/studies',
        headers: { 'content-type': 'multipart/related; type="application/dicom"; boundary=XyZ' },
        payload: body,
      });
      assert.equal(r.statusCode, 403);
      assert.equal(count(ro.archive, 'Image'), 0);
    } finally {
      await ro.close();
    }
  });
});

describe('DICOMweb with curl as the client', { skip: CORPUS_SKIP || CURL_SKIP }, () => {
  let f: WebFixture;
  before(async () => {
    f = await webFixture();
    await f.listen();
  });
  after(async () => {
    await f?.close();
  });

  it('STOW-RS with curl --data-binary, then QIDO-RS and WADO-RS metadata with curl', async () => {
    const file = studyFiles('PAT002')[0]!;
    const body = multipartBody('curlBoundary', [{ type: 'application/dicom', body: readFileSync(file) }]);
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const bodyFile = join(mkdtempSync(join(tmpdir(), 'cq-curl-')), 'body');
    writeFileSync(bodyFile, body);
    // Run curl off the event loop's thread: spawnSync would block the server it talks to.
    const run = (args: string[]) =>
      new Promise<ReturnType<typeof curl>>((resolve, reject) => {
        setImmediate(() => {
          import('node:child_process').then(({ execFile }) =>
            execFile(
              'curl',
              ['-s', '-i', ...args],
              { encoding: 'buffer', maxBuffer: 64 << 20 },
              (err, stdout) => {
                if (err) return reject(err);
                const out = stdout as Buffer;
                const end = out.indexOf('\r\n\r\n');
                const lines = out.subarray(0, end).toString('latin1').split('\r\n');
                const headers = new Map<string, string>();
                for (const l of lines.slice(1))
                  headers.set(l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim());
                resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: out.subarray(end + 4) });
              },
            ),
          );
        });
      });
    const stow = await run([
      '-X',
      'POST',
      '-H',
      'Content-Type: multipart/related; type=application/dicom; boundary=curlBoundary',
      '--data-binary',
      `@${bodyFile}`,
      `${f.base}/dicom-web/studies`,
    ]);
    assert.equal(stow.status, 200, stow.body.toString());
    assert.match(stow.headers.get('content-type')!, /^application\/dicom\+json/);
    const q = await run([
      '-H',
      'Accept: application/dicom+json',
      `${f.base}/dicom-web/studies?PatientID=PAT002`,
    ]);
    assert.equal(q.status, 200);
    const studies = JSON.parse(q.body.toString()) as Json[];
    assert.equal(studies.length, 1);
    const uid = str(studies[0]!, '0020000D');
    const m = await run([`${f.base}/dicom-web/studies/${uid}/metadata`]);
    assert.equal(m.status, 200);
    assert.equal(JSON.parse(m.body.toString()).length, 1);
    const bad = await run([`${f.base}/dicom-web/studies/1.2.3%0d%0aX-Injected:%201/metadata`]);
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-injected'), undefined);
  });
});
