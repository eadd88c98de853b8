// The training workloads, through the public API on the bundled MNIST digits:
//   W1  784-128 relu-10 softmax, batch 64, SGD lr 0.01 momentum 0.9 (trainBatch, and fit() against it)
//   W2  784-512 relu-512 relu-10 softmax, batch 256
//   W3  the seed's linear regression: one weight, no bias, X=[1,2,3,4], y=2x, MSE, full batch
// trainBatch runs over consecutive batches sliced before timing, so the timed loop allocates nothing.
// W1, W2 and W3 are timed in turns with TF.js's wasm backend on the same workload (ratesInTurns).
import { dense, SGD, type Kernels, type Sequential } from '../src/index.js';
import type { Digits, MnistSplit } from '../src/data/mnist.js';
import { median, timeInTurns, type TimeOptions } from './timing.js';
import type { Stepper } from './peers/tfjs.js';

const LR = 0.01;
const MOMENTUM = 0.9;
const SEED = 1;

export const W1 = { hidden: [128], batch: 64, label: 'W1 784-128-10, batch 64' } as const;
export const W2 = { hidden: [512, 512], batch: 256, label: 'W2 784-512-512-10, batch 256' } as const;
export const W3 = { label: 'W3 one weight, y = 2x, 4 samples' } as const;

function mlp(k: Kernels, hidden: readonly number[]): Sequential {
  return k.sequential({ inputSize: 784, layers: [...hidden.map((h) => dense(h, 'relu')), dense(10, 'softmax')], seed: SEED });
}

/** consecutive batches of `batch` digits, sliced once */
export function sliceBatches(d: Digits, batch: number): { x: Float32Array[]; y: Uint8Array[] } {
  const x: Float32Array[] = [], y: Uint8Array[] = [];
  for (let r = 0; r + batch <= d.rows; r += batch) {
    x.push(d.x.subarray(r * 784, (r + batch) * 784));
    y.push(d.y.subarray(r, r + batch));
  }
  return { x, y };
}

/** trainBatch steps of an MLP with these hidden relu layers, over consecutive batches */
export function mlpStepper(k: Kernels, w: { hidden: readonly number[]; batch: number }, train: Digits): Stepper {
  const model = mlp(k, w.hidden);
  const opt = new SGD({ learningRate: LR, momentum: MOMENTUM });
  const { x, y } = sliceBatches(train, w.batch);
  let i = 0;
  return {
    step: () => {
      model.trainBatch(x[i]!, y[i]!, opt);
      i = i + 1 === x.length ? 0 : i + 1;
    },
    perStep: w.batch,
    dispose: () => model.dispose(),
  };
}

/** trainBatch steps of the seed's one-weight linear regression, full batch */
export function linearStepper(k: Kernels): Stepper {
  const model = k.sequential({ inputSize: 1, layers: [dense(1, 'linear', { bias: false })], loss: 'mse', seed: SEED });
  const opt = new SGD({ learningRate: LR, momentum: MOMENTUM });
  const x = new Float32Array([1, 2, 3, 4]);
  const y = new Float32Array([2, 4, 6, 8]);
  return { step: () => { model.trainBatch(x, y, opt); }, perStep: 1, dispose: () => model.dispose() };
}

/**
 * Units per second (samples, or steps for the founding example) of several steppers, repetitions
 * taken in turns (timing.ts: timeInTurns): ours on each build and a peer's, so their ratio is not
 * at the mercy of what else the machine was doing when each was measured.
 */
export function ratesInTurns(steppers: readonly Stepper[], o: TimeOptions): { rate: number; spread: number }[] {
  try {
    const t = timeInTurns(steppers.map((s) => s.step), o);
    return t.map((ti, i) => ({ rate: steppers[i]!.perStep / ti.seconds, spread: ti.spread }));
  } finally {
    for (const s of steppers) s.dispose();
  }
}

/** What fitAgainstTrainBatch measured: medians over the counted fits */
export interface FitTiming {
  /** training rows a second of fit alone (its data copy, shuffle, gather and bookkeeping included) */
  samplesPerSec: number;
  /** (slowest - fastest) / median of fit's own time over the counted fits */
  spread: number;
  /** trainBatch's time over as many batches / fit's own time: 1 would be a fit that costs nothing beyond its steps */
  vsTrainBatch: number;
  fitMsPerEpoch: number;
  trainBatchMsPerEpoch: number;
}

/**
 * W1's fit() against trainBatch, step by step: after each of fit's batches (onBatchEnd) a twin
 * model takes one trainBatch step on a consecutive batch of the same size, timed apart, so both run
 * in the same moments of this shared machine; fit's own time is the fit's wall time less the twin's
 * steps. Each fit includes its one copy of the dataset into wasm memory and its check. The first
 * `warmupCalls` fits (default 1) are not counted, then `reps` fits.
 */
export async function fitAgainstTrainBatch(k: Kernels, train: Digits, epochs: number, o: Pick<TimeOptions, 'reps' | 'warmupCalls'>): Promise<FitTiming> {
  const model = mlp(k, W1.hidden), twin = mlp(k, W1.hidden);
  const optimizer = new SGD({ learningRate: LR, momentum: MOMENTUM }), twinOpt = new SGD({ learningRate: LR, momentum: MOMENTUM });
  const { x, y } = sliceBatches(train, W1.batch);
  let twinMs = 0, j = 0;
  const onBatchEnd = () => {
    const t = performance.now();
    twin.trainBatch(x[j]!, y[j]!, twinOpt);
    twinMs += performance.now() - t;
    j = j + 1 === x.length ? 0 : j + 1;
  };
  const warm = o.warmupCalls ?? 1, fits: number[] = [], twins: number[] = [], ratios: number[] = [];
  try {
    for (let r = 0; r < warm + o.reps; r++) {
      twinMs = 0;
      const t0 = performance.now();
      await model.fit(train.x, train.y, { epochs, batchSize: W1.batch, optimizer, onBatchEnd });
      const fitMs = performance.now() - t0 - twinMs;
      if (r < warm) continue;
      fits.push(fitMs / epochs); twins.push(twinMs / epochs); ratios.push(twinMs / fitMs);
    }
  } finally {
    model.dispose(); twin.dispose();
  }
  const fitMs = median(fits);
  return {
    samplesPerSec: train.rows / (fitMs / 1000), spread: (Math.max(...fits) - Math.min(...fits)) / fitMs,
    vsTrainBatch: median(ratios), fitMsPerEpoch: fitMs, trainBatchMsPerEpoch: median(twins),
  };
}

/** W1 test accuracy after 5 epochs at lr 0.01, momentum 0.9, batch 64, seed 1 */
export async function w1Accuracy(k: Kernels, data: MnistSplit): Promise<number> {
  const model = mlp(k, W1.hidden);
  try {
    await model.fit(data.train.x, data.train.y, {
      epochs: 5, batchSize: W1.batch, seed: SEED, optimizer: new SGD({ learningRate: LR, momentum: MOMENTUM }),
    });
    const r = model.evaluate(data.test.x, data.test.y);
    return r.accuracy ?? NaN;
  } finally {
    model.dispose();
  }
}
