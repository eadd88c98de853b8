// `momentum-wasm compare` (issue 6): the fairness record (same start, same batches), momentum
// against gradient descent on the ravine, the lr × momentum grid against the stability theory,
// the contour tracer, the SVG (well-formed, one path per optimizer) and the command's files.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, dense, type Kernels } from '../src/index.js';
import { PROBLEMS, type DataProblem } from '../src/cli/compare/problems.js';
import { prepare, run, fitOrder, firstAtMost, type RunRecord } from '../src/cli/compare/runner.js';
import { compare, compareOn, TUNE_LR_FACTORS, TUNE_MOMENTA } from '../src/cli/compare/compare.js';
import { sweep, stabilityBound } from '../src/cli/compare/grid.js';
import { sample, contour } from '../src/cli/compare/contour.js';
import { renderReport } from '../src/cli/compare/page.js';
import { toJson, formatTable } from '../src/cli/compare/report.js';
import { compareCommand, parseCompareArgs } from '../src/cli/compare/command.js';
import { fingerprint } from '../src/cli/compare/fairness.js';
import { OPTIMIZER_NAMES, makeOptimizer } from '../src/cli/compare/optimizers.js';
import { kernelsUnderTest } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

const ALL = OPTIMIZER_NAMES.slice();

// ------------------------------------------------------------------ a tiny XML well-formedness checker
// Enough of XML 1.0 for what we write: prolog, comments, elements, attributes, text, entities.
// Throws with the offset of the first problem; returns the element names in document order.
function checkXml(src: string): string[] {
  let i = 0;
  const names: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const fail = (what: string): never => { throw new Error(`XML: ${what} at offset ${i}: ${JSON.stringify(src.slice(i, i + 40))}`); };
  const isNameChar = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '-' || c === '_' || c === ':' || c === '.';
  const name = (): string => {
    const s = i;
    while (i < src.length && isNameChar(src[i]!)) i++;
    if (i === s) fail('expected a name');
    return src.slice(s, i);
  };
  const space = () => { while (i < src.length && ' \t\r\n'.includes(src[i]!)) i++; };
  const entity = () => {
    // at '&': &amp; &lt; &gt; &quot; &apos; &#123; &#x1F;
    const end = src.indexOf(';', i);
    if (end < 0 || end - i > 10) fail('unterminated entity');
    const body = src.slice(i + 1, end);
    const ok = ['amp', 'lt', 'gt', 'quot', 'apos'].includes(body) ||
      (body.startsWith('#x') && body.length > 2 && [...body.slice(2)].every((c) => '0123456789abcdefABCDEF'.includes(c))) ||
      (body.startsWith('#') && !body.startsWith('#x') && body.length > 1 && [...body.slice(1)].every((c) => c >= '0' && c <= '9'));
    if (!ok) fail(`unknown entity &${body};`);
    i = end + 1;
  };
  if (src.startsWith('<?xml')) {
    const end = src.indexOf('?>');
    if (end < 0) fail('unterminated prolog');
    i = end + 2;
  }
  while (i < src.length) {
    const c = src[i]!;
    if (c === '<') {
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (src[i + 1] === '/') {
        i += 2;
        const n = name();
        space();
        if (src[i] !== '>') fail("expected '>'");
        i++;
        if (stack.pop() !== n) fail(`</${n}> does not close the open element`);
      } else {
        i++;
        const n = name();
        if (stack.length === 0 && ++roots > 1) fail('a second root element');
        names.push(n);
        const seen = new Set<string>();
        for (;;) {
          const before = i;
          space();
          if (src[i] === '/' && src[i + 1] === '>') { i += 2; break; }
          if (src[i] === '>') { i++; stack.push(n); break; }
          if (i === before) fail('expected whitespace before an attribute');
          const a = name();
          if (seen.has(a)) fail(`duplicate attribute ${a}`);
          seen.add(a);
          space();
          if (src[i] !== '=') fail("expected '='");
          i++;
          space();
          const q = src[i];
          if (q !== '"' && q !== "'") fail('expected a quoted value');
          i++;
          while (src[i] !== q) {
            if (i >= src.length) fail('unterminated attribute value');
            if (src[i] === '<') fail("'<' in an attribute value");
            if (src[i] === '&') entity(); else i++;
          }
          i++;
        }
      }
    } else if (c === '&') {
      entity();
    } else {
      if (stack.length === 0 && !' \t\r\n'.includes(c)) fail('text outside the root element');
      i++;
    }
  }
  if (stack.length) fail(`unclosed <${stack[stack.length - 1]}>`);
  if (roots !== 1) fail('no root element');
  return names;
}

