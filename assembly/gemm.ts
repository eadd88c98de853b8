// f32 GEMM for the three products a dense layer needs, all through one entry,
// gemm(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, mode, bias, scratch, relu):
//   transA 0, transB 0: C = A·B    (forward:        Y  = X·W)
//   transA 1, transB 0: C = Aᵀ·B   (weight grads:   dW = Xᵀ·dY)
//   transA 0, transB 1: C = A·Bᵀ   (input grads:    dX = dY·Wᵀ)
// pack_a and pack_b copy blocks of either operand, transposed or not, into the same k-major panel
// layout, so one register-tiled microkernel per build (gemm_packed_4x8 or gemm_packed_3x12, picked
// at compile time by `microkernel`) serves all three, and the transposed products run as fast as
// the plain one. Tiles cut by the edges of C run the same microkernel, reading and writing only
// the part inside C.
//
// The tile is chosen per build, by what V8 (x64, 15 allocatable SIMD registers) can keep in
// registers once it has moved every load of a k step ahead of the arithmetic:
//   plain SIMD, 4x8 (gemm_packed_4x8): 8 accumulators + 6 loads + 1 product temporary = 15.
//   relaxed SIMD, 3x12 (gemm_packed_3x12): 9 accumulators + 6 loads = 15; the FMA needs no
//     temporary. Nine independent FMA chains cover the FMA latency (4 cycles x 2 pipes) with room
//     to spare, where 4x8's eight chains sit exactly at it: measured 95-96% against 90-91% of the
//     relaxed peak in L1. In the plain build 3x12 would need a 16th register, and it spills.
// A values are broadcast loads from an unbroadcast panel (MR floats per k): the same speed in L1
// as pre-broadcast panels, and a quarter of the bytes to pack and stream.
//
// Memory is planned by TypeScript: `scratch` must hold gemm_scratch_bytes() bytes.
//
// mode: how the tile's accumulators start on the first k-block
//   MODE_ZERO  C = op(A)·op(B)
//   MODE_ACC   C += op(A)·op(B)
//   MODE_BIAS  C = op(A)·op(B) + bias (bias: one row of N, broadcast down the rows)
// relu: C = max(C, 0) as the last k-block is stored, so a dense relu layer's forward pass is
// this one kernel (bias and activation fused into the GEMM's epilogue).
import { madd } from './simd';

export const MODE_ZERO: i32 = 0;
export const MODE_ACC: i32 = 1;
export const MODE_BIAS: i32 = 2;

export const GEMM_MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 4;  // rows of a tile
export const GEMM_NR: i32 = ASC_FEATURE_RELAXED_SIMD ? 12 : 8; // columns of a tile
// Blocking (BLIS order): a KCxNC block of B is packed once per k-block, and each KCxNR
// micro-panel of it (16-24 KiB) stays in L1 while the kernel sweeps an MCxKC block of A
// (192 KiB, in L2) past it, MR rows at a time: A streams in at MR*4 bytes per k, B is read from
// L1. KC = 512 halves the per-call cost of 256 and still leaves the micro-panel in L1.
export const GEMM_KC: i32 = 512;
export const GEMM_MC: i32 = 96;  // a multiple of 3 and 4
export const GEMM_NC: i32 = 1032; // a multiple of 8 and 12: N up to 1032 packs B once per k-block
const MR = GEMM_MR, NR = GEMM_NR, KC = GEMM_KC, MC = GEMM_MC, NC = GEMM_NC;

const A_STEP: usize = <usize>MR << 2; // bytes of packed A per k
const B_STEP: usize = <usize>NR << 2; // bytes of packed B per k
// B panels are kc*NR*4 bytes: 24 KiB or 16 KiB at kc = 512, a multiple of 4 KiB, so the k-th rows
// of all panels would share one L1 set and the row-by-row packer's stores would evict each other.
// One cache line of padding between panels spreads them over the sets (+1-4% on the 256-row
// shapes, +-1% on the larger ones, paired runs in alternating order).
const PANEL_PAD: usize = 64;
const PACK_B_BYTES: usize = <usize>KC * NC * 4 + <usize>(NC / NR) * PANEL_PAD;
const PACK_A_BYTES: usize = <usize>KC * MC * 4;

export function gemm_scratch_bytes(): usize {
  return PACK_B_BYTES + PACK_A_BYTES;
}

