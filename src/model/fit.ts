// fit(): epochs of seeded, shuffled mini-batches. The whole dataset is copied into wasm memory
// once, and each batch is gathered there by index, so a step costs no JS copies or allocations.
// A dataset too large to hold twice (a big CSV table) stays where it is instead, and each batch's
// rows are copied in from it: the same batches in the same order, so the same weights (fit-data.ts).
import type { Sequential } from './sequential.js';
import type { Targets, FitOptions, History, EpochLogs } from './options.js';
import { isOptimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { Block } from '../runtime/memory.js';
import { InvalidArgumentError, TrainingDivergedError } from '../util/errors.js';
import { positiveInt, bool, oneOf, seed32 } from '../util/check.js';
import { Rng } from '../util/rng.js';
import { copyFinite, fitData, type FitData } from './fit-data.js';

// hand control back to the event loop this often, so timers, UI and abort signals run
const YIELD_MS = 100;
/** above this many bytes of x, fit leaves the data in JS memory and copies each batch in (options.dataInWasm) */
export const DATA_IN_WASM_BYTES = 256 * 2 ** 20;

export async function fit(model: Sequential, x: Float32Array, y: Targets, options: FitOptions): Promise<History> {
  model.alive();
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const rows = model.checkX('x', x);
  const indices = model.checkY('y', y, rows);
  const epochs = positiveInt('options.epochs', options.epochs ?? 1);
  const batchSize = positiveInt('options.batchSize', options.batchSize ?? 32);
  const opt = options.optimizer ?? new SGD({ learningRate: 0.01, momentum: 0.9 });
  if (!isOptimizer(opt)) throw new InvalidArgumentError('options.optimizer', 'an optimizer such as new SGD({ learningRate, momentum })', opt);
  const shuffle = bool('options.shuffle', options.shuffle ?? true);
  const onDivergence = oneOf('options.onDivergence', options.onDivergence ?? 'throw', ['throw', 'stop'] as const);
  const seed = options.seed;
  if (seed !== undefined) seed32('options.seed', seed);
  const inWasm = bool('options.dataInWasm', options.dataInWasm ?? x.byteLength <= DATA_IN_WASM_BYTES);
  let val: [Float32Array, Targets] | null = null;
  if (options.validationData !== undefined) {
    const v = options.validationData;
    if (!Array.isArray(v) || v.length !== 2) throw new InvalidArgumentError('options.validationData', '[x, y]', v);
    model.checkY('options.validationData[1]', v[1], model.checkX('options.validationData[0]', v[0]));
    val = [v[0], v[1]];
  }
  for (const name of ['onEpochEnd', 'onBatchEnd'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidArgumentError(`options.${name}`, 'a function', options[name]);
  }

  const history: History = { epochs: 0, loss: [], accuracy: [], valLoss: [], valAccuracy: [], samplesPerSec: [] };
  const arena = model.runtime.arena;
  const width = indices ? 1 : model.outputSize;
  const batchesPerEpoch = Math.ceil(rows / batchSize);
  const rng = seed === undefined ? model.shuffler : new Rng(seed);

  // the dataset (fit-data.ts) and the row order live in wasm memory for the whole fit; every row of
  // x is checked finite first (trainBatch checks each batch; here all rows, before any step)
  const data: FitData = fitData(model.runtime, x, y, { features: model.inputSize, width, indices, inWasm });
  const blocks: Block[] = [];
  try {
    if (val) copyFinite(model.runtime, 'options.validationData[0]', val[0]);
    const order = new Block(arena, rows); blocks.push(order);
    model.workspace(Math.min(batchSize, rows));

    let lastYield = performance.now();
    for (let epoch = 1; epoch <= epochs; epoch++) {
      // each epoch's order depends on the generator state alone (identity, then shuffled), so a
      // fit resumed from a checkpoint sees the same batches as one that never stopped
      const perm = order.i32;
      for (let i = 0; i < rows; i++) perm[i] = i;
      if (shuffle) rng.shuffle(perm);
      const t0 = performance.now();
      let lossSum = 0, correct = 0, seen = 0;
      for (let b = 0; b < batchesPerEpoch; b++) {
        if (options.signal?.aborted) { history.stopped = 'aborted'; break; }
        model.alive(); // a callback may have disposed it: never write through freed memory
        const start = b * batchSize;
        const n = Math.min(batchSize, rows - start);
        data.gather(order, start, n, model.workspace(n));
        if (indices && model.loss === 'mse') model.oneHot(n);
        let loss: number;
        try {
          loss = model.step(n, indices, opt, epoch);
        } catch (e) {
          if (e instanceof TrainingDivergedError && onDivergence === 'stop') {
            history.stopped = 'diverged';
            history.diverged = { epoch, step: e.step, message: e.message };
            break;
          }
          throw e;
        }
        lossSum += loss * n;
        correct += model.lastCorrect;
        seen += n;
        options.onBatchEnd?.({ epoch, batch: b + 1, batches: batchesPerEpoch, loss });
        if (performance.now() - lastYield > YIELD_MS) {
          await nextTask();
          lastYield = performance.now();
        }
      }
      if (seen === 0) break;
      const seconds = (performance.now() - t0) / 1000;
      const logs: EpochLogs = { loss: lossSum / seen, samplesPerSec: seen / seconds, seconds };
      if (model.loss === 'crossEntropy') logs.accuracy = correct / seen;
      if (val) {
        const r = model.evaluate(val[0], val[1]);
        logs.valLoss = r.loss;
        if (r.accuracy !== undefined) logs.valAccuracy = r.accuracy;
      }
      history.epochs = epoch;
      history.loss.push(logs.loss);
      if (logs.accuracy !== undefined) history.accuracy.push(logs.accuracy);
      if (logs.valLoss !== undefined) history.valLoss.push(logs.valLoss);
      if (logs.valAccuracy !== undefined) history.valAccuracy.push(logs.valAccuracy);
      history.samplesPerSec.push(logs.samplesPerSec);
      await options.onEpochEnd?.(epoch, logs);
      if (history.stopped) break;
    }
  } finally {
    data.free();
    for (const b of blocks) b.free();
    // fit's own optimizer ends with the fit: its velocities are nobody else's
    if (options.optimizer === undefined) opt.dispose();
  }
  return history;
}

/** A new task, so that timers, I/O, rendering and abort signals get their turn: setImmediate in
 *  Node, a MessageChannel message in browsers; setTimeout(0) only as the last resort, since it waits
 *  at least 1 ms in Node and 4 ms once nested in browsers, a few percent of a fast epoch. */
function nextTask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((r) => { g.setImmediate!(r); });
  if (typeof MessageChannel === 'function') {
    return new Promise((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { ch.port1.close(); r(); };
      ch.port2.postMessage(0);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}