/** how many times `needle` occurs in `hay` (no regular expressions) */
function count(hay: string, needle: string): number {
  let n = 0;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) n++;
  return n;
}

describe('the XML checker itself', () => {
  it('accepts well-formed documents and rejects broken ones', () => {
    expect(checkXml('<?xml version="1.0"?>\n<a x="1" y=\'2\'><b/><c>t &amp; &#916; &#x394;</c><!-- note --></a>\n')).toEqual(['a', 'b', 'c']);
    for (const bad of ['<a><b></a></b>', '<a>', '<a x="1" x="2"/>', '<a x=1/>', '<a>&nbsp;</a>', '<a>1 < 2</a>', '<a/><b/>', '<a x="<"/>', 'text<a/>']) {
      expect(() => checkXml(bad), bad).toThrow(/XML/);
    }
  });
});

// ------------------------------------------------------------------ fairness

describe('fairness: the runner records the start and the batches of every run', () => {
  it('mnist: every optimizer starts from the same weights and trains on the same batches in the same order', async () => {
    const prepared = await prepare(k, PROBLEMS.mnist, { seed: 7, epochs: 1 });
    const res = await compareOn(k, prepared, { optimizers: ALL });
    expect(res.runs.map((r) => r.optimizer)).toEqual(ALL);
    const [first, ...rest] = res.runs as [RunRecord, ...RunRecord[]];
    expect(first.diverged).toBe(false);
    // the weights each run read back from wasm memory before its first step
    expect(first.initialWeights.length).toBe(4); // kernel, bias, kernel, bias
    first.initialWeights.forEach((w, i) => expect(w).toEqual(prepared.initial[i]));
    // the batches: one epoch of 4000 rows in batches of 32, every row exactly once, shuffled
    const rows = first.batchIndices!;
    expect(first.fairness.batchCount).toBe(Math.ceil(4000 / 32));
    expect(rows.length).toBe(4000);
    expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: 4000 }, (_, i) => i));
    expect(rows.slice(0, 10)).not.toEqual(Int32Array.from({ length: 10 }, (_, i) => i));
    for (const r of rest) {
      expect(r.diverged, r.optimizer).toBe(false);
      expect(r.fairness.initialWeights, r.optimizer).toBe(first.fairness.initialWeights);
      expect(r.fairness.batches, r.optimizer).toBe(first.fairness.batches);
      r.initialWeights.forEach((w, i) => expect(w).toEqual(first.initialWeights[i]));
      expect(r.batchIndices).toEqual(rows);
    }
    expect(res.fairness).toEqual({ initialWeights: first.fairness.initialWeights, batches: first.fairness.batches, sameBatches: true });
    // …and the optimizers really differ: same start, different ends
    expect(new Set(res.runs.map((r) => r.finalLoss)).size).toBe(ALL.length);
    // the fingerprints see the data: another seed, another start and another order
    const other = await run(k, await prepare(k, PROBLEMS.mnist, { seed: 8, epochs: 1 }), { optimizer: 'gd', learningRate: 0.05, momentum: 0 });
    expect(other.fairness.initialWeights).not.toBe(first.fairness.initialWeights);
    expect(other.fairness.batches).not.toBe(first.fairness.batches);
  });

  it('the same seed gives the same plan; fingerprints are of exact bits', async () => {
    const a = await prepare(k, PROBLEMS.mnist, { seed: 3, epochs: 2 });
    const b = await prepare(k, PROBLEMS.mnist, { seed: 3, epochs: 2 });
    expect(fingerprint(a.initial)).toBe(fingerprint(b.initial));
    expect(fingerprint(a.plan!)).toBe(fingerprint(b.plan!));
    expect(a.plan!.length).toBe(2 * 125);
    expect(fingerprint([Float32Array.of(0)])).not.toBe(fingerprint([Float32Array.of(-0)]));
    expect(fingerprint([Int32Array.of(1, 2)])).not.toBe(fingerprint([Int32Array.of(2, 1)]));
  });

  // a regression with two weights (w, b), so a run records its path after every update: 10 rows in
  // batches of 3 (the last one short), shuffled, 3 epochs
  const TINY_X = Float32Array.from({ length: 10 }, (_, i) => i / 3 - 1);
  const tiny: DataProblem = {
    ...(PROBLEMS.linear as DataProblem),
    length: 'epochs',
    defaultLength: 3,
    load: async () => ({
      x: TINY_X, y: Float32Array.from(TINY_X, (x) => 3 * x - 1 + 0.1 * Math.sin(7 * x)), rows: 10, inputSize: 1,
      layers: [dense(1, 'linear')], loss: 'mse', initial: [Float32Array.of(0.5), Float32Array.of(-0.25)], batchSize: 3, shuffle: true,
    }),
  };

  it('the recorded batches are the ones fit trained on: replaying them through trainBatch gives the same weights, bit for bit, at every step', async () => {
    const prepared = await prepare(k, tiny, { seed: 5 });
    const plan = prepared.plan!;
    expect(plan.map((b) => b.length)).toEqual([3, 3, 3, 1, 3, 3, 3, 1, 3, 3, 3, 1]);
    const r = await run(k, prepared, { optimizer: 'momentum', learningRate: 0.05, momentum: 0.9 });
    expect(r.diverged).toBe(false);
    expect(r.steps).toBe(12);
    expect(r.fairness.batchCount).toBe(12);
    expect(r.batchIndices).toEqual(Int32Array.from(plan.flatMap((b) => [...b])));
    // the same start, optimizer and batches, one trainBatch per batch of the given order
    const replay = (batches: readonly Int32Array[]): { path: number[][]; losses: number[] } => {
      const m = k.sequential({ inputSize: 1, layers: [dense(1, 'linear')], loss: 'mse', seed: prepared.seed });
      try {
        m.setWeights(prepared.initial);
        const opt = makeOptimizer('momentum', 0.05, 0.9);
        const snap = () => m.parameters().flatMap((p) => Array.from(p.value));
        const path = [snap()], losses: number[] = [];
        const data = prepared.data!;
        for (const rows of batches) {
          const x = Float32Array.from(rows, (i) => data.x[i]!), y = Float32Array.from(rows, (i) => (data.y as Float32Array)[i]!);
          losses.push(m.trainBatch(x, y, opt));
          path.push(snap());
        }
        return { path, losses };
      } finally {
        m.dispose();
      }
    };
    const same = replay(plan);
    expect(r.path).toEqual(same.path); // exact: float32 values widened to numbers
    expect(r.losses.slice(0, 12)).toEqual(same.losses);
    // …and the order matters, so this is a real check: another shuffle trains to other weights
    const other = replay(fitOrder(10, { ...prepared.fit!, seed: prepared.fit!.seed + 1 }));
    expect(other.path[12]).not.toEqual(r.path![12]);
  });

  it('a data run that diverges stops there: the loss-growth rule after that batch, a non-finite loss before its update', async () => {
    const prepared = await prepare(k, PROBLEMS.linear, { seed: 1 });
    // lr·λ = 15: the weight's error grows 14-fold per step, past 10⁶ times the start within a few steps
    const grew = await run(k, prepared, { optimizer: 'gd', learningRate: 1, momentum: 0 });
    expect(grew.diverged).toBe(true);
    expect(grew.divergedReason).toMatch(/grew past/);
    expect(grew.divergedAt).toBeGreaterThan(2);
    expect(grew.divergedAt).toBeLessThan(10);
    expect(grew.steps).toBe(grew.divergedAt);
    expect(grew.losses.length).toBe(grew.steps);
    expect(grew.losses[grew.steps - 1]).toBeGreaterThan(1e6 * grew.losses[0]!);
    expect(grew.path!.length).toBe(grew.steps + 1);
    expect(grew.batchIndices!.length).toBe(4 * grew.steps);
    expect(grew.finalLoss).toBe(Infinity);
    // one huge step: the second batch's loss overflows float32, and fit stops before updating
    const nan = await run(k, prepared, { optimizer: 'gd', learningRate: 1e30, momentum: 0 });
    expect(nan.diverged).toBe(true);
    expect(nan.divergedAt).toBe(2);
    expect(nan.steps).toBe(1);
    expect(nan.divergedReason).toMatch(/step 2/);
    expect(nan.losses.length).toBe(1);
    expect(nan.fairness.batchCount).toBe(1);
    expect(nan.finalLoss).toBe(Infinity);
  });

  it('surfaces: every run starts at the problem\'s start point; a diverged run is recorded, not thrown', async () => {
    const prepared = await prepare(k, PROBLEMS.ravine, { seed: 1, steps: 40 });
    const res = await compareOn(k, prepared, { optimizers: ALL, learningRate: 0.018, momentum: 0.9 });
    for (const r of res.runs) {
      expect(r.initialWeights[0]).toEqual(Float32Array.of(-9, 1.5));
      expect(r.path![0]).toEqual([-9, 1.5]);
      expect(r.batchIndices).toBeNull();
    }
    expect(res.fairness.initialWeights).not.toBeNull();
    // Nesterov is stable on a quadratic only for lr·λ < 2(1 + β)/(1 + 2β) ≈ 1.36 at β = 0.9; here lr·λ = 1.8
    const nesterov = res.runs.find((r) => r.optimizer === 'nesterov')!;
    expect(nesterov.diverged).toBe(true);
    expect(nesterov.divergedAt).toBeGreaterThan(1);
    expect(nesterov.finalLoss).toBe(Infinity);
    expect(nesterov.losses.length).toBeLessThanOrEqual(nesterov.divergedAt! + 1);
    for (const r of res.runs.filter((r) => r.optimizer !== 'nesterov')) expect(r.diverged, r.optimizer).toBe(false);
  });

  it('linear: the founding document\'s regression, full batch from w = 0, same for all', async () => {
    const prepared = await prepare(k, PROBLEMS.linear, { seed: 1 });
    const res = await compareOn(k, prepared, { optimizers: ALL });
    for (const r of res.runs) {
      expect(r.initialWeights).toEqual([Float32Array.of(0)]);
      expect(r.losses[0]).toBeCloseTo(30, 4); // 7.5 (0 − 2)²
      expect(r.learningRate).toBe(0.01);
      expect(r.batchIndices).toEqual(Int32Array.from({ length: 60 * 4 }, (_, i) => i % 4));
    }
    const gd = res.runs[0]!;
    expect(gd.path![gd.path!.length - 1]![0]).toBeCloseTo(2, 3);
    expect(res.fairness.sameBatches).toBe(true);
  });
});

