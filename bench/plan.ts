// How long each measurement runs: the full run (under ~6 minutes on 2 busy cores) and --quick.
import type { TimeOptions } from './timing.js';
import { GEMM_SHAPES, QUICK_SHAPES, TFJS_SHAPES, type GemmOptions, type Shape } from './gemm.js';

export interface Plan {
  peak: { repMs: number; reps: number };
  gemm: GemmOptions;
  w1: TimeOptions;
  fitEpoch: TimeOptions;
  w2: TimeOptions;
  w3: TimeOptions;
  accuracy: boolean;
  tfjs: { backends: ('wasm' | 'cpu')[]; gemmShapes: readonly Shape[]; reps?: number };
}

export const FULL: Plan = {
  peak: { repMs: 200, reps: 9 },
  gemm: { shapes: GEMM_SHAPES, repMs: 100, reps: 7, warmupMs: 60, probeMs: 50 },
  w1: { repMs: 200, reps: 9, warmupMs: 300 },
  fitEpoch: { repMs: 0, reps: 7, warmupMs: 0, warmupCalls: 2 },
  w2: { repMs: 250, reps: 7, warmupMs: 300 },
  w3: { repMs: 100, reps: 9, warmupMs: 200 },
  accuracy: true,
  tfjs: { backends: ['wasm', 'cpu'], gemmShapes: TFJS_SHAPES },
};

export const QUICK: Plan = {
  peak: { repMs: 100, reps: 5 },
  gemm: { shapes: QUICK_SHAPES, repMs: 40, reps: 5, warmupMs: 30, probeMs: 20 },
  w1: { repMs: 100, reps: 5, warmupMs: 150 },
  fitEpoch: { repMs: 0, reps: 3, warmupMs: 0, warmupCalls: 1 },
  w2: { repMs: 100, reps: 5, warmupMs: 150 },
  w3: { repMs: 50, reps: 5, warmupMs: 100 },
  accuracy: false,
  tfjs: { backends: ['wasm'], gemmShapes: TFJS_SHAPES.slice(0, 1), reps: 3 },
};
