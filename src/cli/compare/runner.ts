// Runs one optimizer on one prepared problem and records what happened, including what makes the
// comparison checkable: the weights the run started from and the batches it saw, in order.
// prepare() fixes both once per problem: the starting weights, and the fit() options every run
// trains with (epochs, batch size, shuffling and its seed), so every optimizer gets the same start
// and the same stream of batches. A data run trains through the library's own loop, model.fit();
// the batch order it records is fit's documented rule replayed (fitOrder below, checked against
// fit itself in test/compare.test.ts), since fit does not hand out its order.
import type { Kernels } from '../../index.js';
import { TrainingDivergedError } from '../../index.js';
import { Rng } from '../../util/rng.js';
import type { Problem, Dataset, SurfaceProblem, DataProblem } from './problems.js';
import { makeOptimizer, effectiveMomentum, type OptimizerName } from './optimizers.js';
import { fingerprint } from './fairness.js';

/** a loss this many times the starting loss counts as diverged, even while still finite */
export const DIVERGENCE_FACTOR = 1e6;

export interface RunSpec {
  optimizer: OptimizerName;
  learningRate: number;
  /** the comparison's momentum (gd ignores it, Adam keeps β₁ = 0.9) */
  momentum: number;
}

export interface Fairness {
  /** fingerprint of the weights the run started from, read back from wasm memory before the first step */
  initialWeights: string;
  /** fingerprint of the row indices of every batch the run trained on, in order; null for a surface (no data) */
  batches: string | null;
  /** batches (updates) the run consumed */
  batchCount: number;
}

export interface RunRecord {
  optimizer: OptimizerName;
  learningRate: number;
  /** the momentum the optimizer used (0 for gd, β₁ for Adam) */
  momentum: number;
  /** losses[t]: the loss after t updates (data problems: the batch loss of update t + 1), and last the
   *  loss on the whole training set after the final update */
  losses: number[];
  /** loss on the whole training set after the last update; Infinity when the run diverged */
  finalLoss: number;
  /** updates applied */
  steps: number;
  /** updates until the (smoothed) loss first reached the problem's target; null: never */
  stepsToTarget: number | null;
  diverged: boolean;
  /** the update (1-based) at which the run diverged */
  divergedAt: number | null;
  divergedReason: string | null;
  /** test accuracy after each epoch (classification problems) */
  testAccuracy: number[];
  bestTestAccuracy: number | null;
  /** the weights after each update, for problems of at most two weights (trajectories) */
  path: number[][] | null;
  fairness: Fairness;
  /** copies of the starting weights and every batch's row indices, concatenated, for direct checks */
  initialWeights: Float32Array[];
  batchIndices: Int32Array | null;
}

export interface Prepared {
  problem: Problem;
  seed: number;
  /** updates each run is given */
  steps: number;
  epochs: number | null;
  data: Dataset | null;
  /** starting weights shared by every run */
  initial: Float32Array[];
  /** what every data run passes to model.fit (null for a surface): the same options, so the same batches */
  fit: FitPlan | null;
  /** row indices of each update's batch, shared by every run: fitOrder(rows, fit) */
  plan: Int32Array[] | null;
}

/** the options of model.fit that decide which rows each batch holds */
export interface FitPlan {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  /** fit's `seed` option: the shuffling generator's seed, the same for every run */
  seed: number;
}

export interface PrepareOptions {
  seed: number;
  /** surfaces and full-batch problems */
  steps?: number;
  /** mini-batch problems */
  epochs?: number;
}

export async function prepare(k: Kernels, problem: Problem, options: PrepareOptions): Promise<Prepared> {
  const { seed } = options;
  if (problem.kind === 'surface') {
    const steps = options.steps ?? problem.steps;
    return { problem, seed, steps, epochs: null, data: null, initial: [Float32Array.from(problem.start)], fit: null, plan: null };
  }
  const data = await problem.load();
  let initial: Float32Array[] | undefined = data.initial?.map((a) => a.slice());
  if (!initial) {
    const m = k.sequential({ inputSize: data.inputSize, layers: data.layers, loss: data.loss, seed });
    initial = m.getWeights().map((w) => w.values);
    m.dispose();
  }
  const epochs = problem.length === 'steps' ? options.steps ?? problem.defaultLength : options.epochs ?? problem.defaultLength;
  // the shuffling seed differs from the initialisation's, so the two streams are unrelated
  const fit: FitPlan = { epochs, batchSize: data.batchSize, shuffle: data.shuffle, seed: (seed ^ 0x2545f491) >>> 0 };
  const plan = fitOrder(data.rows, fit);
  return { problem, seed, steps: plan.length, epochs: problem.length === 'epochs' ? epochs : null, data, initial, fit, plan };
}