// ------------------------------------------------------------------ momentum on the ravine

describe('the ravine', () => {
  it('plain gradient descent zigzags across the valley (y flips sign every step) at the default rate', async () => {
    const r = await run(k, await prepare(k, PROBLEMS.ravine, { seed: 1, steps: 20 }), { optimizer: 'gd', learningRate: 0.018, momentum: 0 });
    const ys = r.path!.map((p) => p[1]!);
    for (let t = 1; t < ys.length; t++) {
      expect(Math.sign(ys[t]!)).toBe(-Math.sign(ys[t - 1]!));
      expect(ys[t]! / ys[t - 1]!).toBeCloseTo(1 - 0.018 * 100, 4);
    }
  });

  it.each([0.018, 0.01, 0.005])('momentum beats plain gradient descent at the same learning rate %s', async (lr) => {
    const prepared = await prepare(k, PROBLEMS.ravine, { seed: 1, steps: 150 });
    const gd = await run(k, prepared, { optimizer: 'gd', learningRate: lr, momentum: 0 });
    const mom = await run(k, prepared, { optimizer: 'momentum', learningRate: lr, momentum: 0.9 });
    expect(gd.diverged || mom.diverged).toBe(false);
    // x shrinks by (1 − lr) per step for gd, by about √0.9 ≈ 0.949 for momentum: orders of magnitude apart
    expect(mom.finalLoss).toBeLessThan(gd.finalLoss / 100);
    expect(mom.stepsToTarget).not.toBeNull();
    expect(gd.stepsToTarget).toBeNull();
  });

  it('the default comparison: momentum reaches the target, gd does not, and the table says so', async () => {
    const report = await compare(k, { problems: ['ravine'], optimizers: ALL, seed: 1 });
    const [gd, mom] = report.problems[0]!.runs;
    expect(mom!.finalLoss).toBeLessThan(1e-3);
    expect(gd!.finalLoss).toBeGreaterThan(0.05);
    const table = formatTable(report);
    expect(table).toContain('Ravine');
    expect(table).toMatch(/nesterov\s+lr 0\.018, β 0\.9\s+—\s+—\s+yes, step \d+/);
    expect(table).toMatch(/gd\s+lr 0\.018\s+0\.\d+\s+—\s+no/);
  });
});

