// flatten: an [H, W, C] image as a vector of H·W·C features in the same (HWC) order. Rows are
// already stored that way, so the layer moves no data: its output is its input.
import { size, type Layer, type LayerType, type Shape } from './layer.js';

export interface FlattenSpec {
  readonly type: 'flatten';
}

export function flatten(): FlattenSpec {
  return Object.freeze({ type: 'flatten' });
}

export const FLATTEN: LayerType<FlattenSpec> = {
  type: 'flatten',
  check: () => flatten(),
  outputShape: (_spec, input) => [size(input)],
  tensors: () => [],
  create: (_rt, spec, input) => new FlattenLayer(spec, input),
  torch: (_spec, input, from) => ({ modules: [{ type: 'Flatten', args: {} }], tensors: [], featuresFrom: input.length === 3 ? input.slice() : from }),
  // an image goes back to NHWC first, so the features come out in our (HWC) order
  onnx: (_spec, _input, _tensors, g) => ({
    name: g.node('Flatten', [g.input.layout === 'flat' ? g.input.name : g.inputAs('nhwc')], 'flatten', { axis: { int: 1 } }),
    layout: 'flat',
  }),
};

class FlattenLayer implements Layer {
  readonly outputShape: Shape;
  readonly params = [];
  readonly state = [];
  readonly inPlace = true;
  constructor(readonly spec: FlattenSpec, readonly inputShape: Shape) {
    this.outputShape = [size(inputShape)];
  }
  workspace() { return { persistent: 0, scratch: 0 }; }
  forward(): void {}
  backward(): void {}
  dispose(): void {}
}

