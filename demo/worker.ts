// The demo's training worker: loads the kernels and the digits, trains on request, reports
// losses, test accuracy and predictions to the page, and reads the drawing pad's digit with the
// latest weights (pad-model.ts). Training here keeps the page responsive, and here (not on the
// page's main thread, which may not block in Atomics.wait) the kernels can run on every core when
// the page is cross-origin isolated (demo/serve.ts sends the headers that make it so).
import { loadKernels, relaxedSimdSupported, SGD, stepDecay, type Kernels, type Sequential } from '../src/index.js';
import { decodeMnist, DIGITS_FILE, type MnistFile } from './mnist-format.js';
import { fetchDigits } from './fetch-digits.js';
import { modelConfig } from './models.js';
import { PadModel } from './pad-model.js';
import type { FromWorker, PredictedBy, RunConfig, RunInfo, ToWorker } from './protocol.js';

const GRID = 40; // test digits shown with their predictions
const POINTS_PER_EPOCH = 25; // loss-curve points per epoch and run

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<ToWorker>) => void): void;
  location: { href: string };
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer?: Transferable[]) => scope.postMessage(m, transfer);

let kernels: Kernels;
let data: MnistFile;
let pad: PadModel;
/** whose weights the pad's predictions use, and how far its training has got */
let padBy: PredictedBy | null = null;
let running: AbortController | null = null;

/** ?train=N&test=M (the page passes its own query on): only the first N and M digits, for quick looks and tests;
 *  ?threads=N: run the kernels on N threads rather than every core ('auto'), to compare speeds */
function queryOptions(): { trainRows?: number; testRows?: number; threads: number | 'auto' } {
  const q = new URL(scope.location.href).searchParams;
  const limit = (name: string, max: number) => {
    const v = q.get(name);
    if (v === null) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`?${name}=${v}: expected a whole number from 1 to ${max}`);
    return n;
  };
  return { trainRows: limit('train', 60_000), testRows: limit('test', 10_000), threads: limit('threads', 64) ?? 'auto' };
}

async function init(): Promise<void> {
  const { threads, ...limits } = queryOptions();
  // bundled code cannot rely on ../build/*.wasm next to the package, so name the modules
  // explicitly: the relaxed-SIMD build where this engine validates it, else plain SIMD; and its
  // shared-memory build, which loadKernels takes instead when it runs more than one thread
  const relaxed = relaxedSimdSupported();
  const wasm = new URL(relaxed ? './relaxed.wasm' : './release.wasm', import.meta.url);
  const sharedWasm = new URL(relaxed ? './relaxed-shared.wasm' : './release-shared.wasm', import.meta.url);
  let lastReport = 0;
  const [k, bytes] = await Promise.all([
    loadKernels({ wasm, sharedWasm, threads }),
    fetchDigits(new URL(`./${DIGITS_FILE}`, import.meta.url), (loaded, total) => {
      const now = performance.now();
      if (now - lastReport < 100 && loaded !== total) return;
      lastReport = now;
      post({ type: 'loading', loaded, total });
    }),
  ]);
  kernels = k;
  pad = new PadModel(k);
  data = decodeMnist(bytes, limits);
  const pixels = data.test.x.slice(0, GRID * data.pixels);
  const labels = data.test.y.slice(0, GRID);
  const { threads: running, threadsReason } = k.features;
  post({ type: 'ready', build: k.features.relaxedSimd ? 'relaxed' : 'plain', threads: running, threadsReason, trainRows: data.train.rows, testRows: data.test.rows, grid: { pixels, labels } }, [pixels.buffer, labels.buffer]);
}

function runsFor(c: RunConfig, batchesPerEpoch: number): { info: RunInfo; optimizer: SGD }[] {
  // the same schedule for every run: compare mode stays fair
  const lr = c.decay === 1 ? c.learningRate : stepDecay(c.learningRate, c.decay, batchesPerEpoch);
  const plain = { info: { label: 'plain GD', kind: 'plain' as const }, optimizer: new SGD({ learningRate: lr }) };
  const momentum = { info: { label: `momentum β=${c.momentum}`, kind: 'momentum' as const }, optimizer: new SGD({ learningRate: lr, momentum: c.momentum }) };
  const nesterov = { info: { label: `Nesterov β=${c.momentum}`, kind: 'nesterov' as const }, optimizer: new SGD({ learningRate: lr, momentum: c.momentum, nesterov: true }) };
  if (c.mode === 'compare') return [plain, momentum, nesterov];
  if (c.momentum === 0) return [plain];
  return [c.nesterov ? nesterov : momentum];
}

