// --grid: heavy-ball momentum swept over learning rate × momentum on a problem with a constant
// Hessian, where theory says exactly which cells converge. On a quadratic with Hessian eigenvalue λ,
// the seed's update (v = βv − lr·g, w += v) multiplies each eigen-direction's (w, v) by a 2×2 matrix
// with trace 1 + β − lr·λ and determinant β: both roots lie inside the unit circle exactly when
// 0 < lr·λ < 2(1 + β). So the largest eigenvalue sets the edge: lr = 2(1 + β)/λmax.
import type { Kernels } from '../../index.js';
import { InvalidArgumentError } from '../../index.js';
import type { ProblemName } from './problems.js';
import { run, type Prepared } from './runner.js';

export interface GridCell {
  learningRate: number;
  momentum: number;
  finalLoss: number;
  diverged: boolean;
  divergedAt: number | null;
}

export interface GridResult {
  problem: ProblemName;
  title: string;
  optimizer: 'momentum';
  lambdaMax: number;
  steps: number;
  initialLoss: number;
  /** columns, increasing (log-spaced) */
  learningRates: number[];
  /** rows, increasing */
  momenta: number[];
  /** cells[row][column]: rows are momenta, columns learning rates */
  cells: GridCell[][];
}

/** β = 0, 0.05, …, 0.95 */
export const GRID_MOMENTA: readonly number[] = Array.from({ length: 20 }, (_, i) => Math.round(i * 5) / 100);

/** lr·λmax from 0.1 to 10, log-spaced: the bound 2(1 + β) runs from 2 to 3.9 in the middle */
export function gridLearningRates(lambdaMax: number, count = 25): number[] {
  return Array.from({ length: count }, (_, i) => (0.1 * Math.pow(100, i / (count - 1))) / lambdaMax);
}

/** the largest stable learning rate of heavy-ball momentum on a quadratic */
export function stabilityBound(lambdaMax: number, momentum: number): number {
  return (2 * (1 + momentum)) / lambdaMax;
}

export async function sweep(k: Kernels, prepared: Prepared, options: { learningRates?: number[]; momenta?: readonly number[] } = {}): Promise<GridResult> {
  const problem = prepared.problem;
  const lambdaMax = problem.lambdaMax;
  if (lambdaMax === undefined) throw new InvalidArgumentError('grid', 'a problem with a constant Hessian (ravine, linear)', problem.name);
  const learningRates = options.learningRates ?? gridLearningRates(lambdaMax);
  const momenta = (options.momenta ?? GRID_MOMENTA).slice();
  let initialLoss = NaN;
  const cells: GridCell[][] = [];
  for (const momentum of momenta) {
    const row: GridCell[] = [];
    for (const learningRate of learningRates) {
      const r = await run(k, prepared, { optimizer: 'momentum', learningRate, momentum });
      initialLoss = r.losses[0] ?? initialLoss;
      row.push({ learningRate, momentum, finalLoss: r.finalLoss, diverged: r.diverged, divergedAt: r.divergedAt });
    }
    cells.push(row);
  }
  return { problem: problem.name, title: problem.title, optimizer: 'momentum', lambdaMax, steps: prepared.steps, initialLoss, learningRates, momenta, cells };
}