// ------------------------------------------------------------------ tuning

describe('--tune', () => {
  it('gives every optimizer the same grid of learning rates (and momenta) and shows its best', async () => {
    const prepared = await prepare(k, PROBLEMS.ravine, { seed: 1, steps: 60 });
    const res = await compareOn(k, prepared, { optimizers: ALL, tune: true });
    const lrs = TUNE_LR_FACTORS.map((f) => 0.018 * f);
    res.trials!.forEach((trials, i) => {
      const name = ALL[i]!;
      const momentumMethod = name === 'momentum' || name === 'nesterov';
      expect(trials.length, name).toBe(lrs.length * (momentumMethod ? TUNE_MOMENTA.length : 1));
      expect([...new Set(trials.map((t) => t.learningRate))]).toEqual(lrs);
      if (momentumMethod) expect([...new Set(trials.map((t) => t.momentum))]).toEqual([...TUNE_MOMENTA]);
      const best = Math.min(...trials.filter((t) => !t.diverged).map((t) => t.finalLoss));
      expect(res.runs[i]!.finalLoss).toBe(best);
      expect(res.runs[i]!.diverged).toBe(false);
    });
    // tuned, Adam is no longer stuck at a rate made for SGD
    const adam = res.runs[3]!;
    expect(adam.learningRate).toBeGreaterThan(0.018);
  });
});

