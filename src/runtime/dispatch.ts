// Where a kernel call runs: on this thread, or in parts on every thread of the instance's pool.
// GEMMs split by blocks of output tiles (parallel-gemm.ts), other kernels by contiguous ranges of
// their independent units (parallel-range.ts); either way every output value is computed by one
// thread exactly as one thread computes it, so results are bitwise the same for any thread count.
// A part is given to a thread only when it is worth the wake-up; with one thread (or no pool)
// every call goes straight to the kernel.
import { MODE_ZERO, type KernelExports } from './abi.js';
import { Block, type Arena } from './memory.js';
import { ThreadPool, JOB_FIRST_ARG, JOB_MAX_ARGS } from './pool.js';
import { GEMM_MIN_MACS_PER_THREAD, depthCut, splitGemmInto, writeGemmPart } from './parallel-gemm.js';
import { splitRange } from './parallel-range.js';
import type { SharedInstance } from './load.js';

/** the exports that are kernels (functions) */
export type KernelName = { [K in keyof KernelExports]: KernelExports[K] extends (...a: never[]) => unknown ? K : never }[keyof KernelExports];

/** Writes the arguments of one part's call, for units [lo, hi) of the range, to out[at …] and
 *  returns how many (at most JOB_MAX_ARGS). `scratch`: the calling thread's own scratch space
 *  (Dispatcher.threadScratchBytes), for kernels that need one per thread. */
export type PartArgs = (lo: number, hi: number, scratch: number, out: Float64Array, at: number) => number;

/** Floats of each thread's scratch past the GEMM's packing space (gemm_scratch_bytes): the work
 *  space of kernels that run a whole block of a layer on one thread (conv_blocks.ts: a column block
 *  and an output block of at most half of this each). 512 KiB, so the blocks and the GEMM's packed
 *  panels stay within L2. */
export const THREAD_WORK_FLOATS = 1 << 17;

/** folds the parts' results, in part order */
export type Combine = (a: number, b: number) => number;

type AnyKernel = (...a: number[]) => number;

/** the exports a pool job may call, in the order jobs name them by index */
export function kernelNames(exports: KernelExports): string[] {
  const all = exports as unknown as Record<string, unknown>;
  return Object.keys(all).filter((n) => typeof all[n] === 'function' && !n.startsWith('__'));
}

/** Up to this many multiply-adds a product skips packing (gemm_small: the same bits, and a small
 *  function, compiled at once on its first call). Measured warm (bench/split-threshold.ts): 4x4x4
 *  took 37 ns against the packed GEMM's 83, 8x8x4 (256) 116 ns against 63. */
export const SMALL_GEMM_MACS = 128;

/** calls fn with a[0 … argc): a case for every count a kernel has, so no call spreads an array */
function call(fn: AnyKernel, a: Float64Array, argc: number): number {
  switch (argc) {
    case 2: return fn(a[0]!, a[1]!);
    case 3: return fn(a[0]!, a[1]!, a[2]!);
    case 4: return fn(a[0]!, a[1]!, a[2]!, a[3]!);
    case 5: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
    case 6: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!);
    case 7: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!);
    case 8: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!);
    case 9: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!);
    case 10: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!);
    case 11: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!);
    case 12: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!);
    case 13: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!);
    case 14: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!);
    case 15: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!);
    case 16: return fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
    default: return fn(...Array.from(a.subarray(0, argc)));
  }
}

export class Dispatcher {
  private pool: ThreadPool | null = null;
  /** each worker's scratch (GEMM packing space, and any per-thread scratch of a part) */
  private workerScratch: Block[] = [];
  private readonly ids = new Map<string, number>();
  private readonly own = new Float64Array(JOB_MAX_ARGS);
  private bounds = new Int32Array(2);
  /** splitGemmInto's parts of the product being split (and of the second half's, gemmDepthHalves) */
  private gemmParts = new Int32Array(4);
  private gemmParts2 = new Int32Array(4);
  /** @internal for tests: split every product and range that can be split, however small */
  splitAll = false;
  /** this thread's part of the call being split, made once (a split call allocates no closure) */
  private ownKernel: AnyKernel | null = null;
  private ownArgc = 0;
  private ownResult = 0;
  private readonly runOwn = (): void => { this.ownResult = call(this.ownKernel!, this.own, this.ownArgc); };

