// The shape of bench/results.json, the machine it ran on, and the ratios and targets derived from
// the raw numbers. report.ts (stdout) and readme.ts (README.md) both render from this one object.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { cnnTargets, type CnnResults, type ConvResults } from './cnn-results.js';
import type { ThreadResults } from './threads-results.js';

export type Build = 'plain' | 'relaxed';
export type Product = 'nn' | 'tn' | 'nt';
export interface Skipped { skipped: string }

export interface Machine {
  cpu: string;
  cores: number;
  os: string;
  arch: string;
  memoryGiB: number;
  node: string;
  v8: string;
  /** 1-minute load average when the run started and when it ended (this bench adds about 1) */
  loadAverage: number;
  loadAverageEnd?: number;
}

export interface GemmResult {
  m: number; k: number; n: number;
  product: Product;
  /** median GFLOP/s (2·M·N·K / t) */
  gflops: number;
  /** fastest repetition's GFLOP/s */
  best: number;
  /** median over repetitions of (GEMM GFLOP/s / the peak probe run right after that repetition), in % */
  pctPeak: number;
  spread: number;
  /** max |C - float64 reference| / (K · max|a|·max|b|) over spot-checked entries */
  checkError?: number;
}

export interface BuildResult {
  build: Build;
  wasm: string;
  sha256: string;
  /** the standalone probe (median of its repetitions); duringGemm: median of the probes run between GEMM repetitions */
  peak: { gflops: number; best: number; iters: number; reps: number; spread: number; duringGemm?: number };
  gemm: GemmResult[];
  /** the microkernel alone on L1-resident panels (bench/microkernel.ts); absent in older results */
  microkernel?: { tile: string; kc: number; gflops: number; pctPeak: number };
  /** the microkernel loop's x64 instructions per k step, as V8 compiled it (bench/kernel-code.ts) */
  kernelCode?: { stepsPerIteration: number; instructions: number; arithmetic: number; loads: number; other: Record<string, number> } | { skipped: string };
  w1: {
    samplesPerSec: number; spread: number;
    /** one fit() epoch alone, and trainBatch's time over as many batches / fit's, both in turns (workloads.ts: fitAgainstTrainBatch) */
    fitEpochSamplesPerSec: number; fitSpread: number; fitVsTrainBatch?: number;
  };
  w2: { samplesPerSec: number; spread: number };
  w3: { stepsPerSec: number; spread: number };
  /** W1 test accuracy after 5 epochs (full runs only) */
  accuracy?: number;
}

export interface TfjsResult {
  backend: 'wasm' | 'cpu';
  version: string;
  simd?: boolean;
  threads?: boolean;
  w1SamplesPerSec: number;
  w2SamplesPerSec: number;
  w3StepsPerSec: number;
  gemm: { m: number; k: number; n: number; product: Product; gflops: number }[];
  accuracy?: number;
  /** tensors alive after the peer ran minus before: nonzero means the peer leaked */
  leakedTensors: number;
}

export interface NumpyResult {
  numpy: string;
  python: string;
  blas: string | null;
  openblasCore: string | null;
  coreSource: string | null;
  blasThreads: number | null;
  threads: number;
  w1SamplesPerSec: number;
  w2SamplesPerSec: number;
  gemm: { m: number; k: number; n: number; product: Product; gflops: number }[];
}

export interface Ratio { name: string; ours: number; peer: number; ratio: number }
export interface Target { name: string; want: string; got: string; met: boolean }

export interface Results {
  schema: 1;
  date: string;
  command: string;
  quick: boolean;
  seconds: number;
  machine: Machine;
  source: { commit: string | null; dirty: boolean | null };
  /** the build the ratios use: what loadKernels({ simd: 'auto' }) picks here */
  headline: Build;
  builds: Partial<Record<Build, BuildResult>>;
  skippedBuilds: Partial<Record<Build, string>>;
  peers: { tfjsWasm: TfjsResult | Skipped; tfjsCpu: TfjsResult | Skipped; numpy: NumpyResult | Skipped } | null;
  ratios: { tfjsWasm: Ratio[]; numpy: Ratio[] };
  /** LeNet-5 training against ConvNetJS and TF.js (bench/cnn.ts); absent in older results */
  cnn?: CnnResults;
  /** conv layers alone: forward, input and filter gradients (bench/conv-layers.ts); absent in older results */
  conv?: ConvResults;
  /** the workloads at 1 thread and at every core, in turns (bench/threads-suite.ts); absent in older results */
  threads?: ThreadResults;
  targets: Target[];
  notes: string[];
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    loadAverage: loadAverage(),
  };
}

