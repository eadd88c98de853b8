// `momentum-wasm predict MODEL INPUT`: a model trained from a table reads a CSV file (table-predict.ts);
// any other model reads a JSON file of input rows, or mnist:N for a test digit.
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { loadMnist } from '../data/mnist.js';
import { UsageError } from './usage-error.js';
import { cliKernels } from './kernels.js';
import { predictTable } from './table-predict.js';
import { TABLE_METADATA } from './table-train.js';

async function readInputs(spec: string, inputSize: number): Promise<{ x: Float32Array; labels?: Uint8Array }> {
  const m = /^mnist:(\d+)$/.exec(spec);
  if (m) {
    const { test } = await loadMnist({ trainRows: 0 });
    const i = Number(m[1]);
    if (i >= test.rows) throw new UsageError(`${spec}: the test split has digits 0..${test.rows - 1}`);
    return { x: test.x.slice(i * 784, (i + 1) * 784), labels: test.y.slice(i, i + 1) };
  }
  let data: unknown;
  try {
    data = JSON.parse(await readFile(spec, 'utf8'));
  } catch (e) {
    throw new UsageError(`${spec}: ${(e as Error).message}`);
  }
  const rows = Array.isArray(data) && data.every((r) => Array.isArray(r)) ? (data as unknown[][]) : [data as unknown[]];
  if (!Array.isArray(rows[0])) throw new UsageError(`${spec}: expected an array of ${inputSize} numbers, or an array of such arrays`);
  const x = new Float32Array(rows.length * inputSize);
  rows.forEach((r, i) => {
    if (r.length !== inputSize || !r.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new UsageError(`${spec}: input ${i} must be ${inputSize} finite numbers (got ${r.length} values)`);
    }
    x.set(r as number[], i * inputSize);
  });
  return { x };
}

export async function predict(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  if (positionals.length !== 2) throw new UsageError('predict: expected MODEL and INPUT (see --help)');
  const k = await cliKernels('auto');
  const { model, metadata } = k.load(await readFile(positionals[0]!));
  if (metadata[TABLE_METADATA.schema] !== undefined) {
    try {
      await predictTable(model, metadata, positionals[0]!, positionals[1]!, values.out);
    } finally {
      model.dispose();
    }
    return;
  }
  if (values.out !== undefined) {
    model.dispose();
    throw new UsageError('--out: only for models trained from a table (train FILE.csv); this one prints its predictions');
  }
  const { x, labels } = await readInputs(positionals[1]!, model.inputSize);
  const out = model.predict(x);
  const rows = x.length / model.inputSize;
  for (let r = 0; r < rows; r++) {
    const p = Array.from(out.subarray(r * model.outputSize, (r + 1) * model.outputSize));
    const order = p.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
    const top = order.slice(0, 3).map(([v, i]) => `${i}: ${v.toFixed(4)}`).join('  ');
    const truth = labels ? `  (label ${labels[r]})` : '';
    console.log(`input ${r}: class ${order[0]![1]}${truth}   ${top}`);
  }
  model.dispose();
}

