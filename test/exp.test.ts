// The accuracy of the kernels' exp (assembly/exp.ts: exp4 on groups of four, exp1 on tails; both
// inlined into sigmoid, tanh and softmax), measured in ulps against Math.exp (float64) rounded to
// float32, through the bench build's exp_forward; its behaviour at and beyond the clamp; and tanh
// (assembly/activations.ts: a Taylor polynomial below |x| = 0.3, exp above) near 0 and across its range.
import { describe, it, expect, beforeAll } from 'vitest';
import { Block } from '../src/runtime/memory.js';
import type { BenchKernels } from '../bench/bench-kernels.js';
import { benchKernelsUnderTest } from './helpers.js';

let k: BenchKernels;
beforeAll(async () => {
  k = await benchKernelsUnderTest();
});

// exp4's clamp: below LO the result is e^LO (just above 2^-126, the smallest normal float), above HI e^88
const LO = Math.fround(-87.33654), HI = 88;

const bits = new Uint32Array(1), asF32 = new Float32Array(bits.buffer);
/** a float32's position on the number line, in ulps (monotone across 0: -0 and +0 both 0) */
function ord(v: number): number {
  asF32[0] = v;
  const b = bits[0]!;
  return b & 0x80000000 ? -(b & 0x7fffffff) : b;
}
/** distance in ulps between two float32 values */
const ulps = (a: number, b: number) => Math.abs(ord(a) - ord(b));

/** y = fn(x) by the kernel (n floats in, n out) */
function run(fn: 'exp_forward' | 'tanh_forward', x: Float32Array): Float32Array {
  const X = new Block(k.arena, x.length), Y = new Block(k.arena, x.length);
  try {
    X.f32.set(x);
    k.exports[fn](X.ptr, Y.ptr, x.length);
    return Y.f32.slice();
  } finally {
    X.free();
    Y.free();
  }
}

/** n float32 values evenly spaced over [a, b], ends included */
function sweep(a: number, b: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/** `count` consecutive float32 values centred on `centre` (every float in that stretch) */
function around(centre: number, count: number): Float32Array {
  const start = ord(Math.fround(centre)) - (count >> 1);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const o = start + i;
    bits[0] = o < 0 ? (0x80000000 | -o) >>> 0 : o;
    out[i] = asF32[0]!;
  }
  return out;
}

/** the largest error in ulps of the kernel's fn against float64 `ref` rounded to float32, and where */
function worstUlps(fn: 'exp_forward' | 'tanh_forward', x: Float32Array, ref: (v: number) => number): { ulps: number; at: number } {
  const y = run(fn, x);
  let worst = { ulps: 0, at: NaN };
  for (let i = 0; i < x.length; i++) {
    const u = ulps(y[i]!, Math.fround(ref(x[i]!)));
    if (u > worst.ulps) worst = { ulps: u, at: x[i]! };
  }
  return worst;
}