  constructor(private readonly exports: KernelExports, private readonly arena: Arena, private readonly scratch: Block,
              private readonly mr: number, private readonly nr: number) {}

  /** threads kernel calls run on: this one and the pool's workers */
  get threads(): number {
    return this.pool ? this.pool.size + 1 : 1;
  }

  /** bytes of the per-thread scratch a part's kernel may use (PartArgs' scratch) */
  get threadScratchBytes(): number {
    return this.scratch.length * 4;
  }

  /** @internal for tests */
  get threadPool(): ThreadPool | null {
    return this.pool;
  }

  /** starts threads - 1 workers on the shared memory */
  async start(shared: SharedInstance, threads: number): Promise<void> {
    const workers = threads - 1;
    const names = kernelNames(this.exports);
    names.forEach((n, i) => this.ids.set(n, i));
    this.workerScratch = Array.from({ length: workers }, () => new Block(this.arena, this.scratch.length));
    try {
      this.pool = await ThreadPool.start(shared.module, shared.memory, workers, names);
    } catch (e) {
      for (const b of this.workerScratch) b.free();
      this.workerScratch = [];
      throw e;
    }
    this.bounds = new Int32Array(threads + 1);
    this.gemmParts = new Int32Array(4 * threads);
    this.gemmParts2 = new Int32Array(4 * threads);
  }

