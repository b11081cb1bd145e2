/**
 * The IJG "islow" integer inverse DCT (the libjpeg/dcmtk default, jidctint.c algorithm) for 8- and 12-bit
 * samples, so that our output matches theirs bit for bit. Includes dequantization and level shift.
 */
const CONST_BITS = 13;
const F_0_298 = 2446;
const F_0_390 = 3196;
const F_0_541 = 4433;
const F_0_765 = 6270;
const F_0_899 = 7373;
const F_1_175 = 9633;
const F_1_501 = 12299;
const F_1_847 = 15137;
const F_1_961 = 16069;
const F_2_053 = 16819;
const F_2_562 = 20995;
const F_3_072 = 25172;

function descale(x: number, n: number): number {
  return (x + (1 << (n - 1))) >> n;
}

/** Even and odd halves of the 1-D 8-point IDCT, writing 8 outputs through `put`. */
function idct1d(
  i0: number,
  i1: number,
  i2: number,
  i3: number,
  i4: number,
  i5: number,
  i6: number,
  i7: number,
  out: Int32Array,
  base: number,
  stride: number,
  shift: number,
): void {
  let z1 = (i2 + i6) * F_0_541;
  const t2 = z1 + i6 * -F_1_847;
  const t3 = z1 + i2 * F_0_765;
  const t0 = (i0 + i4) << CONST_BITS;
  const t1 = (i0 - i4) << CONST_BITS;
  const t10 = t0 + t3;
  const t13 = t0 - t3;
  const t11 = t1 + t2;
  const t12 = t1 - t2;
  let o0 = i7;
  let o1 = i5;
  let o2 = i3;
  let o3 = i1;
  z1 = o0 + o3;
  let z2 = o1 + o2;
  let z3 = o0 + o2;
  let z4 = o1 + o3;
  const z5 = (z3 + z4) * F_1_175;
  o0 *= F_0_298;
  o1 *= F_2_053;
  o2 *= F_3_072;
  o3 *= F_1_501;
  z1 *= -F_0_899;
  z2 *= -F_2_562;
  z3 = z3 * -F_1_961 + z5;
  z4 = z4 * -F_0_390 + z5;
  o0 += z1 + z3;
  o1 += z2 + z4;
  o2 += z2 + z3;
  o3 += z1 + z4;
  out[base] = descale(t10 + o3, shift);
  out[base + 7 * stride] = descale(t10 - o3, shift);
  out[base + stride] = descale(t11 + o2, shift);
  out[base + 6 * stride] = descale(t11 - o2, shift);
  out[base + 2 * stride] = descale(t12 + o1, shift);
  out[base + 5 * stride] = descale(t12 - o1, shift);
  out[base + 3 * stride] = descale(t13 + o0, shift);
  out[base + 4 * stride] = descale(t13 - o0, shift);
}

/** libjpeg's post-IDCT range limit: wraps like `x & RANGE_MASK`, then clamps to 0..max. */
function rangeLimit(x: number, max: number): number {
  const span = 4 * (max + 1);
  let t = x & (span - 1);
  if (t >= 2 * (max + 1)) t -= span;
  const v = t + ((max + 1) >> 1);
  return v < 0 ? 0 : Math.min(v, max);
}

/**
 * IDCT of one block: `coef` (natural order, 64 at `at`) times `quant`, into `out` (row stride `stride`).
 */
export function idctBlock(
  coef: Int32Array,
  at: number,
  quant: Uint16Array,
  precision: number,
  ws: Int32Array,
  out: Uint16Array,
  outAt: number,
  stride: number,
): void {
  const pass1 = precision > 8 ? 1 : 2;
  const max = (1 << precision) - 1;
  for (let c = 0; c < 8; c++) {
    const q = (k: number) => coef[at + k * 8 + c]! * quant[k * 8 + c]!;
    let zero = true;
    for (let k = 1; k < 8 && zero; k++) if (coef[at + k * 8 + c] !== 0) zero = false;
    if (zero) {
      const dc = q(0) << pass1;
      for (let k = 0; k < 8; k++) ws[k * 8 + c] = dc;
      continue;
    }
    idct1d(q(0), q(1), q(2), q(3), q(4), q(5), q(6), q(7), ws, c, 8, CONST_BITS - pass1);
  }
  const row = new Int32Array(8);
  const finalShift = CONST_BITS + pass1 + 3;
  for (let r = 0; r < 8; r++) {
    const b = r * 8;
    const o = outAt + r * stride;
    if (
      ws[b + 1] === 0 &&
      ws[b + 2] === 0 &&
      ws[b + 3] === 0 &&
      ws[b + 4] === 0 &&
      ws[b + 5] === 0 &&
      ws[b + 6] === 0 &&
      ws[b + 7] === 0
    ) {
      const v = rangeLimit(descale(ws[b]!, pass1 + 3), max);
      for (let k = 0; k < 8; k++) out[o + k] = v;
      continue;
    }
    idct1d(
      ws[b]!,
      ws[b + 1]!,
      ws[b + 2]!,
      ws[b + 3]!,
      ws[b + 4]!,
      ws[b + 5]!,
      ws[b + 6]!,
      ws[b + 7]!,
      row,
      0,
      1,
      finalShift,
    );
    for (let k = 0; k < 8; k++) out[o + k] = rangeLimit(row[k]!, max);
  }
}
