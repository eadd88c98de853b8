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
 *  until then each property access is a generic lookup. `npx tsx bench/warm-up.ts --steps 0,2,10`
 *  here: the warm-up 6.1 ms with two steps, 7.9 ms with ten; then a new model's first ten steps 42
 *  against 19 µs a step, the founding regression's build and first 200 steps 2.6 against 1.6 ms.
 *  So this moves a millisecond or two into the load, where the caller is waiting anyway. */
export const WARM_UP_STEPS = 10;

/** `sequential`: the instance's model factory (k.sequential); `steps`: other counts for bench/warm-up.ts only */
export function warmUp(sequential: (config: SequentialConfig) => Sequential, steps = WARM_UP_STEPS): void {
  const classifier = sequential({ inputSize: 16, layers: [dense(16, 'relu'), dense(2, 'softmax')], seed: 1 });
  const regression = sequential({ inputSize: 1, layers: [dense(1, 'linear', { bias: false })], loss: 'mse', seed: 1 });
  try {
    const sgd = new SGD({ learningRate: 0.01, momentum: 0.9 });
    const x = new Float32Array(4 * 16).fill(0.5), labels = Int32Array.of(0, 1, 0, 1);
    const rx = Float32Array.of(1, 2, 3, 4), ry = Float32Array.of(2, 4, 6, 8);
    for (let s = 0; s < steps; s++) {
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
