// f32 GEMM for the three products a dense layer needs:
//   gemm_nn: C = A·B    (forward:        Y  = X·W)
//   gemm_tn: C = Aᵀ·B   (weight grads:   dW = Xᵀ·dY)
//   gemm_nt: C = A·Bᵀ   (input grads:    dX = dY·Wᵀ)
// All three pack their operands into the same panel layout, so one register-tiled microkernel
// (gemm_packed_4x8) serves them and the transposed products run as fast as the plain one.
// The 4x8 tile keeps 8 f32x4 accumulators + 2 B vectors + 1 broadcast live: V8 has ~15 SIMD
// registers on x64, and larger tiles (5x8, 6x8) spill and run at half speed.
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

const MR: i32 = 4;   // rows of a tile
const NR: i32 = 8;   // columns of a tile (two f32x4)
const KC: i32 = 256; // k-block: a 4xKC pre-broadcast A panel (16 KiB) stays in L1
const NC: i32 = 512; // n-block: a KCxNC packed B block (512 KiB) stays in L2

const PACK_B_BYTES: usize = <usize>(KC * NC) << 2;
const PACK_A_BYTES: usize = <usize>(MR * KC) << 4; // pre-broadcast: 16 bytes per value
const TILE_BYTES: usize = <usize>(MR * NR) << 2;

export function gemm_scratch_bytes(): usize {
  return PACK_B_BYTES + PACK_A_BYTES + TILE_BYTES;
}

// The microkernel: a 4x8 tile of C from a packed A panel (kc x 4 values, each stored already
// broadcast to four lanes) and a packed B panel (kc x 8, k-major). Pre-broadcast A costs 4x the
// bytes of a tiny L1-resident panel but turns every load into one with a constant offset that
// V8 folds into the instruction (load32_splat with an offset costs an extra address add), and the
// loop runs on the B pointer alone. mode MODE_BIAS reads 8 bias values at `bias`; relu clamps the
// tile at 0 as it is stored.
function gemm_packed_4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, mode: i32, bias: usize, relu: bool): void {
  const ldcb = ldc << 2;
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (mode == MODE_ACC) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldcb); c11 = v128.load(c + ldcb, 16);
    c20 = v128.load(c + 2 * ldcb); c21 = v128.load(c + 2 * ldcb, 16);
    c30 = v128.load(c + 3 * ldcb); c31 = v128.load(c + 3 * ldcb, 16);
  } else if (mode == MODE_BIAS) {
    c00 = v128.load(bias); c01 = v128.load(bias, 16);
    c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
  } else {
    c00 = f32x4.splat(0); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
  }
  const end = pb + (<usize>kc << 5);
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load(pa, 16);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load(pa, 32);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load(pa, 48);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 64;
    pb += 32;
  }
  if (relu) {
    const z = f32x4.splat(0);
    c00 = f32x4.max(c00, z); c01 = f32x4.max(c01, z); c10 = f32x4.max(c10, z); c11 = f32x4.max(c11, z);
    c20 = f32x4.max(c20, z); c21 = f32x4.max(c21, z); c30 = f32x4.max(c30, z); c31 = f32x4.max(c31, z);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldcb, c10); v128.store(c + ldcb, c11, 16);
  v128.store(c + 2 * ldcb, c20); v128.store(c + 2 * ldcb, c21, 16);
  v128.store(c + 3 * ldcb, c30); v128.store(c + 3 * ldcb, c31, 16);
}

// the four lanes of v (one k, rows i..i+3 of op(A)) as four broadcast vectors
// @ts-ignore: decorator
@inline function store_splats(v: v128, dst: usize): void {
  v128.store(dst, v128.shuffle<f32>(v, v, 0, 0, 0, 0));
  v128.store(dst, v128.shuffle<f32>(v, v, 1, 1, 1, 1), 16);
  v128.store(dst, v128.shuffle<f32>(v, v, 2, 2, 2, 2), 32);
  v128.store(dst, v128.shuffle<f32>(v, v, 3, 3, 3, 3), 48);
}

