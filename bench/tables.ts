// The report's tables as rows of strings, rendered as text by report.ts and as markdown by readme.ts.
import {
  PRODUCT_LABEL, gemmTargetShape, isSkipped, shapeName,
  type Build, type NumpyResult, type Product, type Results, type TfjsResult,
} from './results.js';

export interface Table { headers: string[]; rows: string[][]; align: ('l' | 'r')[] }

const DASH = '–';
export const int = (v: number) => Math.round(v).toLocaleString('en-US');
export const g1 = (v: number) => v.toFixed(1);
export const x1 = (v: number) => (v >= 100 ? `${v.toFixed(0)}x` : `${v.toFixed(1)}x`);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function builds(r: Results): Build[] {
  return (['plain', 'relaxed'] as const).filter((b) => r.builds[b] !== undefined);
}

interface PeerCol { label: string; tf?: TfjsResult; np?: NumpyResult; skipped?: string }

function peerCols(r: Results): PeerCol[] {
  if (!r.peers) return [];
  const cols: PeerCol[] = [];
  const { tfjsWasm, tfjsCpu, numpy } = r.peers;
  cols.push(isSkipped(tfjsWasm) ? { label: 'TF.js wasm', skipped: tfjsWasm.skipped } : { label: 'TF.js wasm', tf: tfjsWasm });
  if (!(isSkipped(tfjsCpu) && tfjsCpu.skipped === 'not run')) {
    cols.push(isSkipped(tfjsCpu) ? { label: 'TF.js cpu', skipped: tfjsCpu.skipped } : { label: 'TF.js cpu', tf: tfjsCpu });
  }
  cols.push(isSkipped(numpy) ? { label: 'numpy', skipped: numpy.skipped } : { label: 'numpy', np: numpy });
  return cols;
}

function peerGemm(c: PeerCol, m: number, k: number, n: number, p: Product): number | undefined {
  const list = c.tf?.gemm ?? c.np?.gemm ?? [];
  return list.find((g) => g.m === m && g.k === k && g.n === n && g.product === p)?.gflops;
}

export function gemmTable(r: Results): Table {
  const bs = builds(r);
  const cols = peerCols(r);
  const head = r.headline;
  const tfw = cols.find((c) => c.label === 'TF.js wasm' && c.tf);
  const headers = ['M×K×N', 'product', ...bs.map((b) => `${b} GFLOP/s (% peak)`), ...cols.map((c) => c.label), ...(tfw ? [`${head} / TF.js wasm`] : [])];
  const rows: string[][] = [];
  rows.push(['peak probe', '12 mul-add chains', ...bs.map((b) => g1(r.builds[b]!.peak.gflops)), ...cols.map(() => ''), ...(tfw ? [''] : [])]);
  if (bs.every((b) => r.builds[b]!.microkernel)) {
    const mk = (b: Build) => r.builds[b]!.microkernel!;
    rows.push(['microkernel', `alone, panels in L1 (${bs.map((b) => `${mk(b).tile} ${b}`).join(', ')}; k ${mk(bs[0]!).kc})`,
      ...bs.map((b) => `${g1(mk(b).gflops)} (${mk(b).pctPeak.toFixed(0)}%)`), ...cols.map(() => ''), ...(tfw ? [''] : [])]);
  }
  if (bs.some((b) => r.builds[b]!.kernelCode)) {
    const kc = (b: Build) => {
      const c = r.builds[b]!.kernelCode;
      if (!c || 'skipped' in c) return DASH;
      const other = Math.round(10 * (c.instructions - c.arithmetic - c.loads)) / 10;
      return `${c.instructions} = ${c.arithmetic} + ${c.loads} + ${other}`;
    };
    rows.push(['k step', 'x64 instructions per k = arithmetic + loads + other', ...bs.map(kc), ...cols.map(() => ''), ...(tfw ? [''] : [])]);
  }
  const first = r.builds[bs[0]!]!;
  for (const g of first.gemm) {
    const cells = bs.map((b) => {
      const mine = r.builds[b]!.gemm.find((o) => o.product === g.product && shapeName(o) === shapeName(g));
      if (!mine) return DASH;
      const flag = gemmTargetShape(mine) && mine.pctPeak < 85 ? ' *' : '';
      return `${g1(mine.gflops)} (${mine.pctPeak.toFixed(0)}%)${flag}`;
    });
    const peer = cols.map((c) => {
      const v = peerGemm(c, g.m, g.k, g.n, g.product);
      return v === undefined ? DASH : g1(v);
    });
    const ours = r.builds[head]?.gemm.find((o) => o.product === g.product && shapeName(o) === shapeName(g));
    const tv = tfw ? peerGemm(tfw, g.m, g.k, g.n, g.product) : undefined;
    rows.push([shapeName(g), `${g.product} ${PRODUCT_LABEL[g.product]}`, ...cells, ...peer,
      ...(tfw ? [ours && tv !== undefined ? x1(ours.gflops / tv) : DASH] : [])]);
  }
  return { headers, rows, align: ['l', 'l', ...bs.map(() => 'r' as const), ...cols.map(() => 'r' as const), ...(tfw ? ['r' as const] : [])] };
}