// ------------------------------------------------------------------ the grid against theory

describe('--grid: the divergence region matches 0 < lr·λ < 2(1 + β)', () => {
  it.each(['ravine', 'linear'] as const)('%s: cells well inside the bound converge, cells well outside diverge', async (name) => {
    const prepared = await prepare(k, PROBLEMS[name], { seed: 1 });
    const g = await sweep(k, prepared);
    expect(g.lambdaMax).toBe(name === 'ravine' ? 100 : 15);
    let inside = 0, outside = 0;
    for (const row of g.cells) {
      for (const cell of row) {
        const bound = stabilityBound(g.lambdaMax, cell.momentum);
        const where = `lr ${cell.learningRate.toPrecision(3)}, β ${cell.momentum} (bound ${bound.toPrecision(3)})`;
        if (cell.learningRate < 0.8 * bound) {
          inside++;
          expect(cell.diverged, where).toBe(false);
          expect(cell.finalLoss, where).toBeLessThan(g.initialLoss);
        } else if (cell.learningRate > 1.25 * bound) {
          outside++;
          expect(cell.diverged, where).toBe(true);
        }
      }
    }
    expect(inside).toBeGreaterThan(200);
    expect(outside).toBeGreaterThan(50);
  });
});

// ------------------------------------------------------------------ contours

describe('contour', () => {
  it('traces circles of x² + y² as closed loops of the right radius, and the ravine\'s ellipses', () => {
    const s = sample((x, y) => x * x + y * y, [-2, 2], [-2, 2], 80, 80);
    for (const r of [0.5, 1, 1.7]) {
      const lines = contour(s, r * r);
      expect(lines.length).toBe(1);
      const line = lines[0]!;
      expect(line[0]).toEqual(line[line.length - 1]); // closed
      expect(line.length).toBeGreaterThan(20);
      for (const [x, y] of line) expect(Math.abs(Math.hypot(x, y) - r)).toBeLessThan(0.01);
    }
    const ravine = PROBLEMS.ravine;
    if (ravine.kind !== 'surface') throw new Error('ravine is a surface');
    const e = contour(sample(ravine.f, ravine.view.x, ravine.view.y, 160, 120), 2);
    expect(e.length).toBe(1);
    for (const [x, y] of e[0]!) expect(ravine.f(x, y)).toBeCloseTo(2, 0);
    // a level cut by the window's edge is an open line
    const open = contour(s, 5);
    expect(open.length).toBe(4);
  });
});

// ------------------------------------------------------------------ the picture and the files

describe('the SVG', () => {
  it('is well-formed XML with one loss curve per optimizer for every problem, one trajectory per optimizer on each map, and the heat maps', async () => {
    const report = await compare(k, { problems: ['ravine', 'rosenbrock', 'linear'], optimizers: ALL, seed: 1, steps: 40, grid: ['ravine', 'linear'] });
    const svg = renderReport(report);
    const names = checkXml(svg);
    expect(names[0]).toBe('svg');
    expect(count(svg, 'class="curve"')).toBe(3 * ALL.length);
    for (const p of ['ravine', 'rosenbrock']) {
      const start = svg.indexOf(`class="panel contour" data-problem="${p}"`);
      expect(start).toBeGreaterThan(0);
      const panel = svg.slice(start, svg.indexOf('class="panel', start + 10));
      for (const o of ALL) expect(count(panel, `class="trajectory" data-optimizer="${o}"`), `${p} ${o}`).toBe(1);
    }
    for (const o of ALL) expect(count(svg, `class="weight" data-optimizer="${o}"`)).toBe(1);
    expect(count(svg, 'class="panel grid"')).toBe(2);
    expect(count(svg, 'class="bound"')).toBe(2);
    expect(count(svg, 'class="cell diverged"')).toBeGreaterThan(50);
    // deterministic: the same report draws the same picture
    expect(renderReport(report)).toBe(svg);
  });

  it('draws a diverged run as a ✕ where it leaves, and stays well-formed with odd numbers (zero loss, Infinity)', async () => {
    const report = await compare(k, { problems: ['ravine', 'linear'], optimizers: ALL, seed: 1, steps: 80, learningRate: 0.02, tune: false });
    const svg = renderReport(report);
    checkXml(svg);
    expect(count(svg, 'class="diverged"')).toBeGreaterThan(0);
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('Infinity');
    const json = JSON.parse(toJson(report)) as { problems: Array<{ runs: Array<{ finalLoss: number | null; diverged: boolean }> }> };
    const diverged = json.problems[0]!.runs.filter((r) => r.diverged);
    expect(diverged.length).toBeGreaterThan(0);
    for (const r of diverged) expect(r.finalLoss).toBeNull();
  });
});

