// The comparison itself: every optimizer on the same prepared problem (same start, same batches),
// at the same learning rate, or with --tune each searching the same small grid and keeping its best.
import type { Kernels } from '../../index.js';
import { PROBLEMS, type Problem, type ProblemName } from './problems.js';
import { takesMomentum, type OptimizerName } from './optimizers.js';
import { prepare, run, type Prepared, type RunRecord } from './runner.js';
import { sweep, type GridResult } from './grid.js';
import { common } from './fairness.js';

/** --tune: each optimizer tries the problem's learning rate times these … */
export const TUNE_LR_FACTORS = [1 / 30, 1 / 10, 1 / 3, 1, 3, 10] as const;
/** … and, for momentum and Nesterov, each of these momenta */
export const TUNE_MOMENTA = [0.5, 0.9, 0.99] as const;

export interface CompareOptions {
  problems: readonly ProblemName[];
  optimizers: readonly OptimizerName[];
  /** overrides every problem's default */
  learningRate?: number;
  momentum?: number;
  /** surfaces and full-batch problems */
  steps?: number;
  /** mini-batch problems (mnist) */
  epochs?: number;
  seed: number;
  tune?: boolean;
  /** sweep lr × momentum on these problems (those with a constant Hessian: ravine, linear) */
  grid?: readonly ProblemName[];
  /** progress messages (long runs) */
  onProgress?: (message: string) => void;
}

export interface Trial {
  learningRate: number;
  momentum: number;
  finalLoss: number;
  diverged: boolean;
}

export interface ProblemResult {
  problem: Problem;
  seed: number;
  steps: number;
  epochs: number | null;
  /** the learning rate and momentum every optimizer got (with --tune: the centre of the grid) */
  learningRate: number;
  momentum: number;
  tuned: boolean;
  /** one run per optimizer: with --tune, its best trial */
  runs: RunRecord[];
  /** with --tune, every trial per optimizer (same order as runs) */
  trials: Trial[][] | null;
  /** the shared fingerprints, or null where runs differ (diverged runs stop early: batches compare
   *  the runs that finished, and a diverged run's batches must be a prefix of theirs) */
  fairness: { initialWeights: string | null; batches: string | null; sameBatches: boolean };
}

export interface Report {
  seed: number;
  optimizers: OptimizerName[];
  tuned: boolean;
  simd: 'plain' | 'relaxed';
  problems: ProblemResult[];
  grids: GridResult[];
}

export async function compare(k: Kernels, options: CompareOptions): Promise<Report> {
  const problems: ProblemResult[] = [];
  const grids: GridResult[] = [];
  for (const name of options.problems) {
    const problem = PROBLEMS[name];
    options.onProgress?.(`${name}: preparing`);
    const prepared = await prepare(k, problem, { seed: options.seed, steps: options.steps, epochs: options.epochs });
    problems.push(await compareOn(k, prepared, options));
    if (options.grid?.includes(name)) {
      options.onProgress?.(`${name}: sweeping learning rate × momentum`);
      grids.push(await sweep(k, prepared));
    }
  }
  return {
    seed: options.seed, optimizers: options.optimizers.slice(), tuned: options.tune ?? false,
    simd: k.features.relaxedSimd ? 'relaxed' : 'plain', problems, grids,
  };
}

export async function compareOn(k: Kernels, prepared: Prepared, options: Omit<CompareOptions, 'problems' | 'seed'>): Promise<ProblemResult> {
  const problem = prepared.problem;
  const learningRate = options.learningRate ?? problem.learningRate;
  const momentum = options.momentum ?? problem.momentum;
  const runs: RunRecord[] = [];
  const trials: Trial[][] = [];
  for (const optimizer of options.optimizers) {
    if (!options.tune) {
      options.onProgress?.(`${problem.name}: ${optimizer}`);
      runs.push(await run(k, prepared, { optimizer, learningRate, momentum }));
      continue;
    }
    const mine: Trial[] = [];
    let best: RunRecord | null = null;
    const momenta = takesMomentum(optimizer) ? TUNE_MOMENTA : [momentum];
    for (const f of TUNE_LR_FACTORS) {
      for (const m of momenta) {
        const lr = learningRate * f;
        options.onProgress?.(`${problem.name}: tuning ${optimizer} (${mine.length + 1}/${TUNE_LR_FACTORS.length * momenta.length})`);
        const r = await run(k, prepared, { optimizer, learningRate: lr, momentum: m });
        mine.push({ learningRate: r.learningRate, momentum: r.momentum, finalLoss: r.finalLoss, diverged: r.diverged });
        if (best === null || better(r, best)) best = r;
      }
    }
    runs.push(best!);
    trials.push(mine);
  }
  return {
    problem, seed: prepared.seed, steps: prepared.steps, epochs: prepared.epochs, learningRate, momentum,
    tuned: options.tune ?? false, runs, trials: options.tune ? trials : null, fairness: fairnessOf(runs),
  };
}

/** lower final loss wins; at equal loss (both exact, say), fewer steps to the target */
function better(a: RunRecord, b: RunRecord): boolean {
  if (a.diverged) return false;
  if (b.diverged || a.finalLoss < b.finalLoss) return true;
  return a.finalLoss === b.finalLoss && (a.stepsToTarget ?? Infinity) < (b.stepsToTarget ?? Infinity);
}

function fairnessOf(runs: readonly RunRecord[]): ProblemResult['fairness'] {
  const initialWeights = common(runs.map((r) => r.fairness.initialWeights));
  if (runs.every((r) => r.batchIndices === null)) return { initialWeights, batches: null, sameBatches: true }; // surfaces: no data
  const finished = runs.filter((r) => !r.diverged);
  const batches = common(finished.map((r) => r.fairness.batches));
  let sameBatches = finished.length === 0 || batches !== null;
  const full = finished[0]?.batchIndices;
  if (sameBatches && full) {
    for (const r of runs) {
      const mine = r.batchIndices;
      if (!mine || mine.length > full.length || mine.some((v, i) => v !== full[i])) sameBatches = false;
    }
  }
  return { initialWeights, batches, sameBatches };
}
