// save({ format: 'onnx' }): the model's inference graph (what predict computes) as an ONNX
// ModelProto, encoded by onnx-proto (loaded by the facade: see onnx-encode.ts). The graph takes predict's rows as they are: [batch, features],
// or [batch, height, width, channels] for images (our NHWC), and gives [batch, ...outputShape] in
// our layout. Each layer writes its own nodes (LayerType.onnx); Conv and the pools want NCHW, so
// Transposes go in where a layer asks for the other layout, and flatten asks for NHWC so its
// features keep our order (dense kernels are then used as they are).
import type { onnx as proto } from 'onnx-proto';
import type { Sequential } from '../model/sequential.js';
import type { OnnxValue, Shape } from '../layers/layer.js';
import { layerType } from '../layers/index.js';
import { VERSION } from '../util/version.js';
import { UnsupportedError } from '../util/errors.js';
import { OnnxGraphBuilder, ONNX_ENUM } from './onnx-graph.js';

/** what turns a ModelProto into bytes (onnx-encode.ts's encodeModelProto), or why there is none */
export type OnnxEncoder = ((model: proto.IModelProto) => Uint8Array) | Error;

/** the default-domain opset the graph is written for (at least 13: Softmax along one axis) */
export const ONNX_OPSET = 17;
/** the IR version of ONNX 1.12, the release that introduced opset 17 */
export const ONNX_IR_VERSION = 8;
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'output';
/** the symbolic batch dimension of the input and the output */
export const ONNX_BATCH = 'batch';

function valueInfo(name: string, shape: Shape) {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_ENUM.dataType.FLOAT,
        shape: { dim: [{ dimParam: ONNX_BATCH }, ...shape.map((d) => ({ dimValue: d }))] },
      },
    },
  };
}

/** the model as ONNX bytes; `metadata` goes into metadata_props. Throws InvalidArgumentError
 *  naming the layer (config.layers[i]) that cannot be exported. */
export function saveOnnx(model: Sequential, metadata: Record<string, string>, encode: OnnxEncoder): Uint8Array {
  if (encode instanceof Error) {
    throw new UnsupportedError(
      `ONNX export needs the package onnx-proto, which could not be loaded here (${encode.message}); ` +
        'export in Node, or load the library through a bundler (esbuild, webpack, Vite), which includes it',
    );
  }
  const graph = new OnnxGraphBuilder({ input: ONNX_INPUT, output: ONNX_OUTPUT });
  let shape: Shape = model.inputShape;
  let value: OnnxValue = graph.input(shape.length);
  model.layers.forEach((s, i) => {
    const where = `config.layers[${i}]`;
    const { type, spec } = layerType(s, where);
    const layer = model.net[i]!;
    // the layer's current values by local name ('conv2d_0/kernel' → 'kernel'), read while encoding
    const tensors = new Map<string, Float32Array>();
    for (const p of layer.params) tensors.set(p.name.slice(p.name.lastIndexOf('/') + 1), p.values);
    for (const t of layer.state) tensors.set(t.name.slice(t.name.lastIndexOf('/') + 1), t.block.f32);
    value = type.onnx(spec, shape, tensors, graph.layer(`${spec.type}_${i}`, value, where), where);
    shape = type.outputShape(spec, shape, where);
  });
  graph.finish(value);
  return encode({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'momentum-wasm',
    producerVersion: VERSION,
    graph: {
      name: 'momentum-wasm',
      node: graph.nodes,
      initializer: graph.initializers,
      input: [valueInfo(ONNX_INPUT, model.inputShape)],
      output: [valueInfo(ONNX_OUTPUT, model.outputShape)],
    },
    metadataProps: Object.entries(metadata).map(([key, v]) => ({ key, value: v })),
  });
}
