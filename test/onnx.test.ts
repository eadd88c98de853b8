// save({ format: 'onnx' }): the exported model, run in ONNX Runtime (CPU), gives predict's outputs
// on predict's own input rows (NHWC images, a free batch size), for models that together use
// every layer type, both paddings, strides 1 and 2, every activation, trained batch norm and
// adapted normalization; the decoded ModelProto says its opset, names and batch dimension; the
// graph's Transposes sit where the layouts change; bad uses throw.
import { describe, it, expect, beforeAll } from 'vitest';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import {
  SGD, VERSION, InvalidArgumentError, dense, conv2d, maxPool2d, avgPool2d, flatten, dropout, batchNorm, normalization,
  type Kernels, type LayerSpec, type Sequential, type Targets,
} from '../src/index.js';
import { ONNX_OPSET } from '../src/io/onnx.js';
import { OnnxGraphBuilder } from '../src/io/onnx-graph.js';
import { kernelsUnderTest, seeded } from './helpers.js';

const { onnx } = onnxProto;

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

interface Case {
  name: string;
  inputShape: number[];
  layers: LayerSpec[];
  /** the input rows: raw features with large means where a normalization layer comes first */
  x(rows: number): Float32Array;
  /** Transpose nodes the graph should hold: one into NCHW before the first conv or pool, one
   *  back to NHWC before flatten (or for an image output) */
  transposes: number;
}

const CASES: Case[] = [
  {
    name: 'an MLP: normalization (feature means from -3000 to 3000), every activation, batch norm, dropout, no-bias dense',
    inputShape: [7],
    layers: [normalization(), dense(9, 'relu'), batchNorm(), dropout(0.3), dense(6, 'tanh'), dense(5, 'sigmoid'),
      dense(4, 'linear', { bias: false }), dense(3, 'softmax')],
    x: (rows) => seeded(rows * 7, 3, 20).map((v, i) => v + 1000 * ((i % 7) - 3)),
    transposes: 0,
  },
  {
    name: "normalization of features far from zero (mean ≫ std: ONNX's BatchNormalization, as ONNX Runtime folds it, misses 1e-5 here)",
    inputShape: [3],
    layers: [normalization(), dense(3, 'tanh')],
    x: (rows) => seeded(rows * 3, 13, 3).map((v, i) => v + [5000, -2000, 1000][i % 3]!),
    transposes: 0,
  },
  {
    name: 'a CNN on NHWC input: normalization, same padding (odd total at stride 2), both pools, flatten, dropout, batch norm on images and vectors',
    inputShape: [10, 9, 2],
    layers: [normalization(), conv2d(4, 3, 'relu', { padding: 'same' }), batchNorm(), maxPool2d(2),
      conv2d(3, [2, 3], 'tanh', { stride: 2, padding: 'same' }), avgPool2d(2, { stride: 1 }), flatten(), dropout(0.25),
      dense(5, 'sigmoid'), batchNorm({ momentum: 0.9 }), dense(3, 'softmax')],
    x: (rows) => seeded(rows * 180, 5, 4).map((v, i) => v + (i % 2 === 0 ? 50 : -20)),
    transposes: 2,
  },
  {
    name: 'a CNN with an image output: valid padding at stride 2, sigmoid, no-bias linear same conv (even kernel), strided pools, softmax over channels',
    inputShape: [13, 15, 3],
    layers: [conv2d(5, [3, 2], 'sigmoid', { stride: 2 }), maxPool2d([2, 1], { stride: 1 }), conv2d(4, 2, 'linear', { padding: 'same', bias: false }),
      batchNorm(), avgPool2d(2), conv2d(3, 1, 'softmax')],
    x: (rows) => seeded(rows * 13 * 15 * 3, 7, 2),
    transposes: 2,
  },
  {
    name: 'image layers that stay NHWC: batch norm and dropout on the input, then flatten (no Transpose at all)',
    inputShape: [4, 3, 5],
    layers: [batchNorm(), dropout(0.5), flatten(), dense(6, 'relu'), dense(2, 'linear')],
    x: (rows) => seeded(rows * 60, 9, 3),
    transposes: 0,
  },
];

const TRAIN_ROWS = 8;

/** the case's model, normalization adapted and four training steps taken (running statistics move) */
function trained(c: Case): Sequential {
  const m = k.sequential({ inputShape: c.inputShape, layers: c.layers, seed: 21 });
  const x = c.x(TRAIN_ROWS);
  if (c.layers.some((l) => l.type === 'normalization')) m.adapt(x);
  const y: Targets = m.loss === 'crossEntropy'
    ? new Uint8Array(TRAIN_ROWS).map((_, i) => i % m.outputSize)
    : seeded(TRAIN_ROWS * m.outputSize, 11, 0.5);
  const opt = new SGD({ learningRate: 0.05, momentum: 0.9 });
  for (let i = 0; i < 4; i++) m.trainBatch(x, y, opt);
  return m;
}

async function runOrt(session: ort.InferenceSession, m: Sequential, x: Float32Array, rows: number): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const out = await session.run({ input: new ort.Tensor('float32', x, [rows, ...m.inputShape]) });
  const t = out.output!;
  return { data: t.data as Float32Array, dims: t.dims };
}

/** max |ort − predict| / max(1, |predict|): the absolute error for outputs up to 1, relative
 *  beyond, where float32's rounding grows with the size (the outputs here are at most about 1.3:
 *  softmax, and the last case's linear layer) */
function worstError(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
  return worst;
}

