// The training the threads tests compare: plain JavaScript, so esbuild bundles it for the page's
// worker and Node runs the very same code (threads-node-reference.mjs). An MLP and a CNN whose
// GEMMs are large enough to be split among threads (test/browser/threads.once.test.ts checks that
// with splitGemm), a few steps each; float32 results come back as bit patterns.

import { bits, inputs } from './scenario.js';

export const MLP = { inputSize: 400, hidden: 256, classes: 10, batch: 64, steps: 6 };
export const CNN = { shape: [16, 16, 3], batch: 32, steps: 4 };

function run(model, optimizer, x, y, batch, steps) {
  const rows = y.length, f = x.length / rows;
  const losses = [];
  for (let s = 0; s < steps; s++) {
    const r0 = ((s % 2) * batch) % (rows - batch + 1);
    losses.push(model.trainBatch(x.subarray(r0 * f, (r0 + batch) * f), y.subarray(r0, r0 + batch), optimizer));
  }
  return {
    losses: bits(Float32Array.from(losses)),
    lossValues: losses,
    weights: model.getWeights().map((w) => ({ name: w.name, bits: bits(w.values) })),
    predictions: bits(model.predict(x.subarray(0, batch * f))),
  };
}

/**
 * Loads the kernels with `loadOptions` (threads, simd) and trains both models.
 * @param mw the package's module namespace (import * as mw from 'momentum-wasm')
 */
export async function trainWithThreads(mw, loadOptions) {
  const k = await mw.loadKernels(loadOptions);
  try {
    const mrows = 2 * MLP.batch;
    const mx = inputs(mrows, MLP.inputSize);
    const my = Uint8Array.from({ length: mrows }, (_, i) => (i * 7) % MLP.classes);
    const mlp = k.sequential({
      inputSize: MLP.inputSize, layers: [mw.dense(MLP.hidden, 'relu'), mw.dense(MLP.classes, 'softmax')], seed: 11,
    });
    const mlpResult = run(mlp, new mw.SGD({ learningRate: 0.05, momentum: 0.9 }), mx, my, MLP.batch, MLP.steps);
    mlp.dispose();

    const crows = 2 * CNN.batch;
    const [h, w, c] = CNN.shape;
    const cx = inputs(crows, h * w * c);
    const cy = Uint8Array.from({ length: crows }, (_, i) => (i * 3) % 10);
    const cnn = k.sequential({
      inputShape: CNN.shape,
      layers: [mw.conv2d(16, 3, 'relu', { padding: 'same' }), mw.maxPool2d(2), mw.conv2d(32, 3, 'relu'), mw.flatten(), mw.dense(10, 'softmax')],
      seed: 5,
    });
    const cnnResult = run(cnn, new mw.SGD({ learningRate: 0.02, momentum: 0.9, nesterov: true }), cx, cy, CNN.batch, CNN.steps);
    cnn.dispose();

    return {
      features: { ...k.features },
      // workers besides this thread (an internal getter; absent where no pool runs)
      poolSize: k.threadPool ? k.threadPool.size : 0,
      mlp: mlpResult,
      cnn: cnnResult,
    };
  } finally {
    k.dispose();
  }
}

/** errors become data, so a page can post them back */
export function asData(promise) {
  return promise.catch((e) => ({ error: { name: e?.name, message: e?.message ?? String(e) } }));
}