// Pack rows [i0, i0+mr) x cols [k0, k0+kc) of op(A) into pa: for each k, the 4 rows' values,
// each broadcast to a v128 (64 bytes per k; rows past mr are zero).
// transA: A is stored K x M (lda = its row length), so op(A)(i, k) = A[k*lda + i].
function pack_a(transA: bool, a: usize, lda: i32, i0: i32, k0: i32, mr: i32, kc: i32, pa: usize): void {
  if (transA) {
    let src = a + ((<usize>k0 * lda + i0) << 2);
    const step = <usize>lda << 2;
    for (let k = 0; k < kc; k++) {
      let v: v128;
      if (mr == MR) v = v128.load(src);
      else {
        v = f32x4.splat(0);
        if (mr > 0) v = f32x4.replace_lane(v, 0, load<f32>(src));
        if (mr > 1) v = f32x4.replace_lane(v, 1, load<f32>(src, 4));
        if (mr > 2) v = f32x4.replace_lane(v, 2, load<f32>(src, 8));
      }
      store_splats(v, pa + (<usize>k << 6));
      src += step;
    }
    return;
  }
  // A is M x K row-major: rows are contiguous in k, so transpose 4x4 blocks on the way in.
  const rowb = <usize>lda << 2;
  const base = a + ((<usize>i0 * lda + k0) << 2);
  let k = 0;
  if (mr == MR) {
    for (; k + 4 <= kc; k += 4) {
      const s = base + (<usize>k << 2);
      const r0 = v128.load(s), r1 = v128.load(s + rowb), r2 = v128.load(s + 2 * rowb), r3 = v128.load(s + 3 * rowb);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const d = pa + (<usize>k << 6);
      store_splats(v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), d);
      store_splats(v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), d + 64);
      store_splats(v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), d + 128);
      store_splats(v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), d + 192);
    }
  }
  for (; k < kc; k++) {
    const s = base + (<usize>k << 2);
    let v = f32x4.splat(0);
    if (mr > 0) v = f32x4.replace_lane(v, 0, load<f32>(s));
    if (mr > 1) v = f32x4.replace_lane(v, 1, load<f32>(s + rowb));
    if (mr > 2) v = f32x4.replace_lane(v, 2, load<f32>(s + 2 * rowb));
    if (mr > 3) v = f32x4.replace_lane(v, 3, load<f32>(s + 3 * rowb));
    store_splats(v, pa + (<usize>k << 6));
  }
}

// Pack rows [k0, k0+kc) x cols [j0, j0+nc) of op(B) into panels of 8 columns (zero-padded),
// panel p at pb + p*kc*8 floats, each k a row of 8.
// transB: B is stored N x K (ldb = its row length), so op(B)(k, j) = B[j*ldb + k].
function pack_b(transB: bool, b: usize, ldb: i32, k0: i32, j0: i32, kc: i32, nc: i32, pb: usize): void {
  const panelBytes = <usize>kc << 5;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const dst0 = pb + <usize>(jr / NR) * panelBytes;
    if (!transB) {
      let src = b + ((<usize>k0 * ldb + j0 + jr) << 2);
      const step = <usize>ldb << 2;
      if (nr == NR) {
        for (let k = 0; k < kc; k++) {
          const dst = dst0 + (<usize>k << 5);
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += step;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const dst = dst0 + (<usize>k << 5);
          for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>j << 2)) : 0);
          src += step;
        }
      }
      continue;
    }
    // B stored N x K: each of the panel's 8 columns is a contiguous row of B.
    const rowb = <usize>ldb << 2;
    const base = b + ((<usize>(j0 + jr) * ldb + k0) << 2);
    if (nr == NR) {
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const s = base + (<usize>k << 2);
        const d = dst0 + (<usize>k << 5);
        // columns 0..3 of the panel, then 4..7, each a 4x4 transpose; rows of the panel are 32 bytes apart
        const t0 = v128.load(s), t1 = v128.load(s + rowb), t2 = v128.load(s + 2 * rowb), t3 = v128.load(s + 3 * rowb);
        const u0 = v128.load(s + 4 * rowb), u1 = v128.load(s + 5 * rowb), u2 = v128.load(s + 6 * rowb), u3 = v128.load(s + 7 * rowb);
        store_transposed_pair(t0, t1, t2, t3, u0, u1, u2, u3, d);
      }
      for (; k < kc; k++) {
        const s = base + (<usize>k << 2);
        const d = dst0 + (<usize>k << 5);
        for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + <usize>j * rowb));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const d = dst0 + (<usize>k << 5);
        for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(base + <usize>j * rowb + (<usize>k << 2)) : 0);
      }
    }
  }
}

