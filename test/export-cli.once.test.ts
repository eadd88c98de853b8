// The real command line, once: `momentum-wasm export MODEL --format onnx --out FILE` writes an
// ONNX file that ONNX Runtime runs to the saved model's predictions (a checkpoint exports its
// model), says what it wrote, keeps the file's metadata, and on a usage error or an unreadable
// model exits with status 2, writing nothing and leaving an older file as it was.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { SGD, conv2d, maxPool2d, flatten, dense, batchNorm, type Kernels, type Sequential } from '../src/index.js';
import { kernelsUnderTest, seeded } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, [join(root, 'src', 'cli', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let k: Kernels;
let dir: string;
let model: Sequential;
const x = seeded(5 * 8 * 8 * 2, 4, 2);
beforeAll(async () => {
  k = await kernelsUnderTest();
  dir = mkdtempSync(join(tmpdir(), 'mw-export-'));
  model = k.sequential({ inputShape: [8, 8, 2], layers: [conv2d(3, 3, 'relu', { padding: 'same', stride: 2 }), batchNorm(), maxPool2d(2), flatten(), dense(4, 'softmax')], seed: 5 });
  const opt = new SGD({ learningRate: 0.05, momentum: 0.9 });
  for (let i = 0; i < 3; i++) model.trainBatch(x, new Uint8Array(5).map((_, j) => j % 4), opt);
  writeFileSync(join(dir, 'model.safetensors'), model.save({ metadata: { classes: 'a,b,c,d' } }));
  writeFileSync(join(dir, 'ckpt.safetensors'), model.save({ optimizer: opt }));
});
afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function ortOutputs(file: string, rows: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(readFileSync(file));
  const out = await session.run({ input: new ort.Tensor('float32', x.subarray(0, rows * 128), [rows, 8, 8, 2]) });
  await session.release();
  return out.output!.data as Float32Array;
}

const worst = (a: Float32Array, b: Float32Array) => a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i]!)), 0);

describe('momentum-wasm export (the CLI)', () => {
  it('--format onnx --out FILE: prints what it wrote; ONNX Runtime gives predict within 1e-5 at batch 1 and 5; the metadata is kept', async () => {
    const out = join(dir, 'model.onnx');
    const r = cli(['export', join(dir, 'model.safetensors'), '--format', 'onnx', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const bytes = readFileSync(out);
    expect(r.stdout.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^wrote ${out.replace(/[.\\]/g, '\\$&')}: ${bytes.length.toLocaleString('en-US')} bytes, ONNX opset 17 \\(IR version 8\\), \\d+ nodes, \\d+ initializers$`)),
      "  input  'input' float32 [batch, 8, 8, 2] (NHWC)",
      "  output 'output' float32 [batch, 4]",
      '',
    ]);
    for (const rows of [1, 5]) expect(worst(await ortOutputs(out, rows), model.predict(x.subarray(0, rows * 128))), `${rows} rows`).toBeLessThanOrEqual(1e-5);
    const props = onnxProto.onnx.ModelProto.decode(bytes).metadataProps.map((p) => [p.key, p.value]);
    expect(props).toEqual([['classes', 'a,b,c,d']]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a checkpoint exports its model; without --out the file is MODEL with .onnx', async () => {
    const r = cli(['export', join(dir, 'ckpt.safetensors')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(dir, 'ckpt.onnx')}: `);
    expect(worst(await ortOutputs(join(dir, 'ckpt.onnx'), 5), model.predict(x))).toBeLessThanOrEqual(1e-5);
  });

  it('usage errors and an unreadable model: exit status 2 with a message, nothing written, an older file left as it was', () => {
    const old = join(dir, 'old.onnx');
    writeFileSync(old, 'older file');
    writeFileSync(join(dir, 'broken.safetensors'), 'not a safetensors file');
    for (const [args, needle] of [
      [['export'], 'export: expected one MODEL file, got 0'],
      [['export', join(dir, 'model.safetensors'), '--format', 'torch', '--out', old], "--format: expected onnx, got 'torch'"],
      [['export', join(dir, 'model.safetensors'), '--out', join(dir, 'model.safetensors')], 'is MODEL itself'],
      [['export', join(dir, 'model.safetensors'), '--colour'], '--colour'],
      [['export', join(dir, 'missing.safetensors'), '--out', old], 'ENOENT'],
      [['export', join(dir, 'broken.safetensors'), '--out', old], 'model file:'],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toContain(needle);
      expect(r.stderr, args.join(' ')).not.toContain('    at ');
    }
    expect(readFileSync(old, 'utf8')).toBe('older file');
    expect(existsSync(join(dir, 'broken.onnx'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('export --help says the usage and the layout', () => {
    const r = cli(['export', '--help']);
    expect(r.status).toBe(0);
    for (const s of ['momentum-wasm export MODEL --format onnx [--out FILE]', "'input'", 'NHWC', "'output'"]) expect(r.stdout).toContain(s);
  });
});
