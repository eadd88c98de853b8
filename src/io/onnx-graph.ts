// The ONNX graph under construction: nodes and float32 initializers in onnx-proto's shapes, the
// Transposes between our NHWC and ONNX's NCHW, and the names. Each layer writes its part through
// a view (OnnxGraph) that puts the layer's name in front of every name it gives.
import type { onnx as proto } from 'onnx-proto';
import type { OnnxAttribute, OnnxGraph, OnnxValue } from '../layers/layer.js';
import { InvalidArgumentError } from '../util/errors.js';

/** onnx.proto's enum values (AttributeProto.AttributeType, TensorProto.DataType): the numbers are
 *  the format, so they are written here rather than loaded with the encoder */
export const ONNX_ENUM = { attribute: { FLOAT: 1, INT: 2, INTS: 7 }, dataType: { FLOAT: 1 } } as const;

/** Protobuf messages are limited to 2 GiB (ONNX Runtime and the onnx package refuse larger ones):
 *  the initializers get that less 1 MiB for the nodes and names. Bigger models would need ONNX's
 *  external data files, which this exporter does not write. */
export const TENSOR_BYTES_LIMIT = 2 ** 31 - 2 ** 20;

/** Transpose perms: ours (NHWC) → ONNX's (NCHW) and back */
const PERM = { nchw: [0, 3, 1, 2], nhwc: [0, 2, 3, 1] } as const;

function attribute(name: string, a: OnnxAttribute): proto.IAttributeProto {
  const T = ONNX_ENUM.attribute;
  if ('int' in a) return { name, type: T.INT, i: a.int };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints.slice() };
  return { name, type: T.FLOAT, f: a.float };
}

/** raw_data is little-endian whatever the machine */
function littleEndian(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}

export class OnnxGraphBuilder {
  readonly nodes: proto.INodeProto[] = [];
  readonly initializers: proto.ITensorProto[] = [];
  private readonly names = new Set<string>();
  private bytes = 0;

  /** @param io the graph's input and output names (taken: no layer may use them)
   *  @param maxBytes the most bytes of initializers the graph may hold */
  constructor(private readonly io: { input: string; output: string }, private readonly maxBytes = TENSOR_BYTES_LIMIT) {
    this.names.add(io.input).add(io.output);
  }

  /** the graph's input value, in the layout predict's rows have */
  input(rank: number): OnnxValue {
    return { name: this.io.input, layout: rank === 3 ? 'nhwc' : 'flat' };
  }

  /** the view one layer writes through: `prefix` ('conv2d_0') goes in front of its names, and
   *  `where` ('config.layers[0]') names it in errors */
  layer(prefix: string, input: OnnxValue, where: string): OnnxGraph {
    const transposed = new Map<string, string>();
    return {
      input,
      inputAs: (layout) => {
        if (input.layout === 'flat') throw new Error(`${where}: a [batch, features] value has no image layout`);
        if (input.layout === layout) return input.name;
        let name = transposed.get(layout);
        if (name === undefined) {
          name = this.add('Transpose', [input.name], `${prefix}/to_${layout}`, { perm: { ints: PERM[layout] } });
          transposed.set(layout, name);
        }
        return name;
      },
      constant: (local, dims, data) => this.constant(`${prefix}/${local}`, dims, data, where),
      node: (op, inputs, local, attributes) => this.add(op, inputs, `${prefix}/${local}`, attributes),
    };
  }

  /** gives the last layer's value the graph's output name, in our layout (NHWC for images) */
  finish(value: OnnxValue): void {
    this.names.delete(this.io.output); // kept from the layers until now
    if (value.layout === 'nchw') {
      this.add('Transpose', [value.name], this.io.output, { perm: { ints: PERM.nhwc } });
      return;
    }
    // nothing reads the last value, so its node can write the output directly
    const last = this.nodes.find((n) => n.output![0] === value.name);
    if (last) last.output = [this.io.output];
    else this.add('Identity', [value.name], this.io.output);
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX export: the name '${name}' is used twice`);
    this.names.add(name);
    return name;
  }

  private add(op: string, inputs: readonly string[], output: string, attributes: Readonly<Record<string, OnnxAttribute>> = {}): string {
    this.claim(output);
    this.nodes.push({
      opType: op, name: output, input: inputs.slice(), output: [output],
      attribute: Object.entries(attributes).map(([k, a]) => attribute(k, a)),
    });
    return output;
  }

  private constant(name: string, dims: readonly number[], data: Float32Array, where: string): string {
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`ONNX export: '${name}' has ${data.length} values for dims [${dims.join(', ')}]`);
    const bytes = this.bytes + data.length * 4;
    if (bytes > this.maxBytes) {
      throw new InvalidArgumentError(where, `tensors that fit in one ONNX protobuf (${this.maxBytes} bytes at most; external data files are not written)`,
        `${bytes} bytes of tensors up to '${name}'`);
    }
    this.bytes = bytes;
    this.claim(name);
    this.initializers.push({ name, dims: dims.slice(), dataType: ONNX_ENUM.dataType.FLOAT, rawData: littleEndian(data) });
    return name;
  }
}
