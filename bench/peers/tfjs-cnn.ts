// TF.js on the bench's CNN, without tfjs-layers: tf.variable weights, tf.conv2d / tf.maxPool /
// tf.matMul, softmax cross-entropy (batch mean) and tf.train.momentum, one batch of 64 per step,
// uploaded from JS each step and the loss read back (as tfjs.ts does for the MLPs).
// The wasm backend has no Conv2DBackpropFilter kernel, so its step throws: cnnTrainError() runs
// one step and returns that message, which the bench reports as "unable to train".
import type { Digits } from '../../src/data/mnist.js';
import { CNN_BATCH, CNN_LR, CNN_MOMENTUM } from '../cnn-net.js';
import type { Stepper, TfPeer } from './tfjs.js';

interface Cnn { vars: any[]; k1: any; b1: any; k2: any; b2: any; w3: any; b3: any; w4: any; b4: any; w5: any; b5: any }

function makeCnn(tf: any, seed: number): Cnn {
  let s = seed;
  // He uniform (relu layers) / Glorot uniform (the last), the library's initialisation; zero biases
  const w = (shape: number[], fanIn: number, fanOut: number, relu: boolean) => {
    const lim = relu ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
    return tf.tidy(() => tf.variable(tf.randomUniform(shape, -lim, lim, 'float32', s++)));
  };
  const b = (n: number) => tf.tidy(() => tf.variable(tf.zeros([n])));
  const net = {
    k1: w([5, 5, 1, 6], 25, 150, true), b1: b(6),
    k2: w([5, 5, 6, 16], 150, 400, true), b2: b(16),
    w3: w([400, 120], 400, 120, true), b3: b(120),
    w4: w([120, 84], 120, 84, true), b4: b(84),
    w5: w([84, 10], 84, 10, false), b5: b(10),
  };
  return { ...net, vars: Object.values(net) };
}

/** logits of a [rows, 28, 28, 1] batch */
function forward(tf: any, n: Cnn, x: any): any {
  let h = tf.relu(tf.add(tf.conv2d(x, n.k1, 1, 'same'), n.b1));
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.relu(tf.add(tf.conv2d(h, n.k2, 1, 'valid'), n.b2));
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.reshape(h, [-1, 400]);
  h = tf.relu(tf.add(tf.matMul(h, n.w3), n.b3));
  h = tf.relu(tf.add(tf.matMul(h, n.w4), n.b4));
  return tf.add(tf.matMul(h, n.w5), n.b5);
}

/** SGD-momentum steps of the CNN on consecutive batches of 64 (the backend must be active: see useBackend) */
export function tfjsCnnStepper(peer: TfPeer, train: Digits): Stepper {
  const { tf } = peer;
  const batches = Math.floor(train.rows / CNN_BATCH);
  if (batches < 1) throw new Error(`tfjsCnnStepper: need at least ${CNN_BATCH} digits, got ${train.rows}`);
  const y = new Float32Array(batches * CNN_BATCH * 10);
  for (let i = 0; i < batches * CNN_BATCH; i++) y[i * 10 + train.y[i]!] = 1;
  const net = makeCnn(tf, 42);
  const opt = tf.train.momentum(CNN_LR, CNN_MOMENTUM);
  let i = 0;
  const dispose = () => {
    opt.dispose();
    opt.c?.dispose(); // the learning-rate scalar MomentumOptimizer.dispose() forgets (see tfjs.ts)
    for (const v of net.vars) v.dispose();
  };
  return {
    step: () => {
      const b = i++ % batches;
      const loss = tf.tidy(() => {
        const xb = tf.tensor4d(train.x.subarray(b * CNN_BATCH * 784, (b + 1) * CNN_BATCH * 784), [CNN_BATCH, 28, 28, 1]);
        const yb = tf.tensor2d(y.subarray(b * CNN_BATCH * 10, (b + 1) * CNN_BATCH * 10), [CNN_BATCH, 10]);
        return opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(tf, net, xb)), true);
      });
      loss.dataSync();
      loss.dispose();
    },
    perStep: CNN_BATCH,
    dispose,
  };
}

/** null when one training step of the CNN runs on this backend, else the error it throws */
export function cnnTrainError(peer: TfPeer, train: Digits): string | null {
  const { tf } = peer;
  const before: number = tf.memory().numTensors;
  let s: Stepper | null = null;
  try {
    s = tfjsCnnStepper(peer, train);
    s.step();
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    s?.dispose();
    // A gradient that throws half-way leaves the tape's saved tensors alive (engine.gradients frees
    // them only on success), so free them here, as it would have.
    const engine = tf.engine?.();
    const tape = engine?.state?.activeTape as { saved: { dispose(): void }[] }[] | null | undefined;
    if (tape && engine.state.gradientDepth === 0) {
      for (const node of tape) for (const t of node.saved ?? []) t.dispose();
      engine.state.activeTape = null;
    }
    const leaked = tf.memory().numTensors - before;
    if (leaked > 0) process.stderr.write(`  (TF.js ${peer.backend}: ${leaked} tensors left after the failed CNN step)\n`);
  }
}
