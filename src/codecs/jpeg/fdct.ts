/**
 * Forward DCT and quantization for DCT JPEG encoding (T.81 A.3.3, Annex K.1): the exact floating-point
 * 8×8 DCT (no fixed-point approximation: the encoder's accuracy does not have to match anyone's), and the
 * Annex K example tables scaled by quality as IJG's jpeg_set_quality does, so "quality 95" means what it
 * means to Conquest (which uses the IJG library) and dcmtk.
 */

/** Annex K Table K.1 (luminance) and K.2 (chrominance), natural order. */
const LUMINANCE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMINANCE = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/**
 * The quantization table for `quality` 1..100 (IJG jcparam.c: scale 5000/q below 50, 200−2q above),
 * entries clamped to 1..255 for 8-bit precision (baseline-compatible, 8-bit DQT entries) and 1..32767
 * for 12-bit.
 */
export function quantTable(quality: number, chroma: boolean, precision: number): Uint16Array {
  const q = Math.min(100, Math.max(1, quality));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - q * 2;
  const max = precision > 8 ? 32767 : 255;
  const base = chroma ? CHROMINANCE : LUMINANCE;
  return Uint16Array.from(base, (b) => Math.min(max, Math.max(1, Math.floor((b * scale + 50) / 100))));
}

/** COS[u * 8 + x] = C(u)/2 · cos((2x+1)uπ/16): the 1-D DCT matrix, so F = COS · f · COSᵀ (T.81 A.3.3). */
const COS = (() => {
  const m = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    const cu = u === 0 ? Math.SQRT1_2 : 1;
    for (let x = 0; x < 8; x++) m[u * 8 + x] = (cu / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
  return m;
})();

/** In-place 2-D forward DCT of a level-shifted 8×8 block (natural order), using `tmp` as scratch. */
export function fdctBlock(block: Float64Array, tmp: Float64Array): void {
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += COS[u * 8 + x]! * block[y * 8 + x]!;
      tmp[y * 8 + u] = s;
    }
  }
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += COS[v * 8 + y]! * tmp[y * 8 + u]!;
      block[v * 8 + u] = s;
    }
  }
}

/** A component's quantized DCT coefficients: blocksX × blocksY blocks of 64, natural order. */
export interface CoefficientPlane {
  readonly blocksX: number;
  readonly blocksY: number;
  readonly coef: Int32Array;
}

/**
 * Transforms and quantizes one plane of `width`×`height` samples (values 0..2^precision−1, possibly
 * fractional after colour conversion). Edge blocks are filled by replicating the last column and row,
 * as IJG does, so that padding adds no spurious high frequencies.
 */
export function quantizePlane(
  plane: Float64Array,
  width: number,
  height: number,
  precision: number,
  quant: Uint16Array,
): CoefficientPlane {
  const blocksX = Math.ceil(width / 8);
  const blocksY = Math.ceil(height / 8);
  const coef = new Int32Array(blocksX * blocksY * 64);
  const shift = 1 << (precision - 1);
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      for (let y = 0; y < 8; y++) {
        const row = Math.min(by * 8 + y, height - 1) * width;
        for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[row + Math.min(bx * 8 + x, width - 1)]! - shift;
      }
      fdctBlock(block, tmp);
      const at = (by * blocksX + bx) * 64;
      for (let k = 0; k < 64; k++) {
        const v = block[k]! / quant[k]!;
        // Round half away from zero (IJG's DESCALE of the magnitude).
        coef[at + k] = v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
      }
    }
  }
  return { blocksX, blocksY, coef };
}
