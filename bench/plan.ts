// How long each measurement runs: the full run (under ~6 minutes on 2 busy cores) and --quick.
import type { TimeOptions } from './timing.js';
import { GEMM_SHAPES, QUICK_SHAPES, TFJS_SHAPES, type GemmOptions, type Shape } from './gemm.js';

export interface Plan {
  peak: { repMs: number; reps: number };
  gemm: GemmOptions;
  w1: TimeOptions;
  /** whole fits, each against a twin's trainBatch (workloads.ts: fitAgainstTrainBatch) */
  fitEpoch: Pick<TimeOptions, 'reps' | 'warmupCalls'>;
  w2: TimeOptions;
  w3: TimeOptions;
  accuracy: boolean;
  tfjs: { backends: ('wasm' | 'cpu')[]; gemmShapes: readonly Shape[]; reps?: number };
  /** the CNN (bench/cnn.ts): ours' repetitions (reps = the rounds), each followed by a peak probe of
   *  probeMs; each slow peer's (ConvNetJS, TF.js cpu) timed milliseconds in all, after one warm-up
   *  step, with at least peerMinReps repetitions of whole steps */
  cnn: { ours: TimeOptions; probeMs: number; peerBudgetMs: number; peerMinReps: number };
  /** the conv layers alone (bench/conv-layers.ts), timed like the GEMMs */
  conv: Omit<GemmOptions, 'shapes'>;
}

export const FULL: Plan = {
  peak: { repMs: 200, reps: 9 },
  gemm: { shapes: GEMM_SHAPES, repMs: 100, reps: 7, warmupMs: 60, probeMs: 50 },
  w1: { repMs: 200, reps: 9, warmupMs: 300 },
  fitEpoch: { reps: 7, warmupCalls: 2 },
  w2: { repMs: 250, reps: 7, warmupMs: 300 },
  w3: { repMs: 100, reps: 9, warmupMs: 200 },
  accuracy: true,
  tfjs: { backends: ['wasm', 'cpu'], gemmShapes: TFJS_SHAPES },
  cnn: { ours: { repMs: 200, reps: 7, warmupMs: 300 }, probeMs: 50, peerBudgetMs: 10_000, peerMinReps: 3 },
  conv: { repMs: 100, reps: 7, warmupMs: 60, probeMs: 50 },
};

export const QUICK: Plan = {
  peak: { repMs: 100, reps: 5 },
  gemm: { shapes: QUICK_SHAPES, repMs: 40, reps: 5, warmupMs: 30, probeMs: 20 },
  w1: { repMs: 100, reps: 5, warmupMs: 150 },
  fitEpoch: { reps: 3, warmupCalls: 1 },
  w2: { repMs: 100, reps: 5, warmupMs: 150 },
  w3: { repMs: 50, reps: 5, warmupMs: 100 },
  accuracy: false,
  tfjs: { backends: ['wasm'], gemmShapes: TFJS_SHAPES.slice(0, 1), reps: 3 },
  cnn: { ours: { repMs: 100, reps: 5, warmupMs: 150 }, probeMs: 20, peerBudgetMs: 2_000, peerMinReps: 1 },
  conv: { repMs: 40, reps: 5, warmupMs: 30, probeMs: 20 },
};
