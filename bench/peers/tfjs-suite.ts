// TF.js on the same workloads as ours (through tfjs.ts), one backend at a time.
import type { MnistSplit } from '../../src/data/mnist.js';
import { loadTfjs, tfjsGemmGflops, tfjsLinearStepsPerSec, tfjsMlpSamplesPerSec, tfjsMnistAccuracy, type TfBackend, type TfPeer } from './tfjs.js';
import { progress } from '../progress.js';
import { PRODUCTS, type Shape } from '../gemm.js';
import { shapeName, type Skipped, type TfjsResult } from '../results.js';

/**
 * `peer`: the backend loaded already; `workloads`: its W1 / W2 / W3 rates measured already (in turns
 * with ours, see ours.ts): only what is missing is measured here.
 */
export async function measureTfjs(backend: TfBackend, data: MnistSplit,
  o: { gemmShapes: readonly Shape[]; reps?: number; accuracy: boolean; peer?: TfPeer | Skipped; workloads?: { w1?: number; w2?: number; w3?: number } }): Promise<TfjsResult | Skipped> {
  if (!o.peer) progress(`TF.js ${backend}: loading`);
  const peer = o.peer ?? await loadTfjs(backend);
  if ('skipped' in peer) return peer;
  const { tf } = peer;
  const before: number = tf.memory().numTensors;
  const reps = o.reps === undefined ? {} : { reps: o.reps };
  const { x, y } = data.train;
  try {
    const out: TfjsResult = { backend, version: peer.version, w1SamplesPerSec: 0, w2SamplesPerSec: 0, w3StepsPerSec: 0, gemm: [], leakedTensors: 0 };
    if (backend === 'wasm') {
      out.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      out.threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    }
    const done = o.workloads ?? {};
    if (done.w1 === undefined) progress(`TF.js ${backend}: W1`);
    out.w1SamplesPerSec = done.w1 ?? await tfjsMlpSamplesPerSec(peer, [784, 128, 10], 64, x, y, { lr: 0.01, momentum: 0.9, ...reps });
    if (done.w2 === undefined) progress(`TF.js ${backend}: W2`);
    out.w2SamplesPerSec = done.w2 ?? await tfjsMlpSamplesPerSec(peer, [784, 512, 512, 10], 256, x, y, { lr: 0.01, momentum: 0.9, ...reps });
    if (done.w3 === undefined) progress(`TF.js ${backend}: W3`);
    out.w3StepsPerSec = done.w3 ?? await tfjsLinearStepsPerSec(peer, reps);
    for (const s of o.gemmShapes) {
      for (const p of PRODUCTS) {
        progress(`TF.js ${backend}: GEMM ${p} ${shapeName(s)}`);
        out.gemm.push({ ...s, product: p, gflops: await tfjsGemmGflops(peer, s.m, s.k, s.n, p, reps) });
      }
    }
    if (o.accuracy) {
      progress(`TF.js ${backend}: W1 accuracy, 5 epochs`);
      out.accuracy = await tfjsMnistAccuracy(peer, x, y, data.test.x, data.test.y, { epochs: 5, batchSize: 64, lr: 0.01, momentum: 0.9, seed: 1 });
    }
    out.leakedTensors = tf.memory().numTensors - before;
    return out;
  } catch (e) {
    return { skipped: `TF.js ${backend} failed: ${(e as Error).message}` };
  }
}
