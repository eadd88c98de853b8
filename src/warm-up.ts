// The warm-up loadKernels runs before it returns: a few steps of two throwaway models, the ones a
// first script is most likely to train (a softmax classifier and the founding document's linear
// regression). Nothing in an engine is compiled before its first call: each wasm kernel is
// compiled on its first call (the GEMM alone takes about 0.3 ms here), and each JavaScript
// function on its first run. Done at load, inside the await the caller is making anyway (a few
// milliseconds of a load that takes a hundred or more), the user's own first steps run at once
// on compiled code. The models and their memory are freed; the instance is left as it was.
import type { Sequential, SequentialConfig } from './model/sequential.js';
import { dense } from './layers/dense.js';
import { SGD } from './optim/sgd.js';

/** Steps of each model. V8 gives a function its inline caches (its feedback vector) only once it
 *  has run about eight times its bytecode's length (--interrupt-budget-factor-for-feedback-allocation=8);
 *  until then each property access is a generic lookup. Measured here: after two warm-up steps a
 *  new model's first ten steps averaged 45-95 µs, after ten 12-40 µs; the founding regression's
 *  first 200 steps (bench/lean-step.ts) 2.7-3.2 ms against 2.1-2.4 ms; the warm-up itself 6.2 ms
 *  against 7.4 ms (medians of 9 processes). So this moves about a millisecond into the load. */
const WARM_UP_STEPS = 10;

/** `sequential`: the instance's model factory (k.sequential) */
export function warmUp(sequential: (config: SequentialConfig) => Sequential): void {
  const classifier = sequential({ inputSize: 16, layers: [dense(16, 'relu'), dense(2, 'softmax')], seed: 1 });
  const regression = sequential({ inputSize: 1, layers: [dense(1, 'linear', { bias: false })], loss: 'mse', seed: 1 });
  try {
    const sgd = new SGD({ learningRate: 0.01, momentum: 0.9 });
    const x = new Float32Array(4 * 16).fill(0.5), labels = Int32Array.of(0, 1, 0, 1);
    const rx = Float32Array.of(1, 2, 3, 4), ry = Float32Array.of(2, 4, 6, 8);
    for (let s = 0; s < WARM_UP_STEPS; s++) {
      classifier.trainBatch(x, labels, sgd);
      regression.trainBatch(rx, ry, sgd);
    }
    classifier.predict(x);
    sgd.dispose();
  } finally {
    classifier.dispose();
    regression.dispose();
  }
}
