// `momentum-wasm info MODEL`: what a model file holds.
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { UsageError } from './usage-error.js';
import { cliKernels } from './kernels.js';

export async function info(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('info: expected MODEL (see --help)');
  const bytes = await readFile(positionals[0]!);
  const k = await cliKernels('plain', 1); // reads a file: no pool to start
  const { model, optimizer, metadata } = k.load(bytes);
  const weights = model.getWeights();
  const count = weights.reduce((n, w) => n + w.values.length, 0);
  console.log(`${positionals[0]}: ${bytes.length.toLocaleString('en-US')} bytes, safetensors`);
  console.log(model.summary(null));
  console.log(`parameters: ${count.toLocaleString('en-US')}`);
  for (const w of weights) {
    let lo = Infinity, hi = -Infinity, ss = 0;
    for (const v of w.values) { lo = Math.min(lo, v); hi = Math.max(hi, v); ss += v * v; }
    console.log(`  ${w.name.padEnd(18)} [${w.shape.join(', ')}]  min ${lo.toFixed(4)}  max ${hi.toFixed(4)}  rms ${Math.sqrt(ss / w.values.length).toFixed(4)}`);
  }
  if (optimizer) {
    const st = optimizer.snapshot();
    console.log(`checkpoint: ${st.type} after ${st.iterations} updates, ${JSON.stringify(st.config)}`);
  } else {
    console.log('checkpoint: no (weights only)');
  }
  for (const [key, v] of Object.entries(metadata)) console.log(`metadata ${key}: ${v.length > 200 ? `${v.slice(0, 200)}… (${v.length} characters)` : v}`);
  model.dispose();
}

