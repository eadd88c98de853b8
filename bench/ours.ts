// Everything measured on our kernels: peak, GEMM, W1 / W2 / W3 and W1 accuracy, for each build.
// The builds take turns stage by stage, and the GEMM repetitions of every shape, product and build
// take turns one repetition at a time, so a busy spell on this shared machine lands on all the
// numbers rather than on the few measured during it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from '../src/index.js';
import { BENCH_WASM_FILE, type BenchKernels } from './bench-kernels.js';
import type { MnistSplit } from '../src/data/mnist.js';
import { makeProbe, probeReps, summarisePeak } from './peak.js';
import { GemmBench, PRODUCTS } from './gemm.js';
import { measureMicrokernel, type MicrokernelResult } from './microkernel.js';
import { kernelCode, type KernelCode } from './kernel-code.js';
import { fitAgainstTrainBatch, linearStepper, mlpStepper, ratesInTurns, w1Accuracy, W1, W2 } from './workloads.js';
import { tfjsLinearStepper, tfjsMlpStepper, useBackend, type TfPeer } from './peers/tfjs.js';
import { median, timeInTurns } from './timing.js';
import { progress } from './progress.js';
import type { Plan } from './plan.js';
import { shapeName, type Build, type BuildResult, type GemmResult } from './results.js';

/** the file loadKernels({ simd }) loads, relative to the package root */
export const WASM_FILE: Record<Build, string> = { plain: 'build/release.wasm', relaxed: 'build/relaxed.wasm' };

