// The build's GEMM microkernel alone, with its two panels in L1 and one tile of C: the most the
// GEMM could reach on this engine if packing and cache misses cost nothing. Reported beside the
// peak probe, as GFLOP/s and as a % of the probe run right after each repetition, so the gap
// between the probe and the GEMM splits into "the kernel's own instruction stream" and "the rest".
import type { BenchKernels } from './bench-kernels.js';
import { Block } from '../src/runtime/memory.js';
import { median, timeInTurns } from './timing.js';
import type { Probe } from './peak.js';

const KC = 256; // panels of 256 x MR and 256 x NR floats: 12-16 KiB in all, well inside a 32 KiB L1

export interface MicrokernelResult { tile: string; kc: number; gflops: number; pctPeak: number }

export function measureMicrokernel(k: BenchKernels, probe: Probe, o: { repMs: number; reps: number; warmupMs: number }): MicrokernelResult {
  const e = k.exports;
  const blocking = e as unknown as Record<'GEMM_MR' | 'GEMM_NR', WebAssembly.Global>;
  const mr = Number(blocking.GEMM_MR.value), nr = Number(blocking.GEMM_NR.value);
  const pa = new Block(k.arena, KC * mr), pb = new Block(k.arena, KC * nr), c = new Block(k.arena, mr * nr);
  pa.f32.forEach((_, i, a) => { a[i] = ((i * 7) % 13) / 13 - 0.5; });
  pb.f32.forEach((_, i, a) => { a[i] = ((i * 5) % 11) / 11 - 0.5; });
  try {
    const calls = 64;
    const body = () => e.gemm_microkernel_loop(calls, KC, pa.ptr, pb.ptr, c.ptr);
    const flopsPerBody = 2 * mr * nr * KC * calls;
    const probes: number[] = [];
    const [t] = timeInTurns([body], { ...o, afterRep: () => probes.push(probe.once()) });
    const rates = t!.perCall.map((sec) => flopsPerBody / sec / 1e9);
    const ratios = rates.map((g, i) => g / probes[i]!);
    return { tile: `${mr}x${nr}`, kc: KC, gflops: median(rates), pctPeak: 100 * median(ratios) };
  } finally {
    pa.free(); pb.free(); c.free();
  }
}
