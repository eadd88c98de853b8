// What more threads buy, measured for `npm run bench` and for bench/threads.ts: each workload at
// every thread count of the list, the repetitions taken in turns (timing.ts: timeInTurns) so the
// machine's busy spells land on every count alike: the GEMMs 256x784x512 and 1024³, W1 and W2
// (workloads.ts), the CNN (cnn.ts: LeNet-5) and the command line's wider one, and numpy's W1 and
// W2 with OPENBLAS_NUM_THREADS at the same counts (with the kernels OpenBLAS picks, and with its
// SSE ones). One kernels instance per count, on the build loadKernels picks here.
import { loadKernels, type Kernels } from '../src/index.js';
import type { Digits } from '../src/data/mnist.js';
import { timeInTurns } from './timing.js';
import { mlpStepper, W1, W2 } from './workloads.js';
import { cnnStepper } from './cnn.js';
import { CNN_LAYERS } from '../src/cli/mnist-train.js';
import { runNumpy } from './peers/numpy.js';
import type { Stepper } from './peers/tfjs.js';
import type { ThreadResults, ThreadRow } from './threads-results.js';

export async function measureThreads(counts: readonly number[], train: Digits, quick: boolean, machine: string,
  progress: (line: string) => void): Promise<ThreadResults> {
  const opts = quick ? { repMs: 150, reps: 3, warmupMs: 200 } : { repMs: 400, reps: 7, warmupMs: 600 };
  const ks: Kernels[] = [];
  for (const threads of counts) ks.push(await loadKernels({ threads }));
  const build = ks[0]!.features.relaxedSimd ? 'relaxed' : 'plain';
  const rows: ThreadRow[] = [];
  try {
    for (const [M, N, K] of [[256, 512, 784], [1024, 1024, 1024]] as const) {
      progress(`threads: GEMM ${M}x${K}x${N}`);
      const t = timeInTurns(ks.map((k) => gemmBody(k, M, N, K)), opts);
      rows.push({ workload: `GEMM ${M}x${K}x${N}`, unit: 'GFLOP/s', values: t.map((x) => (2 * M * N * K) / x.seconds / 1e9) });
    }
    const steppers = (label: string, make: (k: Kernels) => Stepper) => {
      progress(`threads: ${label}`);
      const s = ks.map(make);
      try {
        const t = timeInTurns(s.map((x) => () => x.step()), opts);
        rows.push({ workload: label, unit: 'samples/s', values: t.map((x, i) => s[i]!.perStep / x.seconds) });
      } finally {
        for (const x of s) x.dispose();
      }
    };
    steppers(W1.label, (k) => mlpStepper(k, W1, train));
    steppers(W2.label, (k) => mlpStepper(k, W2, train));
    steppers('LeNet-5 CNN (the bench\'s), batch 64', (k) => cnnStepper(k, train));
    steppers('the CLI\'s CNN (16 and 32 filters), batch 64', (k) => cnnStepper(k, train, CNN_LAYERS));
  } finally {
    for (const k of ks) k.dispose();
  }
  // numpy as OpenBLAS picks its kernels here (AVX-512 on this machine's CPU), and held to its SSE
  // kernels, 128 bits wide as WebAssembly's SIMD is (though without FMA): what the width alone buys
  for (const [label, coreType] of [['', undefined], [', SSE kernels (OPENBLAS_CORETYPE=Nehalem)', 'Nehalem']] as const) {
    const numpy = counts.map((n) => {
      progress(`threads: numpy${label}, OPENBLAS_NUM_THREADS=${n}`);
      return runNumpy(train.x, train.y, true, n, coreType);
    });
    if (numpy.every((r) => !('skipped' in r))) {
      const ok = numpy as Array<Exclude<(typeof numpy)[number], { skipped: string }>>;
      rows.push({ workload: `numpy W1${label}`, unit: 'samples/s', values: ok.map((r) => r.w1SamplesPerSec) });
      rows.push({ workload: `numpy W2${label}`, unit: 'samples/s', values: ok.map((r) => r.w2SamplesPerSec) });
    }
  }
  return { date: new Date().toISOString(), machine, counts: counts.slice(), quick, build, rows };
}

function gemmBody(k: Kernels, M: number, N: number, K: number): () => void {
  const a = k.arena.alloc(M * K * 4, true), b = k.arena.alloc(K * N * 4, true), c = k.arena.alloc(M * N * 4, true);
  const f = new Float32Array(k.arena.memory.buffer);
  for (let i = 0; i < M * K; i++) f[a / 4 + i] = ((i * 7919) % 256) / 128 - 1;
  for (let i = 0; i < K * N; i++) f[b / 4 + i] = ((i * 104729) % 256) / 128 - 1;
  return () => k.gemm(0, 0, M, N, K, a, K, b, N, c, N, 0, 0, 0);
}