export function loadAverage(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

export function gitSource(cwd: string): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'assembly', 'src'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function isSkipped<T extends object>(r: T | Skipped | null | undefined): r is Skipped {
  return r !== null && r !== undefined && 'skipped' in r;
}

export function shapeName(s: { m: number; k: number; n: number }): string {
  return `${s.m}x${s.k}x${s.n}`;
}

export const PRODUCT_LABEL: Record<Product, string> = { nn: 'A·B', tn: 'Aᵀ·B', nt: 'A·Bᵀ' };

/** The GEMM target applies to the shapes from 256x512x512 up: all but 64x784x128. */
export function gemmTargetShape(g: { m: number; k: number; n: number }): boolean {
  return g.m * g.k * g.n >= 256 * 512 * 512;
}

const GEMM_TARGET_PCT = 85;

export function deriveRatios(r: Results): Results['ratios'] {
  const ours = r.builds[r.headline];
  const out: Results['ratios'] = { tfjsWasm: [], numpy: [] };
  if (!ours || !r.peers) return out;
  const ratio = (name: string, a: number, b: number): Ratio => ({ name, ours: a, peer: b, ratio: a / b });
  const tw = r.peers.tfjsWasm;
  if (!isSkipped(tw)) {
    out.tfjsWasm.push(ratio('W1 samples/s', ours.w1.samplesPerSec, tw.w1SamplesPerSec));
    out.tfjsWasm.push(ratio('W2 samples/s', ours.w2.samplesPerSec, tw.w2SamplesPerSec));
    out.tfjsWasm.push(ratio('W3 steps/s', ours.w3.stepsPerSec, tw.w3StepsPerSec));
    for (const g of tw.gemm) {
      const mine = ours.gemm.find((o) => o.product === g.product && shapeName(o) === shapeName(g));
      if (mine) out.tfjsWasm.push(ratio(`GEMM ${g.product} ${shapeName(g)}`, mine.gflops, g.gflops));
    }
  }
  const np = r.peers.numpy;
  if (!isSkipped(np)) {
    out.numpy.push(ratio('W1 samples/s', ours.w1.samplesPerSec, np.w1SamplesPerSec));
    out.numpy.push(ratio('W2 samples/s', ours.w2.samplesPerSec, np.w2SamplesPerSec));
    for (const g of np.gemm) {
      const mine = ours.gemm.find((o) => o.product === g.product && shapeName(o) === shapeName(g));
      if (mine) out.numpy.push(ratio(`GEMM ${g.product} ${shapeName(g)}`, mine.gflops, g.gflops));
    }
  }
  return out;
}

/** The targets, checked against this run. */
export function deriveTargets(r: Results): Target[] {
  const t: Target[] = [];
  for (const b of ['plain', 'relaxed'] as const) {
    const br = r.builds[b];
    if (!br) continue;
    const rows = br.gemm.filter(gemmTargetShape);
    if (rows.length === 0) continue;
    const worst = rows.reduce((a, g) => (g.pctPeak < a.pctPeak ? g : a));
    const missed = rows.filter((g) => g.pctPeak < GEMM_TARGET_PCT).length;
    const lowest = `lowest ${worst.pctPeak.toFixed(0)}% (${worst.product} ${shapeName(worst)})`;
    t.push({
      name: `GEMM ${b}: every product, shapes from 256x512x512 up`,
      want: `>= ${GEMM_TARGET_PCT}% of the ${b} peak`,
      got: missed ? `${missed} of ${rows.length} below; ${lowest}` : `all ${rows.length} above; ${lowest}`,
      met: missed === 0,
    });
  }
  const want: Record<string, number> = { 'W1 samples/s': 10, 'W2 samples/s': 15, 'W3 steps/s': 50 };
  for (const q of r.ratios.tfjsWasm) {
    const w = want[q.name];
    if (w === undefined) continue;
    t.push({ name: `${q.name.split(' ')[0]} vs TF.js wasm`, want: `>= ${w}x`, got: `${q.ratio.toFixed(1)}x`, met: q.ratio >= w });
  }
  const ours = r.builds[r.headline]?.accuracy;
  const tw = r.peers?.tfjsWasm;
  if (ours !== undefined && tw && !isSkipped(tw) && tw.accuracy !== undefined) {
    t.push({
      name: 'W1 test accuracy, 5 epochs', want: `>= TF.js wasm (${(tw.accuracy * 100).toFixed(1)}%)`,
      got: `${(ours * 100).toFixed(1)}%`, met: ours >= tw.accuracy,
    });
  }
  t.push(...cnnTargets(r));
  return t;
}