// The plain build's microkernel: a 4x8 tile of C from a packed A panel (kc x 4, k-major) and a
// packed B panel (kc x 8, k-major). Each A value is a broadcast load (vbroadcastss; V8 11.3 adds a
// lea for each nonzero offset, V8 13 hoists those), and the loop runs on two pointers.
// mode MODE_BIAS reads 8 bias values at `bias`; relu clamps the tile at 0 as it is stored. A tile
// cut by C's edges (mr < 4 rows or nr < 8 columns there) reads and writes only what is inside C
// (load_part / store_part); its lanes and rows past the edge compute on zeros and are never stored.
function gemm_packed_4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, mode: i32, bias: usize, relu: bool, mr: i32, nr: i32): void {
  const ldcb = ldc << 2;
  const full = mr == 4 && nr == 8;
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (mode == MODE_ACC && full) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldcb); c11 = v128.load(c + ldcb, 16);
    c20 = v128.load(c + 2 * ldcb); c21 = v128.load(c + 2 * ldcb, 16);
    c30 = v128.load(c + 3 * ldcb); c31 = v128.load(c + 3 * ldcb, 16);
  } else if (mode == MODE_ACC) {
    const z = f32x4.splat(0);
    c00 = load_part(c, nr); c01 = load_part(c + 16, nr - 4);
    c10 = mr > 1 ? load_part(c + ldcb, nr) : z; c11 = mr > 1 ? load_part(c + ldcb + 16, nr - 4) : z;
    c20 = mr > 2 ? load_part(c + 2 * ldcb, nr) : z; c21 = mr > 2 ? load_part(c + 2 * ldcb + 16, nr - 4) : z;
    c30 = mr > 3 ? load_part(c + 3 * ldcb, nr) : z; c31 = mr > 3 ? load_part(c + 3 * ldcb + 16, nr - 4) : z;
  } else if (mode == MODE_BIAS) {
    c00 = load_part(bias, nr); c01 = load_part(bias + 16, nr - 4);
    c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
  } else {
    c00 = f32x4.splat(0); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
  }
  const end = pb + (<usize>kc << 5);
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 16;
    pb += 32;
  }
  if (relu) {
    const z = f32x4.splat(0);
    c00 = f32x4.max(c00, z); c01 = f32x4.max(c01, z); c10 = f32x4.max(c10, z); c11 = f32x4.max(c11, z);
    c20 = f32x4.max(c20, z); c21 = f32x4.max(c21, z); c30 = f32x4.max(c30, z); c31 = f32x4.max(c31, z);
  }
  if (full) {
    v128.store(c, c00); v128.store(c, c01, 16);
    v128.store(c + ldcb, c10); v128.store(c + ldcb, c11, 16);
    v128.store(c + 2 * ldcb, c20); v128.store(c + 2 * ldcb, c21, 16);
    v128.store(c + 3 * ldcb, c30); v128.store(c + 3 * ldcb, c31, 16);
    return;
  }
  store_part(c, c00, nr); store_part(c + 16, c01, nr - 4);
  if (mr > 1) { store_part(c + ldcb, c10, nr); store_part(c + ldcb + 16, c11, nr - 4); }
  if (mr > 2) { store_part(c + 2 * ldcb, c20, nr); store_part(c + 2 * ldcb + 16, c21, nr - 4); }
  if (mr > 3) { store_part(c + 3 * ldcb, c30, nr); store_part(c + 3 * ldcb + 16, c31, nr - 4); }
}

