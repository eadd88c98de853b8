// How one GEMM is shared among threads so that the result does not depend on how many: each
// thread computes whole output elements, a block of rows or of columns of C, by the same kernel
// with the same k order as one thread would, so every output value is bitwise what one thread
// computes. Rows are split when the other operand (B, which every thread then packs for itself)
// is the smaller; columns otherwise (then every thread packs A). Blocks are whole microkernel tiles
// (MR rows, NR columns). Small products stay on one thread: a part must be worth a wake-up.

/** a thread's share of C: rows [m0, m1) and columns [n0, n1) */
export interface GemmPart { m0: number; m1: number; n0: number; n1: number }

/** below this many multiply-adds per thread a split costs more than it saves: a part must outlast
 *  the hand-off to a spinning worker and back, about 1.5 µs here (bench/split-threshold.ts: 32x64x32,
 *  2^15 a thread, gains 1.15x on 2 threads, 32³ loses a little, 64³ gains 1.5x) */
export const GEMM_MIN_MACS_PER_THREAD = 1 << 15;

/** Up to `threads` parts of an M x N x K product into `out`, part p as out[4p … 4p + 3] = m0, m1,
 *  n0, n1; returns how many (1: the whole, when splitting does not pay). Allocates nothing: the
 *  dispatcher calls it for every product of a step. */
export function splitGemmInto(threads: number, M: number, N: number, K: number, MR: number, NR: number, minMacs: number, out: Int32Array): number {
  out[0] = 0; out[1] = M; out[2] = 0; out[3] = N;
  const macs = M * N * Math.max(K, 1);
  const t = Math.min(threads, Math.floor(macs / minMacs));
  if (t < 2 || K <= 0) return 1;
  const byRows = K * N <= M * K;
  const extent = byRows ? M : N, tile = byRows ? MR : NR;
  const tiles = Math.ceil(extent / tile);
  const parts = Math.min(t, tiles);
  if (parts < 2) return 1;
  let n = 0;
  for (let p = 0; p < parts; p++) {
    // tiles shared as evenly as possible; the ragged last tile goes with the last part
    const lo = partStart(p, parts, tiles, tile, extent);
    const hi = p === parts - 1 ? extent : partStart(p + 1, parts, tiles, tile, extent);
    if (hi <= lo) continue;
    out[4 * n] = byRows ? lo : 0; out[4 * n + 1] = byRows ? hi : M; out[4 * n + 2] = byRows ? 0 : lo; out[4 * n + 3] = byRows ? N : hi;
    n++;
  }
  return n;
}

/** splitGemmInto's parts as objects (for tests and readers) */
export function splitGemm(threads: number, M: number, N: number, K: number, MR: number, NR: number, minMacs = GEMM_MIN_MACS_PER_THREAD): GemmPart[] {
  const out = new Int32Array(4 * Math.max(threads, 1));
  const n = splitGemmInto(threads, M, N, K, MR, NR, minMacs, out);
  return Array.from({ length: n }, (_, p) => ({ m0: out[4 * p]!, m1: out[4 * p + 1]!, n0: out[4 * p + 2]!, n1: out[4 * p + 3]! }));
}

/** writes the arguments of kernel gemm() for part p of `parts` (splitGemmInto's; given those of the whole product) to
 *  out[at …], in the kernel's order: transA, transB, M, N, K, a, lda, b, ldb, c, ldc, mode, bias,
 *  scratch, relu */
export function writeGemmPart(
  out: Float64Array, at: number, parts: Int32Array, p: number, transA: number, transB: number, K: number,
  a: number, lda: number, b: number, ldb: number, c: number, ldc: number, mode: number, bias: number, scratch: number, relu: number,
): void {
  const m0 = parts[4 * p]!, m1 = parts[4 * p + 1]!, n0 = parts[4 * p + 2]!, n1 = parts[4 * p + 3]!;
  out[at] = transA; out[at + 1] = transB; out[at + 2] = m1 - m0; out[at + 3] = n1 - n0; out[at + 4] = K;
  out[at + 5] = transA ? a + m0 * 4 : a + m0 * lda * 4; out[at + 6] = lda;
  out[at + 7] = transB ? b + n0 * ldb * 4 : b + n0 * 4; out[at + 8] = ldb;
  out[at + 9] = c + (m0 * ldc + n0) * 4; out[at + 10] = ldc;
  out[at + 11] = mode; out[at + 12] = bias === 0 ? 0 : bias + n0 * 4; out[at + 13] = scratch; out[at + 14] = relu;
}

/** Where a product of depth K is cut in two (split-depth.ts): where a K-row product split by rows of
 *  `mr` puts its first bound on two threads (splitGemmInto), so that on two threads each half of the
 *  depth of a dense layer's forward product is the rows of W that thread computes the gradient of,
 *  and updates. It depends on K and the build's tile only, never on the thread count. */
export function depthCut(K: number, mr: number): number {
  return partStart(1, 2, Math.ceil(K / mr), mr, K);
}

/** the first unit of part p of `parts` when `tiles` tiles of `tile` units, covering [0, extent),
 *  are shared among them as evenly as possible */
function partStart(p: number, parts: number, tiles: number, tile: number, extent: number): number {
  return Math.min(extent, Math.floor((p * tiles) / parts) * tile);
}
