/**
 * Transcoding through the codec registry: every corpus file with a pixel hash decodes to it through the
 * registry (whatever codec serves its syntax); lossless files transcoded to every lossless syntax we encode,
 * written as Part 10, read back and decoded, still give the same pixels; lossy targets mark the data set.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAllFrames } from '../../src/codecs/registry.js';
import { transcodeDataset } from '../../src/codecs/transcode.js';
import { parseDicom, readDicomFile } from '../../src/dicom/reader.js';
import { writeDicomFile } from '../../src/dicom/writer.js';
import { CORPUS_SKIP, corpusManifest, corpusPath } from '../support/corpus.js';
import { pixelHash } from '../support/pixel-hash.js';

const LOSSY = new Set([
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.53',
  '1.2.840.10008.1.2.4.55',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.91',
]);

const LOSSLESS_TARGETS = [
  '1.2.840.10008.1.2.1', // Explicit VR LE
  '1.2.840.10008.1.2', // Implicit VR LE
  '1.2.840.10008.1.2.2', // Explicit VR BE
  '1.2.840.10008.1.2.5', // RLE
  '1.2.840.10008.1.2.4.70', // JPEG lossless SV1 (Conquest j1)
  '1.2.840.10008.1.2.4.57', // JPEG lossless (Conquest j2 uses SV6)
  '1.2.840.10008.1.2.4.80', // JPEG-LS lossless (js)
  '1.2.840.10008.1.2.4.90', // JPEG 2000 lossless (jk)
];

async function hashOf(path: string): Promise<{ hash: string; ts: string }> {
  const file = await readDicomFile(path);
  const ts = file.transferSyntax.uid;
  const { description, frames } = await decodeAllFrames(file.dataset, ts);
  const photometric = frames[0]?.photometricInterpretation ?? description.photometricInterpretation;
  return {
    hash: pixelHash(
      frames.map((f) => f.pixels),
      {
        ...description,
        photometricInterpretation: photometric,
        planarConfiguration: frames[0]?.planarConfiguration ?? 0,
      },
    ),
    ts,
  };
}

describe('codec registry and transcoding', { skip: CORPUS_SKIP }, () => {
  const withHash = CORPUS_SKIP ? [] : corpusManifest().filter((e) => e.pixelSha256 && e.category !== 'bad');

  it('every corpus file with a pixel hash decodes to it through the registry', async () => {
    const wrong: string[] = [];
    for (const e of withHash) {
      try {
        const { hash } = await hashOf(corpusPath(e));
        if (hash !== e.pixelSha256)
          wrong.push(`${e.path}: ${hash.slice(0, 12)} != ${e.pixelSha256.slice(0, 12)}`);
      } catch (err) {
        wrong.push(`${e.path}: ${(err as Error).message}`);
      }
    }
    assert.ok(withHash.length > 300, `${withHash.length} files`);
    assert.deepEqual(wrong, []);
  });

  it('lossless files transcoded to every lossless syntax keep their pixels (through a Part 10 file)', async () => {
    // A spread of sources: 8/12/16-bit, signed, RGB planar, multi-frame, already compressed.
    const sources = withHash.filter(
      (e) =>
        !LOSSY.has(e.transferSyntaxUid) &&
        /^(pixel|codec|ts)\//.test(e.path) &&
        /(mono8|mr12|ct16s|s16full|rgb|nm16mf|planar|odd)/.test(e.path),
    );
    assert.ok(sources.length >= 10, `${sources.length} sources`);
    const failures: string[] = [];
    for (const e of sources.slice(0, 24)) {
      const file = await readDicomFile(corpusPath(e));
      for (const target of LOSSLESS_TARGETS) {
        try {
          const out = await transcodeDataset(file.dataset, file.transferSyntax.uid, target);
          const bytes = writeDicomFile(file.meta, out, target);
          const back = parseDicom(bytes);
          assert.equal(back.transferSyntax.uid, target);
          const { description, frames } = await decodeAllFrames(back.dataset, target);
          const hash = pixelHash(
            frames.map((f) => f.pixels),
            {
              ...description,
              photometricInterpretation: frames[0]!.photometricInterpretation,
              planarConfiguration: frames[0]!.planarConfiguration,
            },
          );
          if (hash !== e.pixelSha256) failures.push(`${e.path} -> ${target}: pixels differ`);
        } catch (err) {
          failures.push(`${e.path} -> ${target}: ${(err as Error).message}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('a lossy target marks the data set lossy with ratio and method', async () => {
    const e =
      withHash.find((x) => x.path === 'codec/jpegls_ll_mono8.dcm') ??
      withHash.find((x) => /mono8/.test(x.path))!;
    const file = await readDicomFile(corpusPath(e));
    const before = file.dataset.string('LossyImageCompression');
    const out = await transcodeDataset(file.dataset, file.transferSyntax.uid, '1.2.840.10008.1.2.4.81', {
      quality: 2,
    });
    assert.equal(out.string('LossyImageCompression'), '01');
    assert.deepEqual(out.strings('LossyImageCompressionMethod'), ['ISO_14495_1']);
    assert.ok(Number(out.string('LossyImageCompressionRatio')) > 1);
    assert.equal(file.dataset.string('LossyImageCompression'), before, 'the source is not changed');
    assert.notEqual(before, '01');
  });
});
