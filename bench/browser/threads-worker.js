// esbuild entry of bench/browser-threads.ts's module worker: for each workload, one kernels instance
// per thread count, trainBatch steps in turns (rounds of about `repMs` each), samples/s per
// repetition posted back. Random inputs: the step's cost does not depend on the digits.
import { loadKernels, conv2d, dense, flatten, maxPool2d, SGD } from 'momentum-wasm';

const WORKLOADS = {
  'CNN (the CLI\'s), batch 64': { batch: 64, inputShape: [28, 28, 1], layers: () => [conv2d(16, 5, 'relu', { padding: 'same' }), maxPool2d(2), conv2d(32, 5, 'relu'), maxPool2d(2), flatten(), dense(120, 'relu'), dense(84, 'relu'), dense(10, 'softmax')] },
  'LeNet-5 (the bench\'s CNN), batch 64': { batch: 64, inputShape: [28, 28, 1], layers: () => [conv2d(6, 5, 'relu', { padding: 'same' }), maxPool2d(2), conv2d(16, 5, 'relu'), maxPool2d(2), flatten(), dense(120, 'relu'), dense(84, 'relu'), dense(10, 'softmax')] },
  'W1 784-128-10, batch 64': { batch: 64, inputShape: [784], layers: () => [dense(128, 'relu'), dense(10, 'softmax')] },
  'W2 784-512-512-10, batch 256': { batch: 256, inputShape: [784], layers: () => [dense(512, 'relu'), dense(512, 'relu'), dense(10, 'softmax')] },
};

self.onmessage = async (e) => {
  const { counts, rounds, repMs } = e.data;
  const ks = [];
  for (const threads of counts) ks.push(await loadKernels({ threads }));
  const rows = [];
  for (const [name, w] of Object.entries(WORKLOADS)) {
    const x = new Float32Array(w.batch * 784), y = new Int32Array(w.batch);
    for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 256) / 255;
    for (let i = 0; i < y.length; i++) y[i] = i % 10;
    const models = ks.map((k) => ({ model: k.sequential({ inputShape: w.inputShape, layers: w.layers(), seed: 1 }), opt: new SGD({ learningRate: 0.01, momentum: 0.9 }) }));
    const rates = counts.map(() => []);
    for (let r = -1; r < rounds; r++) { // round -1: warm-up
      for (let j = 0; j < models.length; j++) {
        const m = models[(r + 1) % 2 === 0 ? j : models.length - 1 - j];
        const t0 = performance.now();
        let steps = 0;
        while (performance.now() - t0 < repMs) { m.model.trainBatch(x, y, m.opt); steps++; }
        if (r >= 0) rates[models.indexOf(m)].push((steps * w.batch * 1000) / (performance.now() - t0));
      }
    }
    for (const m of models) m.model.dispose();
    rows.push({ workload: name, rates });
  }
  self.postMessage({
    crossOriginIsolated: self.crossOriginIsolated === true, hardwareConcurrency: navigator.hardwareConcurrency,
    threads: ks.map((k) => k.features.threads), reasons: ks.map((k) => k.features.threadsReason), rows,
  });
  for (const k of ks) k.dispose();
};