function decoded(bytes: Uint8Array) {
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, defaults: true }) as {
    irVersion: number; producerName: string; producerVersion: string;
    opsetImport: Array<{ domain: string; version: number }>;
    metadataProps: Array<{ key: string; value: string }>;
    graph: {
      node: Array<{ opType: string; input: string[]; output: string[]; attribute: Array<{ name: string; ints: number[]; f: number }> }>;
      input: Array<{ name: string; type: { tensorType: { shape: { dim: Array<{ dimParam?: string; dimValue?: number }> } } } }>;
      output: Array<{ name: string; type: { tensorType: { shape: { dim: Array<{ dimParam?: string; dimValue?: number }> } } } }>;
    };
  };
}

describe("save({ format: 'onnx' }) run in ONNX Runtime equals predict", () => {
  for (const c of CASES) {
    it(`${c.name}: batch sizes 1 and 5 in one session, within 1e-5`, async () => {
      const m = trained(c);
      const bytes = m.save({ format: 'onnx' });
      expect(bytes).toBeInstanceOf(Uint8Array);
      const session = await ort.InferenceSession.create(bytes);
      expect(session.inputNames).toEqual(['input']);
      expect(session.outputNames).toEqual(['output']);
      for (const rows of [1, 5]) {
        const x = c.x(rows);
        const { data, dims } = await runOrt(session, m, x, rows);
        expect(dims).toEqual([rows, ...m.outputShape]);
        expect(worstError(data, m.predict(x)), `${rows} rows`).toBeLessThanOrEqual(1e-5);
      }
      expect(decoded(bytes).graph.node.filter((n) => n.opType === 'Transpose')).toHaveLength(c.transposes);
      await session.release();
      m.dispose();
    });
  }
});

describe('the ModelProto', () => {
  it(`opset ${ONNX_OPSET} (IR version 8), the producer, input 'input' and output 'output' with a dim_param batch, the metadata`, () => {
    const m = trained(CASES[2]!);
    const p = decoded(m.save({ format: 'onnx', metadata: { classes: 'a,b,c' } }));
    expect(ONNX_OPSET).toBe(17);
    expect(p.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(p.irVersion).toBe(8);
    expect([p.producerName, p.producerVersion]).toEqual(['momentum-wasm', VERSION]);
    expect(p.metadataProps).toEqual([{ key: 'classes', value: 'a,b,c' }]);
    const dims = (v: (typeof p.graph.input)[number]) => v.type.tensorType.shape.dim.map((d) => (d.dimParam ? d.dimParam : d.dimValue));
    expect(p.graph.input.map((v) => v.name)).toEqual(['input']);
    expect(dims(p.graph.input[0]!)).toEqual(['batch', 10, 9, 2]);
    expect(p.graph.output.map((v) => v.name)).toEqual(['output']);
    expect(dims(p.graph.output[0]!)).toEqual(['batch', 3]);
    m.dispose();
  });

  it("same padding as explicit pads [top, left, bottom, right] (the odd zero at the bottom / right); each epsilon as given", () => {
    const m = trained(CASES[2]!);
    const p = decoded(m.save({ format: 'onnx' }));
    const convs = p.graph.node.filter((n) => n.opType === 'Conv');
    const attr = (n: (typeof convs)[number], name: string) => n.attribute.find((a) => a.name === name)!.ints;
    // 3x3 'same' at stride 1: one zero each side; [2, 3] 'same' at stride 2 on 5x4: a total of 1 on both axes
    expect(convs.map((n) => attr(n, 'pads'))).toEqual([[1, 1, 1, 1], [0, 0, 1, 1]]);
    expect(convs.map((n) => attr(n, 'strides'))).toEqual([[1, 1], [2, 2]]);
    const bytes = m.save({ format: 'onnx' });
    const model = onnx.ModelProto.decode(bytes);
    const eps = model.graph!.initializer!.filter((t) => t.name!.endsWith('/epsilon')).map((t) => new DataView(t.rawData!.buffer, t.rawData!.byteOffset).getFloat32(0, true));
    expect(eps).toEqual([Math.fround(1e-7), Math.fround(1e-3), Math.fround(1e-3)]);
    m.dispose();
  });
});

describe('bad uses', () => {
  it('an optimizer (checkpoints are safetensors), reserved metadata, an unknown format, a disposed model', () => {
    const m = k.sequential({ inputShape: [3], layers: [dense(2)], seed: 1 });
    const opt = new SGD({ learningRate: 0.1 });
    const argument = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(InvalidArgumentError); return (e as InvalidArgumentError).argument; } return 'did not throw'; };
    expect(argument(() => m.save({ format: 'onnx', optimizer: opt }))).toBe('options.optimizer');
    expect(() => m.save({ format: 'onnx', optimizer: opt })).toThrow("no optimizer with format 'onnx'");
    expect(argument(() => m.save({ format: 'onnx', metadata: { format: 'x' } }))).toBe('options.metadata.format');
    expect(argument(() => m.save({ format: 'onnx', metadata: { a: 1 as unknown as string } }))).toBe('options.metadata.a');
    expect(() => m.save({ format: 'onx' as 'onnx' })).toThrow("options.format: expected 'momentum', 'torch' or 'onnx'");
    m.dispose();
    expect(() => m.save({ format: 'onnx' })).toThrow();
  });

  it('tensors past the protobuf limit: an error naming the layer that crosses it, and why', () => {
    const g = new OnnxGraphBuilder({ input: 'input', output: 'output' }, 100);
    g.layer('dense_0', g.input(1), 'config.layers[0]').constant('kernel', [20], new Float32Array(20));
    const next = g.layer('dense_1', g.input(1), 'config.layers[1]');
    expect(() => next.constant('kernel', [10], new Float32Array(10))).toThrow(InvalidArgumentError);
    expect(() => next.constant('kernel', [10], new Float32Array(10))).toThrow(/^config\.layers\[1\]: expected tensors that fit in one ONNX protobuf/);
  });
});
