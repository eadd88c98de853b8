// The narrow view of one kernels instance that everything below the facade works with: the
// module's exports, its memory arena, the GEMM packing space, and gemm() and parallel(), which run
// a kernel on every thread of the instance's pool when that pays, bitwise as on one thread
// (dispatch.ts). Nothing below src/kernels.ts imports the facade (loadKernels / Kernels); they
// take a Runtime.
import type { KernelExports } from './abi.js';
import type { Arena, Block } from './memory.js';
import type { KernelName, PartArgs, Combine } from './dispatch.js';

export interface Runtime {
  readonly exports: KernelExports;
  readonly arena: Arena;
  /** this thread's scratch, shared by every model of this instance (kernels run one at a time): the
   *  GEMM's packing space, then THREAD_WORK_FLOATS (dispatch.ts) */
  readonly scratch: Block;
  /** C (M x N, row stride ldc) = op(A)·op(B) per mode (the kernel gemm's arguments, less the scratch),
   *  on the pool's threads where the product is large enough */
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
    c: number, ldc: number, mode: number, bias: number, relu: number): void;
  /** the two halves of a product cut in depth (at depthCut), C = A[:, :cut]·B[:cut, :] per mode and
   *  partial (M x N) = A[:, cut:]·B[cut:, :], at once on the pool's threads (split-depth.ts) */
  gemmDepthHalves(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
    c: number, ldc: number, mode: number, bias: number, partial: number): void;
  /** threads kernel calls run on now */
  readonly threads: number;
  /** bytes of each thread's own scratch, for the parts of parallel() */
  readonly threadScratchBytes: number;
  /** Kernel `name` over [0, n) units, in parts of at least `grain` units (bounds multiples of
   *  `align`) on the pool's threads where that pays, else whole here; `args` writes each part's
   *  arguments. Returns the parts' results folded in part order by `combine` (else the first's). */
  parallel(name: KernelName, n: number, grain: number, align: number, args: PartArgs, combine?: Combine,
    whole?: Float64Array, wholeArgc?: number): number;
}