// Two 4x4 transposes interleaved into 4 packed rows of 8: row k = [t0[k] t1[k] t2[k] t3[k] u0[k] .. u3[k]].
// @ts-ignore: decorator
@inline function store_transposed_pair(t0: v128, t1: v128, t2: v128, t3: v128, u0: v128, u1: v128, u2: v128, u3: v128, d: usize): void {
  let x0 = v128.shuffle<f32>(t0, t1, 0, 4, 1, 5);
  let x1 = v128.shuffle<f32>(t0, t1, 2, 6, 3, 7);
  let x2 = v128.shuffle<f32>(t2, t3, 0, 4, 1, 5);
  let x3 = v128.shuffle<f32>(t2, t3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(x0, x2, 0, 1, 4, 5));
  v128.store(d, v128.shuffle<f32>(x0, x2, 2, 3, 6, 7), 32);
  v128.store(d, v128.shuffle<f32>(x1, x3, 0, 1, 4, 5), 64);
  v128.store(d, v128.shuffle<f32>(x1, x3, 2, 3, 6, 7), 96);
  x0 = v128.shuffle<f32>(u0, u1, 0, 4, 1, 5);
  x1 = v128.shuffle<f32>(u0, u1, 2, 6, 3, 7);
  x2 = v128.shuffle<f32>(u2, u3, 0, 4, 1, 5);
  x3 = v128.shuffle<f32>(u2, u3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(x0, x2, 0, 1, 4, 5), 16);
  v128.store(d, v128.shuffle<f32>(x0, x2, 2, 3, 6, 7), 48);
  v128.store(d, v128.shuffle<f32>(x1, x3, 0, 1, 4, 5), 80);
  v128.store(d, v128.shuffle<f32>(x1, x3, 2, 3, 6, 7), 112);
}

// An edge tile (mr < 4 or nr < 8) runs the same microkernel on a 4x8 scratch tile, then copies
// the valid part back, so C is never written outside its bounds.
function edge_tile(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, mode: i32, bias: usize, relu: bool, mr: i32, nr: i32, tile: usize): void {
  for (let r = 0; r < MR; r++) {
    for (let j = 0; j < NR; j++) {
      let v: f32 = 0;
      if (r < mr && j < nr) {
        if (mode == MODE_ACC) v = load<f32>(c + ((<usize>r * ldc + j) << 2));
        else if (mode == MODE_BIAS) v = load<f32>(bias + (<usize>j << 2));
      }
      store<f32>(tile + (<usize>(r * NR + j) << 2), v);
    }
  }
  gemm_packed_4x8(kc, pa, pb, tile, NR, MODE_ACC, 0, relu);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) store<f32>(c + ((<usize>r * ldc + j) << 2), load<f32>(tile + (<usize>(r * NR + j) << 2)));
  }
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
  const tile = pa + PACK_A_BYTES;
  const ldcz = <usize>ldc;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      pack_b(transB, b, ldb, pc, jc, kc, nc, pb);
      const m0 = pc == 0 ? mode : MODE_ACC;
      const last = relu && pc + kc >= K; // the epilogue runs once, on the final k-block
      const panelBytes = <usize>kc << 5;
      for (let ic = 0; ic < M; ic += MR) {
        const mr = min(MR, M - ic);
        pack_a(transA, a, lda, ic, pc, mr, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const cp = c + ((<usize>ic * ldcz + jc + jr) << 2);
          const pbp = pb + <usize>(jr / NR) * panelBytes;
          const bp = bias + (<usize>(jc + jr) << 2);
          if (mr == MR && nr == NR) gemm_packed_4x8(kc, pa, pbp, cp, ldcz, m0, bp, last);
          else edge_tile(kc, pa, pbp, cp, ldcz, m0, bp, last, mr, nr, tile);
        }
      }
    }
  }
}