// The relaxed build's microkernel: a 3x12 tile, A panel kc x 3 (12 bytes per k), B panel
// kc x 12 (48 bytes per k). Same modes, epilogue and edges as gemm_packed_4x8.
function gemm_packed_3x12(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, mode: i32, bias: usize, relu: bool, mr: i32, nr: i32): void {
  const ldcb = ldc << 2;
  const c1 = c + ldcb, c2 = c + 2 * ldcb;
  const full = mr == 3 && nr == 12;
  let c00: v128, c01: v128, c02: v128, c10: v128, c11: v128, c12: v128, c20: v128, c21: v128, c22: v128;
  if (mode == MODE_ACC && full) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32);
    c10 = v128.load(c1); c11 = v128.load(c1, 16); c12 = v128.load(c1, 32);
    c20 = v128.load(c2); c21 = v128.load(c2, 16); c22 = v128.load(c2, 32);
  } else if (mode == MODE_ACC) {
    const z = f32x4.splat(0);
    c00 = load_part(c, nr); c01 = load_part(c + 16, nr - 4); c02 = load_part(c + 32, nr - 8);
    c10 = mr > 1 ? load_part(c1, nr) : z; c11 = mr > 1 ? load_part(c1 + 16, nr - 4) : z; c12 = mr > 1 ? load_part(c1 + 32, nr - 8) : z;
    c20 = mr > 2 ? load_part(c2, nr) : z; c21 = mr > 2 ? load_part(c2 + 16, nr - 4) : z; c22 = mr > 2 ? load_part(c2 + 32, nr - 8) : z;
  } else if (mode == MODE_BIAS) {
    c00 = load_part(bias, nr); c01 = load_part(bias + 16, nr - 4); c02 = load_part(bias + 32, nr - 8);
    c10 = c00; c11 = c01; c12 = c02; c20 = c00; c21 = c01; c22 = c02;
  } else {
    c00 = f32x4.splat(0); c01 = c00; c02 = c00; c10 = c00; c11 = c00; c12 = c00; c20 = c00; c21 = c00; c22 = c00;
  }
  const end = pb + <usize>kc * 48;
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const b2 = v128.load(pb, 32);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01); c02 = madd(a, b2, c02);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11); c12 = madd(a, b2, c12);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21); c22 = madd(a, b2, c22);
    pa += 12;
    pb += 48;
  }
  if (relu) {
    const z = f32x4.splat(0);
    c00 = f32x4.max(c00, z); c01 = f32x4.max(c01, z); c02 = f32x4.max(c02, z);
    c10 = f32x4.max(c10, z); c11 = f32x4.max(c11, z); c12 = f32x4.max(c12, z);
    c20 = f32x4.max(c20, z); c21 = f32x4.max(c21, z); c22 = f32x4.max(c22, z);
  }
  if (full) {
    v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32);
    v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32);
    v128.store(c2, c20); v128.store(c2, c21, 16); v128.store(c2, c22, 32);
    return;
  }
  store_part(c, c00, nr); store_part(c + 16, c01, nr - 4); store_part(c + 32, c02, nr - 8);
  if (mr > 1) { store_part(c1, c10, nr); store_part(c1 + 16, c11, nr - 4); store_part(c1 + 32, c12, nr - 8); }
  if (mr > 2) { store_part(c2, c20, nr); store_part(c2 + 16, c21, nr - 4); store_part(c2 + 32, c22, nr - 8); }
}

// The first q lanes of the 4 floats at p (q may be <= 0 or >= 4), the rest 0: the part of a tile's
// row inside C (or inside the bias), read without touching a byte past it.
// @ts-ignore: decorator
@inline function load_part(p: usize, q: i32): v128 {
  if (q >= 4) return v128.load(p);
  if (q == 3) return v128.load32_lane(p + 8, v128.load64_zero(p), 2);
  if (q == 2) return v128.load64_zero(p);
  if (q == 1) return v128.load32_zero(p);
  return f32x4.splat(0);
}

// Stores the first q lanes of x at p (q may be <= 0 or >= 4): the part of a tile's row inside C.
// @ts-ignore: decorator
@inline function store_part(p: usize, x: v128, q: i32): void {
  if (q >= 4) v128.store(p, x);
  else if (q == 3) { v128.store64_lane(p, x, 0); v128.store32_lane(p + 8, x, 2); }
  else if (q == 2) v128.store64_lane(p, x, 0);
  else if (q == 1) v128.store32_lane(p, x, 0);
}

// the build's microkernel (the branch is on a compile-time constant)
// @ts-ignore: decorator
@inline function microkernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, mode: i32, bias: usize, relu: bool, mr: i32, nr: i32): void {
  if (ASC_FEATURE_RELAXED_SIMD) gemm_packed_3x12(kc, pa, pb, c, ldc, mode, bias, relu, mr, nr);
  else gemm_packed_4x8(kc, pa, pb, c, ldc, mode, bias, relu, mr, nr);
}