  /** C = op(A)·op(B) per mode, on as many threads as the product's size pays for */
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
    c: number, ldc: number, mode: number, bias: number, relu: number): void {
    if (M * N * K <= SMALL_GEMM_MACS) {
      this.exports.gemm_small(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, mode, bias, relu);
      return;
    }
    const pool = this.pool;
    const parts = pool ? splitGemmInto(this.threads, M, N, K, this.mr, this.nr, this.splitAll ? 1 : GEMM_MIN_MACS_PER_THREAD, this.gemmParts) : 1;
    if (parts < 2) {
      this.exports.gemm(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, mode, bias, this.scratch.ptr, relu);
      return;
    }
    const id = this.ids.get('gemm')!, own = this.own, gp = this.gemmParts;
    for (let w = 0; w + 1 < parts; w++) {
      const job = pool!.job(w);
      job[0] = id;
      job[1] = 15;
      writeGemmPart(job, JOB_FIRST_ARG, gp, w + 1, transA, transB, K, a, lda, b, ldb, c, ldc, mode, bias, this.workerScratch[w]!.ptr, relu);
    }
    writeGemmPart(own, 0, gp, 0, transA, transB, K, a, lda, b, ldb, c, ldc, mode, bias, this.scratch.ptr, relu);
    this.ownKernel = this.exports.gemm as unknown as AnyKernel;
    this.ownArgc = 15;
    pool!.run(parts - 1, this.runOwn);
  }

  /** The two halves of a product cut in depth (split-depth.ts; at depthCut), at once: C = A[:, :cut]·B[:cut, :]
   *  per mode (relu is left to the addition after it) and P (M x N, row stride N) = A[:, cut:]·B[cut:, :].
   *  On two threads each half is one thread's; on more, each half is split by output tiles among
   *  about half of them; on one, they run in turn. */
  gemmDepthHalves(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
    c: number, ldc: number, mode: number, bias: number, partial: number): void {
    const cut = depthCut(K, this.mr), rest = K - cut, a2 = a + cut * 4, b2 = b + cut * ldb * 4;
    const pool = this.pool, T = this.threads;
    const minMacs = this.splitAll ? 1 : GEMM_MIN_MACS_PER_THREAD;
    // each half must be worth a thread of its own, or they run in turn (each split as gemm() splits it)
    if (!pool || Math.min(cut, rest) * M * N < minMacs) {
      this.gemm(0, 0, M, N, cut, a, lda, b, ldb, c, ldc, mode, bias, 0);
      this.gemm(0, 0, M, N, rest, a2, lda, b2, ldb, partial, N, MODE_ZERO, 0, 0);
      return;
    }
    const p1 = splitGemmInto(Math.ceil(T / 2), M, N, cut, this.mr, this.nr, minMacs, this.gemmParts);
    const p2 = splitGemmInto(Math.floor(T / 2), M, N, rest, this.mr, this.nr, minMacs, this.gemmParts2);
    const id = this.ids.get('gemm')!;
    // part 0 of the first half is this thread's; the workers take the other parts of it, then the second half's
    for (let w = 0; w + 1 < p1 + p2; w++) {
      const job = pool.job(w), q = w + 1, s = this.workerScratch[w]!.ptr;
      job[0] = id;
      job[1] = 15;
      if (q < p1) writeGemmPart(job, JOB_FIRST_ARG, this.gemmParts, q, 0, 0, cut, a, lda, b, ldb, c, ldc, mode, bias, s, 0);
      else writeGemmPart(job, JOB_FIRST_ARG, this.gemmParts2, q - p1, 0, 0, rest, a2, lda, b2, ldb, partial, N, MODE_ZERO, 0, s, 0);
    }
    writeGemmPart(this.own, 0, this.gemmParts, 0, 0, 0, cut, a, lda, b, ldb, c, ldc, mode, bias, this.scratch.ptr, 0);
    this.ownKernel = this.exports.gemm as unknown as AnyKernel;
    this.ownArgc = 15;
    pool.run(p1 + p2 - 1, this.runOwn);
  }

  /** Calls kernel `name` over a range [0, n) of independent units: in up to `threads` parts of at
   *  least `grain` units, inner bounds multiples of `align`, one part per thread, or whole on this
   *  thread when splitting does not pay. Returns the parts' results folded in part order by
   *  `combine` (without it, the first part's). `whole`: the whole call's arguments (wholeArgc of
   *  them), when they are what args(0, n) would write; a call that is not split takes them as they
   *  are (a script's first steps run in the interpreter, where every copy counts). */
  parallel(name: KernelName, n: number, grain: number, align: number, args: PartArgs, combine?: Combine,
    whole?: Float64Array, wholeArgc = 0): number {
    const fn = this.exports[name] as unknown as AnyKernel;
    const pool = this.pool, own = this.own;
    // fewer than two grains never split: most calls of a small model end here, without splitRange
    const g = this.splitAll ? 1 : grain;
    const parts = pool && n >= 2 * g ? splitRange(this.threads, n, g, align, this.bounds) : 1;
    if (parts < 2) return whole ? call(fn, whole, wholeArgc) : call(fn, own, args(0, n, this.scratch.ptr, own, 0));
    const b = this.bounds, id = this.ids.get(name);
    if (id === undefined) throw new Error(`kernel '${name}' is not in the worker pool's list`);
    for (let w = 0; w + 1 < parts; w++) {
      const job = pool!.job(w);
      job[0] = id;
      job[1] = args(b[w + 1]!, b[w + 2]!, this.workerScratch[w]!.ptr, job, JOB_FIRST_ARG);
    }
    this.ownArgc = args(0, b[1]!, this.scratch.ptr, own, 0);
    this.ownKernel = fn;
    pool!.run(parts - 1, this.runOwn);
    let result = this.ownResult;
    if (combine) for (let w = 0; w + 1 < parts; w++) result = combine(result, pool!.result(w));
    return result;
  }

  /** ends the workers; every call runs on this thread from now on */
  dispose(): void {
    this.pool?.dispose();
    this.pool = null;
    for (const b of this.workerScratch) b.free();
    this.workerScratch = [];
  }
}
