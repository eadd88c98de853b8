// Smoke run of the TF.js peer: `npx tsx bench/peers/tfjs-smoke.ts`.
// Prints the peer numbers our bench compares against, for the wasm and cpu backends.
import { performance } from 'node:perf_hooks';
import {
  loadTfjs, tfjsGemmGflops, tfjsLinearStepsPerSec, tfjsMlpSamplesPerSec, tfjsMnistAccuracy, type TfBackend,
} from './tfjs.js';
import { loadMnist } from '../../src/data/mnist.js';

const fmt = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const t0 = performance.now();
// the first 8,000 training and 2,000 test digits of the standard split, one after the other
const { train, test } = await loadMnist({ trainRows: 8000, testRows: 2000 });
const x = new Float32Array([...train.x, ...test.x]), y = new Uint8Array([...train.y, ...test.y]);
const nTrain = train.rows;
console.log(`MNIST: ${y.length} digits (${nTrain} train / ${y.length - nTrain} test)`);

for (const backend of ['wasm', 'cpu'] as TfBackend[]) {
  const peer = await loadTfjs(backend);
  if ('skipped' in peer) {
    console.log(`tfjs ${backend}: skipped: ${peer.skipped}`);
    continue;
  }
  const tf = peer.tf;
  const simd = backend === 'wasm' ? ` simd=${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}` : '';
  console.log(`\ntfjs-core ${peer.version}, backend ${backend}${simd}`);
  const before = tf.memory().numTensors;
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(34)} ${value}`);
  line('W1 784-128-10 batch 64', `${fmt(await tfjsMlpSamplesPerSec(peer, [784, 128, 10], 64, x, y))} samples/s`);
  line('W2 784-512-512-10 batch 256', `${fmt(await tfjsMlpSamplesPerSec(peer, [784, 512, 512, 10], 256, x, y))} samples/s`);
  line('W3 linear y=2x', `${fmt(await tfjsLinearStepsPerSec(peer))} steps/s`);
  for (const p of ['nn', 'tn', 'nt'] as const) {
    line(`GEMM ${p} 256x784x512`, `${fmt(await tfjsGemmGflops(peer, 256, 784, 512, p), 1)} GFLOP/s`);
  }
  const acc = await tfjsMnistAccuracy(peer, x.subarray(0, nTrain * 784), y.subarray(0, nTrain),
    x.subarray(nTrain * 784), y.subarray(nTrain), { epochs: 1 });
  line('MNIST 784-128-10, 1 epoch', `${fmt(acc * 100, 2)} % test accuracy`);
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) line('WARNING tensors leaked', String(leaked));
}
console.log(`\ntotal ${fmt((performance.now() - t0) / 1000, 1)} s`);