// Pack rows [i0, i0+mc) x cols [k0, k0+kc) of op(A) into panels of MR rows, panel p at
// pa + p*kc*A_STEP, each k the panel's MR values (rows past mc are zero).
// transA: A is stored K x M (lda = its row length), so op(A)(i, k) = A[k*lda + i].
function pack_a(transA: bool, a: usize, lda: i32, i0: i32, k0: i32, mc: i32, kc: i32, pa: usize): void {
  const panelBytes = <usize>kc * A_STEP;
  let dst0 = pa;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    if (transA) {
      // the panel's rows are adjacent in memory: each k is a short contiguous copy
      let src = a + ((<usize>k0 * lda + i0 + ir) << 2);
      const step = <usize>lda << 2;
      let dst = dst0;
      if (mr == MR) {
        for (let k = 0; k < kc; k++) {
          if (MR == 4) v128.store(dst, v128.load(src));
          else { store<u64>(dst, load<u64>(src)); store<f32>(dst, load<f32>(src, 8), 8); }
          src += step;
          dst += A_STEP;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), r < mr ? load<f32>(src + (<usize>r << 2)) : 0);
          src += step;
          dst += A_STEP;
        }
      }
    } else {
      // A is M x K row-major: each row is contiguous in k, so read four k of every row at once and
      // transpose them into the panel
      const rowb = <usize>lda << 2;
      const base = a + ((<usize>(i0 + ir) * lda + k0) << 2);
      let k = 0;
      if (mr == MR) {
        for (; k + 4 <= kc; k += 4) {
          const s = base + (<usize>k << 2);
          const d = dst0 + <usize>k * A_STEP;
          const r0 = v128.load(s), r1 = v128.load(s + rowb), r2 = v128.load(s + 2 * rowb);
          const t = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // r0k0 r1k0 r0k1 r1k1
          const u = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // r0k2 r1k2 r0k3 r1k3
          if (MR == 4) {
            const r3 = v128.load(s + 3 * rowb);
            const x = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
            const y = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
            v128.store(d, v128.shuffle<f32>(t, x, 0, 1, 4, 5));
            v128.store(d, v128.shuffle<f32>(t, x, 2, 3, 6, 7), 16);
            v128.store(d, v128.shuffle<f32>(u, y, 0, 1, 4, 5), 32);
            v128.store(d, v128.shuffle<f32>(u, y, 2, 3, 6, 7), 48);
          } else {
            // 4 k x 3 rows = 12 values in k-major order: r0k0 r1k0 r2k0 r0k1 | r1k1 r2k1 r0k2 r1k2 | r2k2 r0k3 r1k3 r2k3
            const w = v128.shuffle<f32>(t, u, 3, 4, 5, 5); // r1k1 r0k2 r1k2 -
            v128.store(d, v128.shuffle<f32>(t, r2, 0, 1, 4, 2));
            v128.store(d, v128.shuffle<f32>(w, r2, 0, 5, 1, 2), 16);
            v128.store(d, v128.shuffle<f32>(u, r2, 6, 2, 3, 7), 32);
          }
        }
      }
      for (; k < kc; k++) {
        const s = base + (<usize>k << 2);
        const d = dst0 + <usize>k * A_STEP;
        for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), r < mr ? load<f32>(s + <usize>r * rowb) : 0);
      }
    }
    dst0 += panelBytes;
  }
}

// Pack rows [k0, k0+kc) x cols [j0, j0+nc) of op(B) into panels of NR columns (zero-padded),
// panel p at pb + p*(kc*B_STEP + PANEL_PAD), each k a row of NR.
// transB: B is stored N x K (ldb = its row length), so op(B)(k, j) = B[j*ldb + k].
function pack_b(transB: bool, b: usize, ldb: i32, k0: i32, j0: i32, kc: i32, nc: i32, pb: usize): void {
  const panelBytes = <usize>kc * B_STEP + PANEL_PAD;
  if (!transB) {
    // B is K x N row-major: walk it row by row (sequential reads), dealing each row's NR-column
    // pieces out to the panels
    const full = nc / NR, rem = nc - full * NR;
    let src = b + ((<usize>k0 * ldb + j0) << 2);
    const step = <usize>ldb << 2;
    let dst = pb;
    for (let k = 0; k < kc; k++) {
      let s = src, d = dst;
      for (let p = 0; p < full; p++) {
        for (let v = 0; v < NR; v += 4) v128.store(d + (<usize>v << 2), v128.load(s + (<usize>v << 2)));
        s += B_STEP;
        d += panelBytes;
      }
      if (rem > 0) for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < rem ? load<f32>(s + (<usize>j << 2)) : 0);
      src += step;
      dst += B_STEP;
    }
    return;
  }
  // B stored N x K: each of a panel's columns is a contiguous row of B; transpose 4x4 blocks
  // (4 columns x 4 k) into the panel
  const rowb = <usize>ldb << 2;
  let dst0 = pb;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const base = b + ((<usize>(j0 + jr) * ldb + k0) << 2);
    if (nr == NR) {
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const d = dst0 + <usize>k * B_STEP;
        for (let g = 0; g < NR; g += 4) {
          const s = base + <usize>g * rowb + (<usize>k << 2);
          store_transposed_4x4(v128.load(s), v128.load(s + rowb), v128.load(s + 2 * rowb), v128.load(s + 3 * rowb), d + (<usize>g << 2));
        }
      }
      for (; k < kc; k++) {
        const s = base + (<usize>k << 2);
        const d = dst0 + <usize>k * B_STEP;
        for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + <usize>j * rowb));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const d = dst0 + <usize>k * B_STEP;
        for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(base + <usize>j * rowb + (<usize>k << 2)) : 0);
      }
    }
    dst0 += panelBytes;
  }
}

