// `momentum-wasm export MODEL --format onnx --out FILE`: a model file (or a checkpoint's model) as
// an ONNX model. The file appears whole or not at all (writeFileAtomic), and what is printed about
// it is read back from the bytes written, not from what was meant to be written.
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';
import type { Kernels } from '../index.js';
import { UsageError } from './usage-error.js';
import { writeFileAtomic } from './atomic-file.js';

const { onnx } = onnxProto;

export const EXPORT_HELP = `momentum-wasm export: a model file as ONNX, to run in ONNX Runtime and elsewhere

Usage:
  momentum-wasm export MODEL --format onnx [--out FILE]

MODEL is a file written by save() or train --save (a checkpoint's optimizer state is left out).
The ONNX model computes what predict computes: its input 'input' takes the same rows
([batch, features], or [batch, height, width, channels] for images, NHWC), its output 'output'
is [batch, ...outputs]; the batch size is free. The file's own metadata goes into metadata_props.

Options:
  --format onnx     the only format export writes (default onnx)
  --out FILE        where to write it (default: MODEL with its extension replaced by .onnx)
`;

/** "'input' float32 [batch, 10, 9, 2]" from a ValueInfoProto */
function describe(v: proto.IValueInfoProto): string {
  const dims = (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : String(d.dimValue)));
  return `'${v.name}' float32 [${dims.join(', ')}]${dims.length === 4 ? ' (NHWC)' : ''}`;
}

export async function exportCommand(args: string[], loadK: (simd: 'auto' | 'plain' | 'relaxed') => Promise<Kernels>): Promise<void> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { format: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { process.stdout.write(EXPORT_HELP); return; }
  if (positionals.length !== 1) throw new UsageError(`export: expected one MODEL file, got ${positionals.length} (see export --help)`);
  const format = values.format ?? 'onnx';
  if (format !== 'onnx') throw new UsageError(`--format: expected onnx, got '${format}'`);
  const input = positionals[0]!;
  const out = values.out ?? input.replace(/(\.[^./\\]*)?$/, '.onnx');
  if (out === '') throw new UsageError('--out: expected a file name');
  if (resolve(out) === resolve(input)) throw new UsageError(`--out: ${out} is MODEL itself; give another file name`);

  const bytes = await readFile(input);
  // the plain build: exporting runs no training, and it needs no V8 flag
  const k = await loadK('plain');
  const { model, optimizer, metadata } = k.load(bytes);
  let written: Uint8Array;
  try {
    written = model.save({ format: 'onnx', metadata });
  } finally {
    model.dispose();
    optimizer?.dispose();
  }
  await writeFileAtomic(out, written);

  const m = onnx.ModelProto.decode(written);
  const graph = m.graph as proto.GraphProto; // decode makes every nested message a full one
  const opset = m.opsetImport.find((o) => !o.domain)?.version;
  console.log(`wrote ${out}: ${written.length.toLocaleString('en-US')} bytes, ONNX opset ${opset} (IR version ${m.irVersion}), ` +
    `${graph.node.length} nodes, ${graph.initializer.length} initializers`);
  console.log(`  input  ${describe(graph.input[0]!)}`);
  console.log(`  output ${describe(graph.output[0]!)}`);
}
