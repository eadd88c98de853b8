// The real command line, once: `momentum-wasm compare` with its defaults (all four problems, MNIST
// included) writes the picture and the numbers; its errors exit with status 2 and name the option.
// (The SVG's well-formedness and the numbers themselves are checked in compare.test.ts.)
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, [join(root, 'src', 'cli', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function count(hay: string, needle: string): number {
  let n = 0;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) n++;
  return n;
}

describe('momentum-wasm compare (the CLI)', () => {
  it('with the defaults: a table for all four problems, compare.svg-style picture and JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-compare-cli-'));
    try {
      const svgPath = join(dir, 'out.svg'), jsonPath = join(dir, 'out.json');
      const r = cli(['compare', '--out', svgPath, '--json', jsonPath]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      for (const title of ['MNIST digits', 'Ravine', 'Rosenbrock', 'Linear regression']) expect(r.stdout).toContain(title);
      expect(r.stdout).toContain('best test acc');
      expect(count(r.stdout, 'same initial weights')).toBe(4);
      expect(count(r.stdout, 'same batches in the same order')).toBe(2); // mnist and linear have data
      const svg = readFileSync(svgPath, 'utf8');
      expect(svg.startsWith('<?xml')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(count(svg, 'class="curve"')).toBe(16);
      expect(count(svg, 'class="trajectory"')).toBe(8);
      expect(count(svg, 'class="accuracy"')).toBe(4);
      const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
        problems: Array<{ problem: string; runs: Array<{ optimizer: string; bestTestAccuracy: number | null; diverged: boolean }> }>;
      };
      expect(json.problems.map((p) => p.problem)).toEqual(['mnist', 'ravine', 'rosenbrock', 'linear']);
      const mnist = json.problems[0]!;
      for (const run of mnist.runs) {
        expect(run.diverged).toBe(false);
        expect(run.bestTestAccuracy!).toBeGreaterThan(0.8);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('listed in --help; compare --help lists its options; a bad option exits 2 naming it', () => {
    expect(cli(['--help']).stdout).toContain('momentum-wasm compare');
    const help = cli(['compare', '--help']);
    expect(help.status).toBe(0);
    for (const flag of ['--problem', '--optimizers', '--lr', '--momentum', '--steps', '--epochs', '--tune', '--grid', '--out', '--json', '--seed']) {
      expect(help.stdout).toContain(flag);
    }
    const bad = cli(['compare', '--problem', 'moon']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--problem');
    const unknown = cli(['compare', '--speed', '3']);
    expect(unknown.status).toBe(2);
  });
});
