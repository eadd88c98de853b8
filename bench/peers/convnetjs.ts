// ConvNetJS 0.3.0 (Karpathy's plain-JavaScript library; a devDependency, CommonJS) on the bench's
// CNN: the same layers, trained one sample at a time by its Trainer, which applies SGD with momentum
// every batch_size samples (the gradient averaged over the batch, like ours). Loaded with require so
// tsc needs no types for it; a missing package is reported as skipped.
import { createRequire } from 'node:module';
import type { Digits } from '../../src/data/mnist.js';
import { CNN_BATCH, CNN_LR, CNN_MOMENTUM } from '../cnn-net.js';
import type { Stepper } from './tfjs.js';

const PKG = 'convnetjs';

export interface ConvnetjsPeer { version: string; lib: any }

export function loadConvnetjs(): ConvnetjsPeer | { skipped: string } {
  const require = createRequire(import.meta.url);
  try {
    const lib = require(PKG);
    let version = 'unknown';
    try { version = String(require(`${PKG}/package.json`).version); } catch { /* keep 'unknown' */ }
    return { version, lib };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { skipped: code === 'MODULE_NOT_FOUND' ? `${PKG} is not installed (npm install)` : `${PKG} failed to load: ${(e as Error).message}` };
  }
}

/** The bench's CNN in ConvNetJS layer definitions (its conv pads symmetrically: pad 2 is 'same' for 5x5) */
function layerDefs(): object[] {
  return [
    { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 120, activation: 'relu' },
    { type: 'fc', num_neurons: 84, activation: 'relu' },
    { type: 'softmax', num_classes: 10 },
  ];
}

/**
 * One bench step = one batch of 64 trainer.train(vol, label) calls (the 64th applies the update),
 * cycling over the first `samples` training digits, converted to Vol(28, 28, 1) before timing.
 */
export function convnetjsCnnStepper(peer: ConvnetjsPeer, train: Digits, samples = 16 * CNN_BATCH): Stepper {
  const cj = peer.lib;
  const net = new cj.Net();
  net.makeLayers(layerDefs());
  const trainer = new cj.Trainer(net, { method: 'sgd', learning_rate: CNN_LR, momentum: CNN_MOMENTUM, batch_size: CNN_BATCH, l2_decay: 0 });
  const n = Math.min(samples, train.rows) - (Math.min(samples, train.rows) % CNN_BATCH);
  if (n < CNN_BATCH) throw new Error(`convnetjsCnnStepper: need at least ${CNN_BATCH} digits, got ${train.rows}`);
  const vols: any[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = new cj.Vol(28, 28, 1, 0.0);
    // Vol index ((sx·y) + x)·depth + d: row-major like the digits' 784 pixels
    for (let p = 0; p < 784; p++) v.w[p] = train.x[i * 784 + p]!;
    vols.push(v);
    labels.push(train.y[i]!);
  }
  let i = 0;
  return {
    step: () => {
      for (let s = 0; s < CNN_BATCH; s++) {
        trainer.train(vols[i], labels[i]);
        i = i + 1 === n ? 0 : i + 1;
      }
    },
    perStep: CNN_BATCH,
    dispose: () => { vols.length = 0; },
  };
}
