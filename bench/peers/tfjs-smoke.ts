// Smoke run of the TF.js peer: `npx tsx bench/peers/tfjs-smoke.ts`.
// Prints the peer numbers our bench compares against, for the wasm and cpu backends.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  loadTfjs, tfjsGemmGflops, tfjsLinearStepsPerSec, tfjsMlpSamplesPerSec, tfjsMnistAccuracy, type TfBackend,
} from './tfjs.js';

/** The `mnist` package's 10k digits: digits/{d}.json holds { data: [...] }, 784 floats in 0..1 per digit. */
function loadMnist(): { x: Float32Array; y: Uint8Array } {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const parts = Array.from({ length: 10 }, (_, d) =>
    (JSON.parse(readFileSync(path.join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data);
  const n = parts.reduce((s, p) => s + p.length / 784, 0);
  const x = new Float32Array(n * 784);
  const y = new Uint8Array(n);
  // Interleave the digits (round-robin) so every batch and the train/test split see all classes.
  const next = new Array<number>(10).fill(0);
  for (let i = 0; i < n;) {
    for (let d = 0; d < 10 && i < n; d++) {
      const part = parts[d]!;
      if (next[d]! * 784 >= part.length) continue;
      x.set(part.slice(next[d]! * 784, ++next[d]! * 784), i * 784);
      y[i++] = d;
    }
  }
  return { x, y };
}

const fmt = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const t0 = performance.now();
const { x, y } = loadMnist();
const nTrain = Math.floor(y.length * 0.8);
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
