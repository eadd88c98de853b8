// The runs the browser tests compare with Node: plain JavaScript, so a browser can import it as is
// (no-bundler page), esbuild can bundle it, and Node runs the very same code (node-reference.mjs).
// Float32 results come back as their bit patterns, so "identical" means bitwise.

/** bit patterns of a Float32Array */
export function bits(f32) {
  return Array.from(new Uint32Array(f32.buffer.slice(f32.byteOffset, f32.byteOffset + f32.byteLength)));
}

/** deterministic inputs, exact in float32: multiples of 1/128 in [-1, 1) */
export function inputs(rows, cols) {
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 7919 + 13) % 256) / 128 - 1;
  return x;
}

/**
 * @param mw the package's module namespace (import * as mw from 'momentum-wasm')
 * @param loadOptions passed to mw.loadKernels
 */
export async function runScenario(mw, loadOptions) {
  const k = await mw.loadKernels(loadOptions);

  // the founding document's linear regression: y = 2x, one weight from 0, MSE,
  // SGD lr 0.01 momentum 0.9, 200 full-batch steps
  const lin = k.sequential({ inputSize: 1, layers: [mw.dense(1, 'linear', { bias: false })], loss: 'mse', seed: 3 });
  lin.setWeights([Float32Array.from([0])]);
  const sgd = new mw.SGD({ learningRate: 0.01, momentum: 0.9 });
  const x = Float32Array.from([1, 2, 3, 4]);
  const y = Float32Array.from([2, 4, 6, 8]);
  let firstLoss = NaN;
  for (let step = 0; step < 200; step++) {
    const loss = lin.trainBatch(x, y, sgd);
    if (step === 0) firstLoss = loss;
  }
  const weight = lin.getWeights()[0].values[0];
  // ONNX export needs onnx-proto, which the library loads with import(): in bundles and in Node it
  // is there; a page that loads the library through an import map alone does not have it
  let onnx;
  try {
    onnx = { bytes: lin.save({ format: 'onnx' }).length };
  } catch (e) {
    onnx = { error: e?.name, message: e?.message };
  }
  lin.dispose();

  // a small model, sizes off the SIMD width and the GEMM tiles: a few Nesterov steps by hand,
  // then two epochs of fit() with seeded shuffling
  const rows = 24, cols = 37;
  const sx = inputs(rows, cols);
  const sy = Uint8Array.from({ length: rows }, (_, i) => (i * 3) % 5);
  const model = k.sequential({
    inputSize: cols,
    layers: [mw.dense(19, 'relu'), mw.dense(11, 'tanh'), mw.dense(5, 'softmax')],
    seed: 42,
  });
  const initial = model.getWeights().map((w) => bits(w.values));
  const nesterov = new mw.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
  const stepLosses = [];
  for (let i = 0; i < 3; i++) stepLosses.push(model.trainBatch(sx, sy, nesterov));
  const history = await model.fit(sx, sy, {
    epochs: 2, batchSize: 5, seed: 7, optimizer: new mw.SGD({ learningRate: 0.05, momentum: 0.9 }),
  });
  const small = {
    initial,
    stepLosses: bits(Float32Array.from(stepLosses)),
    fitLosses: history.loss,
    weights: model.getWeights().map((w) => ({ name: w.name, bits: bits(w.values) })),
    predictions: bits(model.predict(sx)),
  };
  model.dispose();

  // a small CNN with every layer type: conv ('same' stride 2 and 'valid'), batch norm, both pools,
  // flatten, dropout; Adam steps, then predictions in inference mode
  const cnn = k.sequential({
    inputShape: [9, 8, 2],
    layers: [mw.conv2d(4, 3, 'relu', { stride: 2, padding: 'same' }), mw.batchNorm(), mw.maxPool2d(2, { stride: 1 }),
      mw.conv2d(3, [2, 1], 'tanh'), mw.avgPool2d(2), mw.flatten(), mw.dropout(0.25), mw.dense(5, 'softmax')],
    seed: 9,
  });
  const cx = inputs(6, 9 * 8 * 2);
  const cy = Uint8Array.from({ length: 6 }, (_, i) => (i * 2) % 5);
  const adam = new mw.Adam({ learningRate: 0.01 });
  const cnnLosses = [];
  for (let i = 0; i < 4; i++) cnnLosses.push(cnn.trainBatch(cx, cy, adam));
  const conv = {
    losses: bits(Float32Array.from(cnnLosses)),
    weights: cnn.getWeights().map((w) => ({ name: w.name, bits: bits(w.values) })),
    predictions: bits(cnn.predict(cx)),
  };
  cnn.dispose();

  return { features: { ...k.features }, linear: { weight, firstLoss }, small, conv, onnx };
}

/** runs the scenario on the default build ('auto') and on plain SIMD; errors become data */
export async function runBoth(mw, extra = () => ({})) {
  const run = (simd) =>
    runScenario(mw, { simd, ...extra(simd) }).catch((e) => ({ error: { name: e?.name, message: e?.message ?? String(e) } }));
  return { auto: await run('auto'), plain: await run('plain') };
}
