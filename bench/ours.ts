// Everything measured on our kernels: peak, GEMM, W1 / W2 / W3 and W1 accuracy, for each build.
// The builds take turns stage by stage (and shape by shape), so a busy spell on this shared machine
// lands on both builds' numbers rather than on one of them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from '../src/index.js';
import type { MnistSplit } from '../src/data/mnist.js';
import { makeProbe, probeReps, summarisePeak } from './peak.js';
import { GemmBench, PRODUCTS } from './gemm.js';
import { fitEpochRate, linearRate, trainBatchRate, w1Accuracy, W1, W2 } from './workloads.js';
import { median } from './timing.js';
import { progress } from './progress.js';
import type { Plan } from './plan.js';
import { shapeName, type Build, type BuildResult, type GemmResult } from './results.js';

/** the file loadKernels({ simd }) loads, relative to the package root */
export const WASM_FILE: Record<Build, string> = { plain: 'build/release.wasm', relaxed: 'build/relaxed.wasm' };

export function wasmSha256(build: Build): string {
  const bytes = readFileSync(fileURLToPath(new URL(`../${WASM_FILE[build]}`, import.meta.url)));
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export async function measureOurs(kernels: Partial<Record<Build, Kernels>>, data: MnistSplit, plan: Plan): Promise<Partial<Record<Build, BuildResult>>> {
  const runs = (Object.entries(kernels) as [Build, Kernels][]).map(([build, k]) => ({
    build, k, peak: [] as number[], peakIters: 0, duringGemm: [] as number[], gemm: [] as GemmResult[],
  }));

  for (const r of runs) {
    progress(`peak probe, ${r.build}`);
    const probe = makeProbe(r.k, plan.peak.repMs);
    r.peakIters = probe.iters;
    r.peak = probeReps(probe, plan.peak.reps);
    progress(`  ${median(r.peak).toFixed(1)} GFLOP/s`);
  }

  const g = plan.gemm;
  const benches = runs.map((r) => new GemmBench(r.k, g.shapes));
  const probes = runs.map((r) => makeProbe(r.k, g.probeMs));
  try {
    benches.forEach((b) => b.warmUp(g.shapes[Math.min(1, g.shapes.length - 1)]!, 3 * g.warmupMs));
    for (const s of g.shapes) {
      for (const p of PRODUCTS) {
        runs.forEach((r, i) => {
          progress(`GEMM ${p} ${shapeName(s)}, ${r.build}`);
          const { row, probes: adjacent } = benches[i]!.measure(s, p, g, probes[i]!);
          r.gemm.push(row);
          r.duringGemm.push(...adjacent);
        });
      }
    }
  } finally {
    benches.forEach((b) => b.free());
  }

  const w1 = new Map<Build, ReturnType<typeof trainBatchRate>>();
  const fit = new Map<Build, Awaited<ReturnType<typeof fitEpochRate>>>();
  const w2 = new Map<Build, ReturnType<typeof trainBatchRate>>();
  const w3 = new Map<Build, ReturnType<typeof linearRate>>();
  const acc = new Map<Build, number>();
  for (const r of runs) { progress(`W1 trainBatch, ${r.build}`); w1.set(r.build, trainBatchRate(r.k, W1, data.train, plan.w1)); }
  for (const r of runs) { progress(`W1 fit() epoch, ${r.build}`); fit.set(r.build, await fitEpochRate(r.k, data.train, plan.fitEpoch)); }
  for (const r of runs) { progress(`W2 trainBatch, ${r.build}`); w2.set(r.build, trainBatchRate(r.k, W2, data.train, plan.w2)); }
  for (const r of runs) { progress(`W3 linear, ${r.build}`); w3.set(r.build, linearRate(r.k, plan.w3)); }
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
      w1: { samplesPerSec: a.samplesPerSec, spread: a.spread, fitEpochSamplesPerSec: f.samplesPerSec, fitSpread: f.spread },
      w2: w2.get(r.build)!, w3: w3.get(r.build)!,
      ...(acc.has(r.build) ? { accuracy: acc.get(r.build)! } : {}),
    };
  }
  return out;
}
