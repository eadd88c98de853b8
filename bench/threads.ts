// `npx tsx bench/threads.ts [--threads 1,2] [--quick]`: what more threads buy. Each workload runs
// at every thread count of the list (default: 1 and every core), the repetitions taken in turns
// (timing.ts: timeInTurns) so the machine's busy spells land on every count alike: the GEMMs
// 256x784x512 and 1024³, W1 and W2 (bench/workloads.ts), the CNN (bench/cnn.ts), and numpy's W1
// and W2 with OPENBLAS_NUM_THREADS at the same counts. Prints a markdown table and writes
// bench/results-threads.json. Relaxed SIMD build where the engine runs it (bench/flags.ts).
import './node-select.js'; // first: --node N re-runs this bench on that Node version
import './flags.js';
import { availableParallelism, cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadKernels, relaxedSimdSupported, type Kernels } from '../src/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { timeInTurns } from './timing.js';
import { mlpStepper, W1, W2 } from './workloads.js';
import { cnnStepper } from './cnn.js';
import { runNumpy } from './peers/numpy.js';
import type { Stepper } from './peers/tfjs.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const at = args.indexOf('--threads');
const counts = at >= 0 ? args[at + 1]!.split(',').map(Number) : [...new Set([1, availableParallelism()])];
if (counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--threads: expected counts like 1,2,4, got '${args[at + 1]}'`);
const opts = quick ? { repMs: 150, reps: 3, warmupMs: 200 } : { repMs: 400, reps: 7, warmupMs: 600 };

const ks: Kernels[] = [];
for (const threads of counts) ks.push(await loadKernels({ threads }));
const build = ks[0]!.features.relaxedSimd ? 'relaxed' : 'plain';
const { train } = await loadMnist({ trainRows: 8000, testRows: 0 });

interface Row { workload: string; unit: string; values: number[] }
const rows: Row[] = [];

function gemmBody(k: Kernels, M: number, N: number, K: number): () => void {
  const a = k.arena.alloc(M * K * 4, true), b = k.arena.alloc(K * N * 4, true), c = k.arena.alloc(M * N * 4, true);
  const f = new Float32Array(k.arena.memory.buffer);
  for (let i = 0; i < M * K; i++) f[a / 4 + i] = ((i * 7919) % 256) / 128 - 1;
  for (let i = 0; i < K * N; i++) f[b / 4 + i] = ((i * 104729) % 256) / 128 - 1;
  return () => k.gemm(0, 0, M, N, K, a, K, b, N, c, N, 0, 0, 0);
}

for (const [M, N, K] of [[256, 512, 784], [1024, 1024, 1024]] as const) {
  process.stderr.write(`GEMM ${M}x${K}x${N}…\n`);
  const t = timeInTurns(ks.map((k) => gemmBody(k, M, N, K)), opts);
  rows.push({ workload: `GEMM ${M}x${K}x${N}`, unit: 'GFLOP/s', values: t.map((x) => (2 * M * N * K) / x.seconds / 1e9) });
}

function steppers(label: string, make: (k: Kernels) => Stepper): void {
  process.stderr.write(`${label}…\n`);
  const s = ks.map(make);
  const t = timeInTurns(s.map((x) => () => x.step()), opts);
  rows.push({ workload: label, unit: 'samples/s', values: t.map((x, i) => s[i]!.perStep / x.seconds) });
  for (const x of s) x.dispose();
}
steppers(W1.label, (k) => mlpStepper(k, W1, train));
steppers(W2.label, (k) => mlpStepper(k, W2, train));
steppers('CNN (the CLI\'s), batch 64', (k) => cnnStepper(k, train));

const numpy = counts.map((n) => {
  process.stderr.write(`numpy, OPENBLAS_NUM_THREADS=${n}…\n`);
  return runNumpy(train.x, train.y, true, n);
});
if (numpy.every((r) => !('skipped' in r))) {
  const ok = numpy as Array<Exclude<(typeof numpy)[number], { skipped: string }>>;
  rows.push({ workload: 'numpy W1', unit: 'samples/s', values: ok.map((r) => r.w1SamplesPerSec) });
  rows.push({ workload: 'numpy W2', unit: 'samples/s', values: ok.map((r) => r.w2SamplesPerSec) });
}
for (const k of ks) k.dispose();

const fmt = (v: number, unit: string) => (unit === 'GFLOP/s' ? v.toFixed(1) : Math.round(v).toLocaleString('en-US'));
const head = `| workload | unit | ${counts.map((n) => `${n} thread${n > 1 ? 's' : ''}`).join(' | ')} | ${counts.slice(1).map((n) => `${n}/1`).join(' | ')} |`;
const lines = [head, `|${'---|'.repeat(2 + counts.length * 2 - 1)}`];
for (const r of rows) {
  lines.push(`| ${r.workload} | ${r.unit} | ${r.values.map((v) => fmt(v, r.unit)).join(' | ')} | ${r.values.slice(1).map((v) => `${(v / r.values[0]!).toFixed(2)}x`).join(' | ')} |`);
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores available, Node ${process.versions.node}, ${build} SIMD build${relaxedSimdSupported() ? '' : ''}`;
console.log(`${machine}\n\n${lines.join('\n')}`);
writeFileSync(fileURLToPath(new URL('./results-threads.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), machine, counts, quick, rows }, null, 2) + '\n');