/**
 * The row indices of every batch that model.fit(x, y, { epochs, batchSize, shuffle, seed }) trains
 * on, in order, for x of `rows` rows. This replays fit's rule (src/model/fit.ts): one generator,
 * new Rng(seed), for the whole call; each epoch starts from the identity order and, when
 * shuffling, Fisher-Yates-shuffles it with that generator (continuing across epochs); batch b of an
 * epoch is rows [b·batchSize, min((b + 1)·batchSize, rows)) of that order.
 */
export function fitOrder(rows: number, { epochs, batchSize, shuffle, seed }: FitPlan): Int32Array[] {
  const rng = new Rng(seed);
  const plan: Int32Array[] = [];
  for (let e = 0; e < epochs; e++) {
    const order = Int32Array.from({ length: rows }, (_, i) => i);
    if (shuffle) rng.shuffle(order);
    for (let s = 0; s < rows; s += batchSize) plan.push(order.subarray(s, Math.min(s + batchSize, rows)));
  }
  return plan;
}

/** Surfaces step at once; data runs train through model.fit, which is asynchronous. */
export async function run(k: Kernels, prepared: Prepared, spec: RunSpec): Promise<RunRecord> {
  return prepared.problem.kind === 'surface' ? runSurface(k, prepared, prepared.problem, spec) : runData(k, prepared, spec);
}

function blank(prepared: Prepared, spec: RunSpec): RunRecord {
  return {
    optimizer: spec.optimizer, learningRate: spec.learningRate, momentum: effectiveMomentum(spec.optimizer, spec.momentum),
    losses: [], finalLoss: Infinity, steps: 0, stepsToTarget: null, diverged: false, divergedAt: null, divergedReason: null,
    testAccuracy: [], bestTestAccuracy: null, path: null,
    fairness: { initialWeights: '', batches: null, batchCount: 0 }, initialWeights: [], batchIndices: null,
  };
}

function runSurface(k: Kernels, prepared: Prepared, problem: SurfaceProblem, spec: RunSpec): RunRecord {
  const rec = blank(prepared, spec);
  const opt = makeOptimizer(spec.optimizer, spec.learningRate, spec.momentum);
  const p = k.parameter(prepared.initial[0]!, `${problem.name}/point`);
  try {
    const start = p.value.slice();
    rec.initialWeights = [start];
    rec.fairness.initialWeights = fingerprint([start]);
    const g = new Float64Array(2);
    let [x, y] = [start[0]!, start[1]!];
    const f0 = problem.f(x, y);
    const limit = DIVERGENCE_FACTOR * f0;
    rec.losses.push(f0);
    rec.path = [[x, y]];
    for (let t = 0; t < prepared.steps; t++) {
      problem.grad(x, y, g);
      const grad = p.grad;
      grad[0] = g[0]!;
      grad[1] = g[1]!;
      try {
        opt.step([p]);
      } catch (e) {
        if (!(e instanceof TrainingDivergedError)) throw e;
        markDiverged(rec, t + 1, 'the update is not finite');
        break;
      }
      const v = p.value;
      x = v[0]!;
      y = v[1]!;
      const loss = problem.f(x, y);
      rec.steps = t + 1;
      if (!Number.isFinite(loss)) { markDiverged(rec, t + 1, `the loss is ${loss}`); break; }
      rec.losses.push(loss);
      rec.path.push([x, y]);
      if (loss > limit) { markDiverged(rec, t + 1, `the loss grew past ${DIVERGENCE_FACTOR.toExponential(0)} times its start`); break; }
    }
    if (!rec.diverged) rec.finalLoss = rec.losses[rec.losses.length - 1]!;
    rec.stepsToTarget = firstAtMost(rec.losses, problem.target, 1);
    return rec;
  } finally {
    p.dispose();
  }
}

