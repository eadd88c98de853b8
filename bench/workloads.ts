// The training workloads, through the public API on the bundled MNIST digits:
//   W1  784-128 relu-10 softmax, batch 64, SGD lr 0.01 momentum 0.9 (trainBatch, and one fit() epoch)
//   W2  784-512 relu-512 relu-10 softmax, batch 256
//   W3  the seed's linear regression: one weight, no bias, X=[1,2,3,4], y=2x, MSE, full batch
// trainBatch runs over consecutive batches sliced before timing, so the timed loop allocates nothing.
// W1, W2 and W3 are timed in turns with TF.js's wasm backend on the same workload (ratesInTurns).
import { dense, SGD, type Kernels, type Sequential } from '../src/index.js';
import type { Digits, MnistSplit } from '../src/data/mnist.js';
import { timeAsync, timeInTurns, type TimeOptions } from './timing.js';
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

function sliceBatches(d: Digits, batch: number): { x: Float32Array[]; y: Uint8Array[] } {
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

/** samples/s of one whole fit() epoch of W1 over the training set (shuffle and gather included) */
export async function fitEpochRate(k: Kernels, train: Digits, o: TimeOptions): Promise<{ samplesPerSec: number; spread: number }> {
  const model = mlp(k, W1.hidden);
  const optimizer = new SGD({ learningRate: LR, momentum: MOMENTUM });
  try {
    const t = await timeAsync(() => model.fit(train.x, train.y, { epochs: 1, batchSize: W1.batch, optimizer }), o);
    return { samplesPerSec: train.rows / t.seconds, spread: t.spread };
  } finally {
    model.dispose();
  }
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
