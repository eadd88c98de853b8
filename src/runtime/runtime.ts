// The narrow view of one kernels instance that everything below the facade works with: the
// module's exports, its memory arena and the GEMM packing space. Nothing below src/kernels.ts
// imports the facade (loadKernels / Kernels); they take a Runtime.
import type { KernelExports } from './abi.js';
import type { Arena, Block } from './memory.js';

export interface Runtime {
  readonly exports: KernelExports;
  readonly arena: Arena;
  /** GEMM packing space, shared by every model of this instance (kernels run one at a time) */
  readonly scratch: Block;
}