async function runData(k: Kernels, prepared: Prepared, spec: RunSpec): Promise<RunRecord> {
  const problem = prepared.problem as DataProblem;
  const data = prepared.data!, plan = prepared.plan!, fit = prepared.fit!;
  const rec = blank(prepared, spec);
  const opt = makeOptimizer(spec.optimizer, spec.learningRate, spec.momentum);
  const model = k.sequential({ inputSize: data.inputSize, layers: data.layers, loss: data.loss, seed: prepared.seed });
  try {
    model.setWeights(prepared.initial);
    rec.initialWeights = model.getWeights().map((w) => w.values);
    rec.fairness.initialWeights = fingerprint(rec.initialWeights);
    const params = model.parameters();
    const weightCount = params.reduce((n, p) => n + p.size, 0);
    const snapshot = (): number[] => params.flatMap((p) => Array.from(p.value));
    if (weightCount <= 2) rec.path = [snapshot()];

    // the loss-growth rule ends the run after the batch that broke it: fit checks the signal before each batch
    const stop = new AbortController();
    let limit = Infinity, grew = false;
    let completedEpoch = 0; // the last epoch whose every batch trained (test accuracy is per whole epoch)
    const history = await model.fit(data.x, data.y, {
      ...fit,
      optimizer: opt,
      validationData: data.test ? [data.test.x, data.test.y] : undefined,
      onDivergence: 'stop',
      signal: stop.signal,
      onBatchEnd: ({ epoch, batch, batches, loss }) => {
        rec.steps++;
        rec.losses.push(loss);
        if (rec.path) rec.path.push(snapshot());
        if (rec.steps === 1) limit = DIVERGENCE_FACTOR * loss;
        if (loss > limit) { grew = true; stop.abort(); } else if (batch === batches) completedEpoch = epoch;
      },
      onEpochEnd: (epoch, logs) => {
        if (data.test && epoch === completedEpoch) rec.testAccuracy.push(logs.valAccuracy ?? NaN);
      },
    });
    if (grew) {
      markDiverged(rec, rec.steps, `the loss grew past ${DIVERGENCE_FACTOR.toExponential(0)} times its start`);
    } else if (history.diverged) {
      // a NaN/Infinity loss or update: fit stopped before applying step history.diverged.step
      markDiverged(rec, history.diverged.step, history.diverged.message);
    }
    // fit trained plan[0], plan[1], … in this order (fitOrder replays its rule); the run consumed the first rec.steps
    const trained = plan.slice(0, rec.steps);
    rec.batchIndices = new Int32Array(trained.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of trained) { rec.batchIndices.set(b, at); at += b.length; }
    rec.fairness.batches = fingerprint([rec.batchIndices]);
    rec.fairness.batchCount = rec.steps;
    if (!rec.diverged) {
      rec.finalLoss = model.evaluate(data.x, data.y).loss;
      if (!Number.isFinite(rec.finalLoss)) {
        markDiverged(rec, rec.steps, `the final loss is ${rec.finalLoss}`);
      } else {
        rec.losses.push(rec.finalLoss);
      }
    }
    if (rec.testAccuracy.length) rec.bestTestAccuracy = Math.max(...rec.testAccuracy);
    rec.stepsToTarget = firstAtMost(rec.losses, problem.target, problem.smoothing);
    return rec;
  } finally {
    model.dispose();
  }
}

function markDiverged(rec: RunRecord, step: number, reason: string): void {
  rec.diverged = true;
  rec.divergedAt = step;
  rec.divergedReason = reason;
  rec.finalLoss = Infinity;
}

/** trailing means over `window` losses (shorter at the start) */
export function smooth(losses: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < losses.length; i++) {
    sum += losses[i]!;
    if (i >= window) sum -= losses[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/** the first t whose trailing mean over a full window (or the whole run, if shorter) is at most target */
export function firstAtMost(losses: readonly number[], target: number, window: number): number | null {
  const w = Math.min(window, losses.length);
  const s = smooth(losses, w);
  for (let t = w - 1; t < s.length; t++) if (s[t]! <= target) return t;
  return null;
}
