/**
 * How much the lossy modes lose: corpus native images recompressed (as Conquest's recompress does) with
 * j3 (JPEG baseline, quality 95 and 75), j7 (JPEG-LS near-lossless, NEAR 2) and jl (JPEG 2000 irreversible,
 * ratio 10 and 20), decoded, and compared with the original pixels. Each mode has a PSNR floor set about
 * 2 dB below what was measured (the measured values are printed); JPEG-LS must also keep every sample within
 * NEAR of the original, exactly as ISO 14495-1 promises.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PixelDescription } from '../../src/codecs/codec.js';
import { parseCompressionMode } from '../../src/codecs/modes.js';
import { allFrameBytes, describePixels } from '../../src/codecs/pixel-data.js';
import { recompress } from '../../src/codecs/recompress.js';
import { decodeAllFrames } from '../../src/codecs/registry.js';
import { readDicomFile } from '../../src/dicom/reader.js';
import { CORPUS_SKIP, corpusPath } from '../support/corpus.js';

/** Every sample as a number (Bits Stored bits, sign-extended when signed), interleaved. */
function samples(frames: readonly Buffer[], d: PixelDescription, planar: 0 | 1): number[] {
  const out: number[] = [];
  const mask = 2 ** d.bitsStored - 1;
  const perFrame = d.rows * d.columns;
  for (const f of frames) {
    const value = (i: number): number => {
      const raw = d.bitsAllocated === 8 ? f[i]! : f.readUInt16LE(i * 2);
      const v = raw & mask;
      return d.pixelRepresentation === 1 && v >= 2 ** (d.bitsStored - 1) ? v - 2 ** d.bitsStored : v;
    };
    for (let p = 0; p < perFrame; p++)
      for (let s = 0; s < d.samplesPerPixel; s++)
        out.push(value(planar === 1 ? s * perFrame + p : p * d.samplesPerPixel + s));
  }
  return out;
}

interface Loss {
  readonly psnr: number;
  readonly maxError: number;
}

async function loss(path: string, modeText: string): Promise<Loss> {
  const file = await readDicomFile(corpusPath(path));
  const ts = file.transferSyntax.uid;
  const d = describePixels(file.dataset, ts);
  const original = samples(allFrameBytes(file.dataset, ts), d, d.planarConfiguration);
  const r = await recompress(file.dataset, ts, parseCompressionMode(modeText));
  assert.notEqual(r.transferSyntaxUid, ts, `${modeText} left ${path} as it was`);
  const { frames } = await decodeAllFrames(r.dataset, r.transferSyntaxUid);
  const decoded = samples(
    frames.map((f) => f.pixels),
    d,
    frames[0]!.planarConfiguration,
  );
  assert.equal(decoded.length, original.length);
  let sum = 0;
  let maxError = 0;
  for (let i = 0; i < original.length; i++) {
    const e = Math.abs(decoded[i]! - original[i]!);
    sum += e * e;
    if (e > maxError) maxError = e;
  }
  const mse = sum / original.length;
  const peak = 2 ** d.bitsStored - 1;
  return { psnr: mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((peak * peak) / mse), maxError };
}

/** [image, mode, PSNR floor in dB]; PSNR against 2^BitsStored - 1. Measured 2026-12 with this repository's codecs. */
const CASES: readonly [string, string, number][] = [
  ['pixel/mono2_u8.dcm', 'j395', 42.5], // measured 44.80
  ['pixel/mono2_u8.dcm', 'j375', 35.5], // measured 37.73
  ['pixel/rgb_planar0.dcm', 'j395', 29], // measured 31.28
  ['pixel/rgb_planar0.dcm', 'j375', 28], // measured 30.22
  ['pixel/mono2_u8.dcm', 'j72', 43], // measured 45.13
  ['pixel/mono2_u16_bs12_mr.dcm', 'j72', 67], // measured 69.25
  ['pixel/mono2_s16_ct.dcm', 'j72', 91], // measured 93.32
  ['pixel/rgb_planar0.dcm', 'j72', 43], // measured 45.19
  ['pixel/mono2_u8.dcm', 'jl10', 42], // measured 44.29
  ['pixel/mono2_u8.dcm', 'jl20', 37], // measured 38.97
  ['pixel/mono2_u16_bs12_mr.dcm', 'jl10', 42], // measured 44.27
  ['pixel/mono2_u16_bs12_mr.dcm', 'jl20', 35], // measured 37.15
  ['pixel/mono2_s16_ct.dcm', 'jl10', 67.5], // measured 69.83
  ['pixel/mono2_s16_ct.dcm', 'jl20', 62], // measured 64.34
  ['pixel/rgb_planar0.dcm', 'jl10', 42], // measured 44.05
];

describe('lossy compression quality', { skip: CORPUS_SKIP }, () => {
  for (const [path, mode, floor] of CASES) {
    it(`${mode} on ${path}: PSNR >= ${floor} dB`, async () => {
      const { psnr, maxError } = await loss(path, mode);
      console.log(`# ${mode} ${path}: PSNR ${psnr.toFixed(2)} dB, max abs error ${maxError}`);
      assert.ok(psnr >= floor, `PSNR ${psnr.toFixed(2)} dB is below the floor ${floor} dB`);
      if (mode === 'j72') assert.ok(maxError <= 2, `JPEG-LS NEAR 2 left an error of ${maxError}`);
    });
  }
});