export function wasmSha256(build: Build): string {
  const bytes = readFileSync(fileURLToPath(new URL(`../${WASM_FILE[build]}`, import.meta.url)));
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** the peer's W1 / W2 (samples/s) and W3 (steps/s), measured in turns with ours */
export interface PeerWorkloads { w1?: number; w2?: number; w3?: number }

/** the production module of a build (what is measured) and its bench build (peak probe, microkernel) */
export interface OurBuild { k: Kernels; bench: BenchKernels }

/** Everything about our builds; W1-W3 in turns with `peer` (TF.js wasm) when given, whose rates land in `peerOut`. */
export async function measureOurs(kernels: Partial<Record<Build, OurBuild>>, data: MnistSplit, plan: Plan,
  peer: TfPeer | null = null, peerOut: PeerWorkloads = {}): Promise<Partial<Record<Build, BuildResult>>> {
  const runs = (Object.entries(kernels) as [Build, OurBuild][]).map(([build, { k, bench }]) => ({
    build, k, bench, peak: [] as number[], peakIters: 0, duringGemm: [] as number[], gemm: [] as GemmResult[],
  }));

  for (const r of runs) {
    progress(`peak probe, ${r.build}`);
    const probe = makeProbe(r.bench, plan.peak.repMs);
    r.peakIters = probe.iters;
    r.peak = probeReps(probe, plan.peak.reps);
    progress(`  ${median(r.peak).toFixed(1)} GFLOP/s`);
  }

  const micro = new Map<Build, MicrokernelResult>();
  for (const r of runs) {
    progress(`GEMM microkernel alone, panels in L1, ${r.build}`);
    micro.set(r.build, measureMicrokernel(r.bench, makeProbe(r.bench, plan.gemm.probeMs), { ...plan.peak, warmupMs: plan.gemm.warmupMs }));
  }
  const code = new Map<Build, KernelCode | { skipped: string }>();
  for (const r of runs) {
    progress(`GEMM microkernel's machine code (node --print-wasm-code), ${r.build}`);
    const mk = micro.get(r.build)!;
    const [mr, nr] = mk.tile.split('x').map(Number) as [number, number];
    code.set(r.build, kernelCode(BENCH_WASM_FILE[r.build], r.build === 'relaxed', (r.build === 'relaxed' ? 1 : 2) * mr * (nr / 4)));
  }

  const g = plan.gemm;
  const benches = runs.map((r) => new GemmBench(r.k, g.shapes));
  const probes = runs.map((r) => makeProbe(r.bench, g.probeMs));
  try {
    benches.forEach((b) => b.warmUp(g.shapes[Math.min(1, g.shapes.length - 1)]!, 3 * g.warmupMs));
    // every (shape, product, build) cell, repetitions taken in turns
    const cells = g.shapes.flatMap((s) => PRODUCTS.flatMap((p) => runs.map((_, i) => ({ s, p, i, probes: [] as number[] }))));
    progress(`GEMM: ${cells.length} cells (shapes x products x builds), ${g.reps} rounds of one repetition each`);
    const timings = timeInTurns(cells.map((c) => benches[c.i]!.call(c.s, c.p)), {
      repMs: g.repMs, reps: g.reps, warmupMs: g.warmupMs,
      afterRep: (j) => { const c = cells[j]!; c.probes.push(probes[c.i]!.once()); },
    });
    cells.forEach((c, j) => {
      runs[c.i]!.gemm.push(benches[c.i]!.row(c.s, c.p, timings[j]!, c.probes));
      runs[c.i]!.duringGemm.push(...c.probes);
    });
  } finally {
    benches.forEach((b) => b.free());
  }

  // W1, W2, W3: each build's repetitions in turns with the peer's (TF.js wasm, when it loaded)
  const w1 = new Map<Build, { rate: number; spread: number }>();
  const w2 = new Map<Build, { rate: number; spread: number }>();
  const w3 = new Map<Build, { rate: number; spread: number }>();
  const workloads = [
    { name: 'W1 trainBatch', into: w1, ours: (k: Kernels) => mlpStepper(k, W1, data.train), o: plan.w1, peerKey: 'w1' as const,
      peer: peer && (() => tfjsMlpStepper(peer, [784, ...W1.hidden, 10], W1.batch, data.train.x, data.train.y)) },
    { name: 'W2 trainBatch', into: w2, ours: (k: Kernels) => mlpStepper(k, W2, data.train), o: plan.w2, peerKey: 'w2' as const,
      peer: peer && (() => tfjsMlpStepper(peer, [784, ...W2.hidden, 10], W2.batch, data.train.x, data.train.y)) },
    { name: 'W3 linear', into: w3, ours: (k: Kernels) => linearStepper(k), o: plan.w3, peerKey: 'w3' as const,
      peer: peer && (() => tfjsLinearStepper(peer)) },
  ];
  if (peer) await useBackend(peer);
  for (const w of workloads) {
    progress(`${w.name}: ${runs.map((r) => r.build).join(', ')}${w.peer ? ' and TF.js wasm' : ''}, in turns`);
    let rates: { rate: number; spread: number }[] | null = null;
    if (w.peer) {
      // a peer that fails here is measured (or reported as skipped) later by its own suite
      try {
        rates = ratesInTurns([...runs.map((r) => w.ours(r.k)), w.peer()], w.o);
        peerOut[w.peerKey] = rates[runs.length]!.rate;
      } catch (e) {
        progress(`  TF.js wasm failed in turns (${(e as Error).message}); timing ours alone`);
        rates = null;
      }
    }
    rates ??= ratesInTurns(runs.map((r) => w.ours(r.k)), w.o);
    runs.forEach((r, i) => w.into.set(r.build, rates![i]!));
  }
  const fit = new Map<Build, Awaited<ReturnType<typeof fitAgainstTrainBatch>>>();
  const acc = new Map<Build, number>();
  for (const r of runs) { progress(`W1 fit() epoch against trainBatch, ${r.build}`); fit.set(r.build, await fitAgainstTrainBatch(r.k, data.train, 1, plan.fitEpoch)); }
  if (plan.accuracy) {
    for (const r of runs) { progress(`W1 accuracy, 5 epochs, ${r.build}`); acc.set(r.build, await w1Accuracy(r.k, data)); }
  }

  const out: Partial<Record<Build, BuildResult>> = {};
  for (const r of runs) {
    const a = w1.get(r.build)!, f = fit.get(r.build)!;
    out[r.build] = {
      build: r.build, wasm: WASM_FILE[r.build], sha256: wasmSha256(r.build),
      peak: { ...summarisePeak(r.peak, r.peakIters), duringGemm: r.duringGemm.length ? median(r.duringGemm) : undefined },
      gemm: r.gemm,
      microkernel: micro.get(r.build)!,
      kernelCode: code.get(r.build)!,
      w1: { samplesPerSec: a.rate, spread: a.spread, fitEpochSamplesPerSec: f.samplesPerSec, fitSpread: f.spread, fitVsTrainBatch: f.vsTrainBatch },
      w2: { samplesPerSec: w2.get(r.build)!.rate, spread: w2.get(r.build)!.spread },
      w3: { stepsPerSec: w3.get(r.build)!.rate, spread: w3.get(r.build)!.spread },
      ...(acc.has(r.build) ? { accuracy: acc.get(r.build)! } : {}),
    };
  }
  return out;
}