describe('the command', () => {
  it('writes the SVG and the JSON and prints the table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mw-compare-'));
    try {
      const out: string[] = [];
      await compareCommand(['--problem', 'ravine,linear', '--steps', '50', '--grid', '--out', join(dir, 'c.svg'), '--json', join(dir, 'c.json')],
        () => Promise.resolve(k), (s) => out.push(s));
      const text = out.join('');
      expect(text).toContain('Ravine');
      expect(text).toContain('Linear regression');
      expect(text).toContain('same initial weights');
      expect(text).toContain(`wrote ${join(dir, 'c.svg')} and ${join(dir, 'c.json')}`);
      const svg = await readFile(join(dir, 'c.svg'), 'utf8');
      checkXml(svg);
      expect(count(svg, 'class="trajectory"')).toBe(ALL.length);
      const json = JSON.parse(await readFile(join(dir, 'c.json'), 'utf8')) as {
        problems: Array<{ problem: string; runs: Array<{ optimizer: string; losses: number[]; fairness: { initialWeights: string } }> }>;
        grids: Array<{ problem: string; cells: unknown[][] }>;
      };
      expect(json.problems.map((p) => p.problem)).toEqual(['ravine', 'linear']);
      for (const p of json.problems) {
        expect(p.runs.map((r) => r.optimizer)).toEqual(ALL);
        expect(new Set(p.runs.map((r) => r.fairness.initialWeights)).size).toBe(1);
      }
      expect(json.grids.map((g) => g.problem)).toEqual(['ravine', 'linear']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--help prints the options; bad options name themselves', async () => {
    const out: string[] = [];
    await compareCommand(['--help'], () => Promise.reject(new Error('no kernels needed')), (s) => out.push(s));
    expect(out.join('')).toContain('--tune');
    const bad: Array<[string[], string]> = [
      [['--problem', 'mnist,moon'], '--problem'], [['--optimizers', 'sgd'], '--optimizers'], [['--lr', '0'], '--lr'],
      [['--lr', 'fast'], '--lr'], [['--momentum', '1'], '--momentum'], [['--steps', '2.5'], '--steps'], [['--epochs', '0'], '--epochs'],
      [['--seed=-1'], '--seed'], [['--problem', 'mnist', '--grid'], '--grid'], [['--momentum', '0'], '--momentum'], [['ravine'], 'compare'],
    ];
    for (const [args, flag] of bad) {
      let err: unknown;
      try { parseCompareArgs(args); } catch (e) { err = e; }
      expect(err, args.join(' ')).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).argument, args.join(' ')).toBe(flag);
    }
    const ok = parseCompareArgs(['--problem', 'ravine', '--optimizers', 'gd,adam', '--lr', '0.02', '--tune', '--seed', '5']);
    expect(ok.options).toMatchObject({ problems: ['ravine'], optimizers: ['gd', 'adam'], learningRate: 0.02, tune: true, seed: 5 });
    expect(ok.out).toBe('compare.svg');
    expect(parseCompareArgs([]).options.problems).toEqual(['mnist', 'ravine', 'rosenbrock', 'linear']);
  });

  it('steps to target uses a full trailing window', () => {
    expect(firstAtMost([5, 4, 3, 2, 1], 2, 1)).toBe(3);
    expect(firstAtMost([5, 1, 1, 1, 1], 1, 3)).toBe(3);
    expect(firstAtMost([5, 4], 1, 1)).toBeNull();
  });
});
