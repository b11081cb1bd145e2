import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError, type PixelDescription } from '../../src/codecs/codec.js';
import { jpegExtended12Codec } from '../../src/codecs/jpeg/index.js';
import { allFrameBytes, describePixels } from '../../src/codecs/pixel-data.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { CORPUS_SKIP, corpusManifest, corpusPath } from '../support/corpus.js';
import { pixelHash } from '../support/pixel-hash.js';

const DCT_SYNTAXES = new Set(['1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.53', '1.2.840.10008.1.2.4.55']);

async function decodeFile(path: string) {
  const file = await readDicomFile(path);
  const ts = file.transferSyntax.uid;
  const d = describePixels(file.dataset, ts);
  const frames: Buffer[] = [];
  const raw = allFrameBytes(file.dataset, ts);
  for (const f of raw) frames.push((await jpegExtended12Codec.decode(f, d, ts)).pixels);
  return { d, ts, raw, frames };
}

const files = CORPUS_SKIP
  ? []
  : corpusManifest().filter((e) => e.path.startsWith('codec/') && DCT_SYNTAXES.has(e.transferSyntaxUid));

describe('DCT JPEG decoding matches dcmtk (IJG islow IDCT)', { skip: CORPUS_SKIP }, () => {
  it('covers 12-bit extended, spectral selection and progressive files', () => assert.ok(files.length >= 5));
  for (const entry of files) {
    it(`${entry.path} decodes to dcmtk's pixel_sha256`, async () => {
      const { d, frames } = await decodeFile(corpusPath(entry));
      assert.equal(pixelHash(frames, d), entry.pixelSha256);
    });
  }
});

describe('DCT JPEG on corrupt data', { skip: CORPUS_SKIP }, () => {
  const path = 'codec/jpeg_extended12_mr12.dcm';

  it('fails with a CodecError naming the offset for truncations and a missing SOI', async () => {
    const { d, ts, raw } = await decodeFile(corpusPath(path));
    const good = raw[0]!;
    const noSoi = Buffer.from(good);
    noSoi[1] = 0;
    await assert.rejects(jpegExtended12Codec.decode(noSoi, d, ts), /SOI.*offset 0/);
    for (let len = 0; len < good.length - 2; len += 97) {
      await assert.rejects(
        jpegExtended12Codec.decode(good.subarray(0, len), d, ts),
        (e: Error) => e instanceof CodecError && /offset \d+/.test(e.message),
      );
    }
  });

  it('never hangs or throws anything but CodecError on flipped bytes', async () => {
    const { d, ts, raw } = await decodeFile(corpusPath(path));
    const good = raw[0]!;
    for (let i = 2; i < good.length; i += 41) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0x5a;
      try {
        await jpegExtended12Codec.decode(bad, d, ts);
      } catch (e) {
        assert.ok(e instanceof CodecError, String(e));
      }
    }
  });

  it('rejects a lossless (SOF3) stream', async () => {
    const d: PixelDescription = {
      rows: 1,
      columns: 1,
      samplesPerPixel: 1,
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      pixelRepresentation: 0,
      planarConfiguration: 0,
      photometricInterpretation: 'MONOCHROME2',
      numberOfFrames: 1,
    };
    const sof3 = Buffer.from([
      0xff, 0xd8, 0xff, 0xc3, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0, 0xff, 0xda, 0, 8, 1, 1, 0, 1, 0, 0, 0xff,
      0xd9,
    ]);
    await assert.rejects(jpegExtended12Codec.decode(sof3, d, '1.2.840.10008.1.2.4.51'), /SOF3/);
  });
});