describe('exp (exp4 / exp1, through exp_forward)', () => {
  it('within 1 ulp of the correctly rounded e^x over a dense sweep of the clamped range [-87.33654, 88]', () => {
    // 2^22 points, about 4e-5 apart, so every range-reduction interval n*ln2 ± ln2/2 is crossed hundreds of times
    const w = worstUlps('exp_forward', sweep(LO, HI, 1 << 22), Math.exp);
    expect(w.ulps, `worst at x = ${w.at}`).toBeLessThanOrEqual(1);
  });

  it('within 1 ulp on every float32 of stretches near 0, around range-reduction boundaries and at both limits', () => {
    // x = (n - 1/2) ln2 is where the reduction switches from n - 1 to n, with r at ±ln2/2
    const boundary = (n: number) => (n - 0.5) * Math.LN2;
    const sets: Array<[string, Float32Array]> = [
      ['2^18 floats around ±2^-24', Float32Array.from([...around(2 ** -24, 1 << 18), ...around(-(2 ** -24), 1 << 18)])],
      ['log-spaced |x| in [1e-30, 1e-2]', Float32Array.from({ length: 1 << 16 }, (_, i) => (i & 1 ? -1 : 1) * 10 ** (-30 + (28 * i) / (1 << 16)))],
      ['2^17 floats around ln2/2 (n 0 → 1)', around(boundary(1), 1 << 17)],
      ['2^17 floats around -ln2/2 (n -1 → 0)', around(boundary(0), 1 << 17)],
      ['2^17 floats around 100.5 ln2', around(boundary(101), 1 << 17)],
      ['2^17 floats around -99.5 ln2', around(boundary(-99), 1 << 17)],
      ['2^17 floats around 1', around(1, 1 << 17)],
      ['the 4096 floats from the lower limit up', around(LO, 8192).slice(4096)],
      ['the 4096 floats up to the upper limit', around(HI, 8192).slice(0, 4097)],
    ];
    for (const [name, x] of sets) {
      const w = worstUlps('exp_forward', x, Math.exp);
      expect(w.ulps, `${name}: worst at x = ${w.at}`).toBeLessThanOrEqual(1);
    }
  });

  it('bodies and tails agree: the same x gives the same bits in a SIMD lane and in the scalar tail', () => {
    const x = sweep(-80, 80, 4099); // 4099 = 4 * 1024 + 3: the last three go through exp1
    const body = run('exp_forward', x);
    for (let i = 0; i < 64; i++) {
      const tail = run('exp_forward', Float32Array.from([x[i]!, x[i]!, x[i]!]))[2]!; // n = 3: all tail
      expect(tail, `x = ${x[i]}`).toBe(body[i]!);
    }
  });

  it('saturates instead of overflowing or underflowing: e^88 above 88, e^-87.33654 (~2^-126) below -87.33654, NaN stays NaN', () => {
    const [atLo, atHi] = run('exp_forward', Float32Array.from([LO, HI]));
    // e^-87.33654 is a hair above 2^-126, the smallest normal float: the clamp never makes subnormals
    expect(ulps(atLo!, Math.fround(Math.exp(LO)))).toBeLessThanOrEqual(1);
    expect(atLo).toBeGreaterThanOrEqual(2 ** -126);
    expect(ulps(atHi!, Math.fround(Math.exp(HI)))).toBeLessThanOrEqual(1);
    expect(atHi).toBeLessThan(3.4e38);
    const above = run('exp_forward', Float32Array.from([88.5, 88.72, 89, 1000, 3.4e38, Infinity, 100, 200]));
    for (const v of above) expect(v).toBe(atHi);
    const below = run('exp_forward', Float32Array.from([-87.4, -88, -103, -1000, -3.4e38, -Infinity, -100, -200]));
    for (const v of below) expect(v).toBe(atLo);
    const nan = run('exp_forward', Float32Array.from([NaN, 1, NaN, -1, NaN]));
    expect([nan[0], nan[2], nan[4]].every(Number.isNaN)).toBe(true);
    expect(run('exp_forward', Float32Array.from([0, -0, 0, -0, 0]))).toEqual(new Float32Array(5).fill(1));
  });
});

/** the kernel's largest relative error against Math.tanh over x, and where */
function worstRelativeTanh(x: Float32Array): { worst: number; at: number } {
  const y = run('tanh_forward', x);
  let worst = 0, at = 0;
  for (let i = 0; i < x.length; i++) {
    const t = Math.tanh(x[i]!);
    const rel = t === 0 ? Math.abs(y[i]!) : Math.abs(y[i]! - t) / Math.abs(t);
    if (rel > worst) { worst = rel; at = x[i]!; }
  }
  return { worst, at };
}

describe('tanh_forward', () => {
  it('|x| < 1e-3: relative error below 2^-23 (at most 1 ulp), linear and log-spaced sweeps', () => {
    const lin = sweep(-1e-3, 1e-3, 1 << 20);
    const log = Float32Array.from({ length: 1 << 18 }, (_, i) => (i & 1 ? -1 : 1) * 10 ** (-30 + (27 * i) / (1 << 18)));
    for (const x of [lin, log]) {
      const { worst, at } = worstRelativeTanh(x);
      expect(worst, `worst at x = ${at}`).toBeLessThan(2 ** -23);
      expect(worstUlps('tanh_forward', x, Math.tanh).ulps).toBeLessThanOrEqual(1);
    }
  });

  it('within 3 ulps (relative error below 3e-7) across [-20, 20], the switch to the exp form at 0.3 included', () => {
    for (const x of [sweep(-20, 20, 1 << 22), around(0.3, 1 << 18), around(-0.3, 1 << 18)]) {
      const w = worstUlps('tanh_forward', x, Math.tanh);
      expect(w.ulps, `worst at x = ${w.at}`).toBeLessThanOrEqual(3);
      const { worst, at } = worstRelativeTanh(x);
      expect(worst, `worst at x = ${at}`).toBeLessThan(3e-7);
    }
  });

  it('odd, exact at the ends: ±0 and subnormals pass through, ±1 from |x| = 10 on and at ±Infinity, NaN stays NaN', () => {
    const x = Float32Array.from([0, -0, 1e-40, -1e-40, 1e-30, 10, -10, 20, -20, Infinity, -Infinity, NaN]);
    const y = run('tanh_forward', x);
    expect(Object.is(y[0], 0) && Object.is(y[1], -0)).toBe(true);
    expect(Array.from(y.slice(2, 11))).toEqual([x[2], x[3], x[4], 1, -1, 1, -1, 1, -1]);
    expect(Number.isNaN(y[11])).toBe(true);
    const s = sweep(0, 20, 4097);
    const pos = run('tanh_forward', s), neg = run('tanh_forward', s.map((v) => -v));
    const odd = s.every((_, i) => Object.is(neg[i], -pos[i]!));
    expect(odd, 'tanh(-x) = -tanh(x), bit for bit').toBe(true);
  });
});