async function train(c: RunConfig): Promise<void> {
  const controller = new AbortController();
  running = controller;
  const t0 = performance.now();
  const batches = Math.ceil(data.train.rows / c.batchSize);
  const runs = runsFor(c, batches);
  // fair comparison: every run starts from the same weights (same seed) and, below, sees the
  // same batches in the same order (same shuffle seed per epoch) with the same learning rate
  const models: Sequential[] = runs.map(() => kernels.sequential(modelConfig(c)));
  const gridRun = c.mode === 'compare' ? (c.momentum === 0 ? 0 : c.nesterov ? 2 : 1) : 0;
  const every = Math.max(1, Math.round(batches / POINTS_PER_EPOCH));
  const gridX = data.test.x.subarray(0, GRID * data.pixels);
  pad.follow(models[gridRun]!);
  padBy = { model: c.model, run: runs[gridRun]!.info.label, epochs: 0, training: true };
  post({ type: 'started', runs: runs.map((r) => r.info), gridRun, batchesPerEpoch: batches });
  const alive = runs.map(() => true);
  try {
    for (let epoch = 1; epoch <= c.epochs && !controller.signal.aborted; epoch++) {
      const shuffleSeed = (Math.imul(c.seed, 0x9e3779b1) + epoch) >>> 0;
      for (let r = 0; r < runs.length && !controller.signal.aborted; r++) {
        if (!alive[r]) continue;
        const model = models[r]!;
        // the first window's speed would include fit()'s setup: not shown
        let sum = 0, n = 0, rows = 0, windows = 0, tLast = performance.now();
        const history = await model.fit(data.train.x, data.train.y, {
          epochs: 1,
          batchSize: c.batchSize,
          optimizer: runs[r]!.optimizer,
          seed: shuffleSeed,
          // the digits stay in the worker's memory and each batch is copied in: a second 188 MB
          // copy in wasm memory would be too much for some phones, and a batch costs well under 1% more
          dataInWasm: false,
          validationData: [data.test.x, data.test.y],
          signal: controller.signal,
          onDivergence: 'stop',
          onBatchEnd: ({ batch, batches: total, loss }) => {
            if (r === gridRun) {
              pad.changed();
              padBy!.epochs = epoch - 1 + batch / total;
            }
            if (batch === 1 && epoch === 1) post({ type: 'first', run: r, loss });
            sum += loss;
            n++;
            rows += Math.min(c.batchSize, data.train.rows - (batch - 1) * c.batchSize);
            if (n < every && batch < total) return;
            const now = performance.now();
            const samplesPerSec = windows++ === 0 ? null : rows / Math.max(1e-3, (now - tLast) / 1000);
            post({ type: 'loss', run: r, x: epoch - 1 + batch / total, loss: sum / n, samplesPerSec });
            sum = 0; n = 0; rows = 0; tLast = now;
          },
          onEpochEnd: (_, logs) => {
            const predictions = r === gridRun ? argmaxRows(model.predict(gridX), 10) : undefined;
            post({
              type: 'epoch', run: r, epoch, loss: logs.loss, testLoss: logs.valLoss!, testAccuracy: logs.valAccuracy!,
              samplesPerSec: logs.samplesPerSec, predictions,
            }, predictions ? [predictions.buffer] : undefined);
          },
        });
        if (history.stopped === 'diverged') {
          alive[r] = false;
          post({ type: 'diverged', run: r, message: history.diverged!.message });
        }
      }
      if (!alive.some(Boolean)) break;
    }
  } finally {
    // the pad keeps the last weights of the run it showed
    pad.release();
    padBy!.training = false;
    for (const m of models) m.dispose();
    if (running === controller) running = null;
  }
  post({ type: 'done', stopped: controller.signal.aborted, seconds: (performance.now() - t0) / 1000 });
}

function argmaxRows(p: Float32Array, cols: number): Uint8Array {
  const out = new Uint8Array(p.length / cols);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (p[r * cols + c]! > p[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}

function predict(id: number, input: Float32Array): void {
  const probabilities = pad.predict(input);
  post({ type: 'prediction', id, probabilities, by: probabilities && padBy ? { ...padBy } : null }, probabilities ? [probabilities.buffer] : undefined);
}

function report(e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  post({ type: 'error', name: err.name, message: err.message });
}

// runs one after another: a start while a run is going stops that run first
const ready = init();
ready.catch(report);
let queue: Promise<void> = Promise.resolve();

scope.addEventListener('message', (e) => {
  const m = e.data;
  if (m.type === 'stop') running?.abort();
  else if (m.type === 'predict') {
    // between batches of a run, or idle: the pad never waits for a whole epoch
    ready.then(() => predict(m.id, m.input)).catch(report);
  } else if (m.type === 'start') {
    running?.abort();
    const next = queue.then(() => ready).then(() => train(m.config));
    next.catch(report);
    queue = next.catch(() => undefined);
  }
});