export function workloadTable(r: Results): Table {
  const bs = builds(r);
  const cols = peerCols(r);
  const head = r.headline;
  const tfw = cols.find((c) => c.label === 'TF.js wasm' && c.tf)?.tf;
  const np = cols.find((c) => c.np)?.np;
  const headers = ['workload', 'unit', ...bs, ...cols.map((c) => c.label),
    ...(tfw ? [`${head} / TF.js wasm`] : []), ...(np ? [`${head} / numpy`] : [])];
  const rows: string[][] = [];
  const add = (name: string, unit: string, ours: (b: Build) => number | undefined, peer: (c: PeerCol) => number | undefined, fmt: (v: number) => string, ratios: boolean) => {
    const mine = bs.map((b) => ours(b));
    const headV = ours(head);
    const pv = cols.map((c) => (c.skipped ? undefined : peer(c)));
    const tv = tfw ? peer({ label: 'TF.js wasm', tf: tfw }) : undefined;
    const nv = np ? peer({ label: 'numpy', np }) : undefined;
    rows.push([
      name, unit, ...mine.map((v) => (v === undefined ? DASH : fmt(v))), ...pv.map((v) => (v === undefined ? DASH : fmt(v))),
      ...(tfw ? [ratios && headV !== undefined && tv !== undefined ? x1(headV / tv) : DASH] : []),
      ...(np ? [ratios && headV !== undefined && nv !== undefined ? (headV / nv).toFixed(2) : DASH] : []),
    ]);
  };
  add('W1 784-128-10, batch 64, trainBatch', 'samples/s', (b) => r.builds[b]?.w1.samplesPerSec, (c) => c.tf?.w1SamplesPerSec ?? c.np?.w1SamplesPerSec, int, true);
  add('W1 one fit() epoch (8,000 rows; data copy included)', 'samples/s', (b) => r.builds[b]?.w1.fitEpochSamplesPerSec, () => undefined, int, false);
  if (bs.some((b) => r.builds[b]?.w1.fitVsTrainBatch !== undefined)) {
    add('W1 fit() epoch against trainBatch, step by step in turns', 'ratio', (b) => r.builds[b]?.w1.fitVsTrainBatch, () => undefined, (v) => v.toFixed(3), false);
  }
  add('W2 784-512-512-10, batch 256', 'samples/s', (b) => r.builds[b]?.w2.samplesPerSec, (c) => c.tf?.w2SamplesPerSec ?? c.np?.w2SamplesPerSec, int, true);
  add('W3 one weight, y = 2x, full batch', 'steps/s', (b) => r.builds[b]?.w3.stepsPerSec, (c) => c.tf?.w3StepsPerSec, int, true);
  if (bs.some((b) => r.builds[b]!.accuracy !== undefined)) {
    add('W1 test accuracy, 5 epochs', 'accuracy', (b) => r.builds[b]?.accuracy, (c) => c.tf?.accuracy, pct, false);
  }
  return { headers, rows, align: ['l', 'l', ...headers.slice(2).map(() => 'r' as const)] };
}

export function targetTable(r: Results): Table {
  return {
    headers: ['target (issue 3)', 'wanted', 'this run', ''],
    rows: r.targets.map((t) => [t.name, t.want, t.got, t.met ? 'met' : 'MISSED']),
    align: ['l', 'l', 'l', 'l'],
  };
}

/** one line each: what ran, on what, and what was skipped */
export function setupLines(r: Results): string[] {
  const lines: string[] = [];
  const m = r.machine;
  const end = m.loadAverageEnd === undefined ? '' : `, ${m.loadAverageEnd} at the end`;
  lines.push(`${m.cpu}, ${m.cores} cores, ${m.os} ${m.arch}, Node ${m.node} (V8 ${m.v8}), load average ${m.loadAverage} at the start${end}`);
  lines.push(`${r.threads ? `single thread everywhere but the Threads table (1 thread and ${r.threads.counts.at(-1)}, in turns)` : 'single thread everywhere'}; each number is the median of several timed repetitions after a warm-up; ratios use the ${r.headline} build (what loadKernels() picks here) and peers measured in this run`);
  for (const b of builds(r)) {
    const br = r.builds[b]!;
    const during = br.peak.duringGemm === undefined ? '' : ` (${g1(br.peak.duringGemm)} in the probes between GEMM repetitions)`;
    lines.push(`ours, ${b} SIMD: ${br.wasm} (sha256 ${br.sha256}), in-run peak ${g1(br.peak.gflops)} GFLOP/s${during}`);
  }
  for (const [b, why] of Object.entries(r.skippedBuilds)) lines.push(`ours, ${b} SIMD: skipped (${why})`);
  if (!r.peers) lines.push('peers: not run (--no-peers)');
  else {
    for (const p of [r.peers.tfjsWasm, r.peers.tfjsCpu]) {
      if (isSkipped(p)) { if (p.skipped !== 'not run') lines.push(`TF.js: skipped (${p.skipped})`); continue; }
      const extra = p.backend === 'wasm' ? `, SIMD ${p.simd ? 'on' : 'off'}, threads ${p.threads ? 'on' : 'off'}` : '';
      const gemm = [...new Set(p.gemm.map(shapeName))].join(' and ');
      lines.push(`TF.js ${p.version} ${p.backend} backend${extra}; GEMM measured on ${gemm} only (its Aᵀ·B and A·Bᵀ run at ~1 GFLOP/s)`);
    }
    const np = r.peers.numpy;
    if (isSkipped(np)) lines.push(`numpy: skipped (${np.skipped})`);
    else {
      const core = np.openblasCore ? `, OpenBLAS core ${np.openblasCore}` : '';
      lines.push(`numpy ${np.numpy} (Python ${np.python}${np.blas ? `, ${np.blas}` : ''}${core}), OPENBLAS_NUM_THREADS=1 (single thread), OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset`);
    }
  }
  return lines;
}
