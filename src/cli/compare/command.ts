// `momentum-wasm compare`: parse the options, run the comparison, print the table, write the SVG
// (and the JSON). Bad options throw InvalidArgumentError naming the option.
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import type { Kernels } from '../../index.js';
import { InvalidArgumentError } from '../../index.js';
import { PROBLEM_NAMES, PROBLEMS, type ProblemName } from './problems.js';
import { OPTIMIZER_NAMES, type OptimizerName } from './optimizers.js';
import { compare, TUNE_LR_FACTORS, TUNE_MOMENTA, type CompareOptions } from './compare.js';
import { formatTable, toJson } from './report.js';
import { renderReport } from './page.js';
import { numberFlag } from '../number-flag.js';

export const COMPARE_HELP = `momentum-wasm compare: race optimizers fairly and draw what they do

Usage:
  momentum-wasm compare [options]

Every optimizer starts from the same weights and trains on the same batches in the same order
(one seed for both), at the same learning rate unless --tune is given.

Options:
  --problem P       mnist | ravine | rosenbrock | linear | all, or a comma list (default all)
  --optimizers L    comma list of gd, momentum, nesterov, adam (default: all four)
  --lr X            learning rate for every optimizer (default: each problem's own)
  --momentum X      momentum β in [0, 1) for momentum and Nesterov (default 0.9; Adam keeps β₁ 0.9)
  --steps N         updates on ravine, rosenbrock and linear (defaults 150, 1000, 60)
  --epochs N        epochs on mnist (default 3)
  --tune            each optimizer tries the same grid, lr × {${TUNE_LR_FACTORS.map((f) => (f >= 1 ? f : `1/${Math.round(1 / f)}`)).join(', ')}}
                    (and β ∈ {${TUNE_MOMENTA.join(', ')}} for momentum and Nesterov); its best is shown
  --grid            also sweep learning rate × momentum on ravine and linear and draw the heat map with
                    the stability bound lr = 2(1 + β)/λmax
  --out FILE        the picture (default compare.svg)
  --json FILE       also write every number as JSON
  --seed N          seed of the initial weights and of the batch order (default 1)

Problem defaults: ravine lr 0.018, rosenbrock lr 0.001, linear lr 0.01, mnist lr 0.05; momentum 0.9.
`;

const FLAGS = {
  problem: { type: 'string' }, optimizers: { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' },
  steps: { type: 'string' }, epochs: { type: 'string' }, tune: { type: 'boolean' }, grid: { type: 'boolean' },
  out: { type: 'string' }, json: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

export interface ParsedCompare {
  options: CompareOptions;
  out: string;
  json: string | undefined;
  help: boolean;
}

export function parseCompareArgs(args: string[]): ParsedCompare {
  const { values, positionals } = parseArgs({ args, options: FLAGS, allowPositionals: true });
  if (positionals.length) throw new InvalidArgumentError('compare', 'options only (see --help)', positionals.join(' '));
  const problems = list('--problem', values.problem ?? 'all', PROBLEM_NAMES);
  const optimizers = list('--optimizers', values.optimizers ?? 'all', OPTIMIZER_NAMES);
  const learningRate = numberFlag('--lr', values.lr, (v) => v > 0, 'a number > 0');
  const momentum = numberFlag('--momentum', values.momentum, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  if (momentum === 0 && optimizers.includes('nesterov') && !values.tune) {
    throw new InvalidArgumentError('--momentum', 'a momentum > 0 when comparing nesterov (Nesterov without momentum is plain gradient descent)', values.momentum);
  }
  const steps = numberFlag('--steps', values.steps, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const epochs = numberFlag('--epochs', values.epochs, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const seed = numberFlag('--seed', values.seed, (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32, 'an integer in [0, 2^32)') ?? 1;
  let grid: ProblemName[] | undefined;
  if (values.grid) {
    grid = problems.filter((p) => PROBLEMS[p].lambdaMax !== undefined);
    if (!grid.length) throw new InvalidArgumentError('--grid', 'ravine or linear among the problems (the sweep needs a quadratic)', problems.join(','));
  }
  return {
    options: { problems, optimizers, learningRate, momentum, steps, epochs, seed, tune: values.tune ?? false, grid },
    out: values.out ?? 'compare.svg',
    json: values.json,
    help: values.help ?? false,
  };
}

function list<T extends string>(flag: string, v: string, allowed: readonly T[]): T[] {
  if (v === 'all') return allowed.slice();
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new InvalidArgumentError(flag, `'all' or a comma list of ${allowed.join(', ')}`, item);
  }
  if (!items.length) throw new InvalidArgumentError(flag, `'all' or a comma list of ${allowed.join(', ')}`, v);
  return [...new Set(items)] as T[];
}

/** Runs the command; `kernels` loads the module (the CLI's loader, which picks the SIMD build). */
export async function compareCommand(args: string[], kernels: (simd: 'auto') => Promise<Kernels>, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  const parsed = parseCompareArgs(args);
  if (parsed.help) { out(COMPARE_HELP); return; }
  const k = await kernels('auto');
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  const report = await compare(k, {
    ...parsed.options,
    onProgress: tty ? (m) => process.stderr.write(`\r\x1b[K${m}`) : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');
  out(formatTable(report));
  await writeFile(parsed.out, renderReport(report));
  if (parsed.json !== undefined) await writeFile(parsed.json, toJson(report));
  out(`wrote ${parsed.out}${parsed.json !== undefined ? ` and ${parsed.json}` : ''} (${((performance.now() - t0) / 1000).toFixed(1)} s, ${report.simd} SIMD)\n`);
}