// A 4x4 transpose into 4 consecutive packed rows: row q = [t0[q] t1[q] t2[q] t3[q]] at d + q*B_STEP.
// @ts-ignore: decorator
@inline function store_transposed_4x4(t0: v128, t1: v128, t2: v128, t3: v128, d: usize): void {
  const x0 = v128.shuffle<f32>(t0, t1, 0, 4, 1, 5);
  const x1 = v128.shuffle<f32>(t0, t1, 2, 6, 3, 7);
  const x2 = v128.shuffle<f32>(t2, t3, 0, 4, 1, 5);
  const x3 = v128.shuffle<f32>(t2, t3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(x0, x2, 0, 1, 4, 5));
  v128.store(d + B_STEP, v128.shuffle<f32>(x0, x2, 2, 3, 6, 7));
  v128.store(d + 2 * B_STEP, v128.shuffle<f32>(x1, x3, 0, 1, 4, 5));
  v128.store(d + 3 * B_STEP, v128.shuffle<f32>(x1, x3, 2, 3, 6, 7));
}

// For the bench, not the model (exported by bench.ts only): the build's microkernel alone, n times over the same kc-deep
// panels (pa: kc*MR floats, pb: kc*NR floats, both small enough for L1) into one MRxNR tile at c.
// How fast the GEMM would run if packing and cache misses cost nothing.
export function gemm_microkernel_loop(n: i32, kc: i32, pa: usize, pb: usize, c: usize): void {
  for (let i = 0; i < n; i++) microkernel(kc, pa, pb, c, NR, MODE_ZERO, 0, false, MR, NR);
}

// C (M x N, row stride ldc) = op(A) op(B) per `mode`; K == 0 gives the mode's starting value.
export function gemm(transA: bool, transB: bool, M: i32, N: i32, K: i32,
                     a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32,
                     mode: i32, bias: usize, scratch: usize, relu: bool): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (mode == MODE_ACC && !relu) return;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        const at = c + ((<usize>i * ldc + j) << 2);
        const v: f32 = mode == MODE_BIAS ? load<f32>(bias + (<usize>j << 2)) : mode == MODE_ACC ? load<f32>(at) : 0;
        store<f32>(at, relu ? Mathf.max(v, 0) : v);
      }
    }
    return;
  }
  const pb = scratch;
  const pa = scratch + PACK_B_BYTES;
  const ldcz = <usize>ldc;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      pack_b(transB, b, ldb, pc, jc, kc, nc, pb);
      const m0 = pc == 0 ? mode : MODE_ACC;
      const last = relu && pc + kc >= K; // the epilogue runs once, on the final k-block
      const bPanel = <usize>kc * B_STEP + PANEL_PAD, aPanel = <usize>kc * A_STEP;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        pack_a(transA, a, lda, ic, pc, mc, kc, pa);
        let pbp = pb;
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = bias + (<usize>(jc + jr) << 2);
          let pap = pa;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const cp = c + ((<usize>(ic + ir) * ldcz + jc + jr) << 2);
            microkernel(kc, pap, pbp, cp, ldcz, m0, bp, last, mr, nr);
            pap += aPanel;
          }
          pbp += bPanel;
        }
      }
    }
  }
}
