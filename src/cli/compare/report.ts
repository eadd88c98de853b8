// The printed table and the --json file.
import type { Report, ProblemResult } from './compare.js';
import type { RunRecord } from './runner.js';
import { describeSettings } from './optimizers.js';

/** the comparison as text: one table per problem */
export function formatTable(report: Report): string {
  return report.problems.map(formatProblem).join('\n');
}

function formatProblem(res: ProblemResult): string {
  const p = res.problem;
  const length = res.epochs !== null ? `${res.epochs} epoch${res.epochs === 1 ? '' : 's'} (${res.steps} steps)` : `${res.steps} steps`;
  const setting = res.tuned ? `tuned: best of the same grid around lr ${res.learningRate}` : `lr ${res.learningRate}, momentum ${res.momentum}`;
  const fair = [
    res.fairness.initialWeights ? `same initial weights (${res.fairness.initialWeights})` : 'DIFFERENT initial weights',
    p.kind === 'data' ? (res.fairness.sameBatches ? `same batches in the same order (${res.fairness.batches ?? 'prefixes only'})` : 'DIFFERENT batches') : null,
  ].filter(Boolean).join(', ');
  const classify = res.runs.some((r) => r.bestTestAccuracy !== null);
  const head = ['optimizer', 'settings', 'final loss', ...(classify ? ['best test acc'] : []), `steps to ${p.target < 0.01 ? p.target.toExponential() : p.target}`, 'diverged'];
  const rows = res.runs.map((r) => [
    r.optimizer,
    describeSettings(r.optimizer, r.learningRate, r.momentum),
    r.diverged ? '—' : sci(r.finalLoss),
    ...(classify ? [r.bestTestAccuracy === null ? '—' : `${(r.bestTestAccuracy * 100).toFixed(1)}%`] : []),
    r.stepsToTarget === null ? '—' : String(r.stepsToTarget),
    r.diverged ? `yes, step ${r.divergedAt}` : 'no',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [
    `${p.title}: ${p.formula}`,
    `  ${setting}, ${length}; ${fair}`,
    line(head),
    ...rows.map(line),
    '',
  ].join('\n');
}

function sci(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 0.01 || Math.abs(v) >= 1e4)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/** everything measured, as JSON (non-finite numbers become null) */
export function toJson(report: Report): string {
  const run = (r: RunRecord) => ({
    optimizer: r.optimizer, learningRate: r.learningRate, momentum: r.momentum,
    finalLoss: r.finalLoss, bestTestAccuracy: r.bestTestAccuracy, testAccuracy: r.testAccuracy,
    stepsToTarget: r.stepsToTarget, steps: r.steps, diverged: r.diverged, divergedAt: r.divergedAt, divergedReason: r.divergedReason,
    fairness: r.fairness, losses: r.losses, path: r.path,
  });
  const out = {
    seed: report.seed, tuned: report.tuned, simd: report.simd, optimizers: report.optimizers,
    problems: report.problems.map((res) => ({
      problem: res.problem.name, title: res.problem.title, formula: res.problem.formula,
      learningRate: res.learningRate, momentum: res.momentum, steps: res.steps, epochs: res.epochs,
      target: res.problem.target, lambdaMax: res.problem.lambdaMax ?? null,
      fairness: res.fairness, runs: res.runs.map(run), trials: res.trials,
    })),
    grids: report.grids,
  };
  return JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n';
}
