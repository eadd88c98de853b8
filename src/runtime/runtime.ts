// The narrow view of one kernels instance that everything below the facade works with: the
// module's exports, its memory arena, the GEMM packing space, and gemm(), which runs a product on
// every thread of the instance's pool when that pays (bitwise as on one thread: parallel-gemm.ts). Nothing below src/kernels.ts
// imports the facade (loadKernels / Kernels); they take a Runtime.
import type { KernelExports } from './abi.js';
import type { Arena, Block } from './memory.js';

export interface Runtime {
  readonly exports: KernelExports;
  readonly arena: Arena;
  /** GEMM packing space of this thread, shared by every model of this instance (kernels run one at a time) */
  readonly scratch: Block;
  /** C (M x N, row stride ldc) = op(A)·op(B) per mode (the kernel gemm's arguments, less the scratch),
   *  on the pool's threads where the product is large enough */
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
    c: number, ldc: number, mode: number, bias: number, relu: number): void;
}
