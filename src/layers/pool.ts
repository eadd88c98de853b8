// maxPool2d and avgPool2d: 'valid' pooling windows over NHWC images, channel by channel.
// Max pooling keeps each output's argmax (an index into the batch's input) from forward to
// backward, which then routes each gradient to that one input.
import type { Runtime } from '../runtime/runtime.js';
import type { PartArgs } from '../runtime/dispatch.js';
import { ELEMENT_GRAIN } from '../runtime/parts.js';
import { InvalidArgumentError } from '../util/errors.js';
import { pair, imageInput, type Size2 } from './shape-args.js';
import { size, type Layer, type LayerCall, type LayerType, type Shape } from './layer.js';

export interface Pool2dSpec {
  readonly type: 'maxPool2d' | 'avgPool2d';
  readonly poolSize: readonly [number, number];
  readonly stride: readonly [number, number];
}

export interface Pool2dOptions {
  /** default: poolSize (windows side by side) */
  stride?: Size2;
}

function pool(type: Pool2dSpec['type'], poolSize: Size2, options: Pool2dOptions): Pool2dSpec {
  const p = pair('poolSize', poolSize);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const stride = pair('options.stride', options.stride ?? p);
  return Object.freeze({ type, poolSize: Object.freeze(p), stride: Object.freeze(stride) });
}

/** The maximum of each poolSize window (windows stride apart, no padding). */
export function maxPool2d(poolSize: Size2, options: Pool2dOptions = {}): Pool2dSpec {
  return pool('maxPool2d', poolSize, options);
}

/** The mean of each poolSize window (windows stride apart, no padding). */
export function avgPool2d(poolSize: Size2, options: Pool2dOptions = {}): Pool2dSpec {
  return pool('avgPool2d', poolSize, options);
}

interface Geometry { H: number; W: number; C: number; PH: number; PW: number; SH: number; SW: number; OH: number; OW: number }

function geometry(spec: Pool2dSpec, input: Shape, where: string): Geometry {
  const [H, W, C] = imageInput(where, spec.type, input);
  const [PH, PW] = spec.poolSize, [SH, SW] = spec.stride;
  if (PH > H || PW > W) throw new InvalidArgumentError(where, `a pool window no larger than its input (window ${PH}x${PW}, input ${H}x${W})`);
  return { H, W, C, PH, PW, SH, SW, OH: Math.floor((H - PH) / SH) + 1, OW: Math.floor((W - PW) / SW) + 1 };
}

function poolType(type: Pool2dSpec['type']): LayerType<Pool2dSpec> {
  return {
    type,
    check: (o) => {
      const s = o as Partial<Pool2dSpec>;
      return pool(type, s.poolSize as Size2, { stride: s.stride as Size2 });
    },
    outputShape(spec, input, where) {
      const g = geometry(spec, input, where);
      return [g.OH, g.OW, g.C];
    },
    tensors: () => [],
    create: (_rt, spec, input, name) => new Pool2dLayer(spec, input, geometry(spec, input, name)),
    torch: (spec) => ({
      modules: [{ type: type === 'maxPool2d' ? 'MaxPool2d' : 'AvgPool2d', args: { kernel_size: spec.poolSize.slice(), stride: spec.stride.slice() } }],
      tensors: [],
      featuresFrom: null,
    }),
    onnx: (spec, input, _tensors, g, where) => {
      geometry(spec, input, where);
      const window = { kernel_shape: { ints: spec.poolSize }, strides: { ints: spec.stride } };
      // windows never cross the border (no pads), so count_include_pad does not change the mean;
      // 0 says so for any reader
      const y = type === 'maxPool2d'
        ? g.node('MaxPool', [g.inputAs('nchw')], 'max_pool', window)
        : g.node('AveragePool', [g.inputAs('nchw')], 'avg_pool', { ...window, count_include_pad: { int: 0 } });
      return { name: y, layout: 'nchw' };
    },
  };
}

export const MAX_POOL2D = poolType('maxPool2d');
export const AVG_POOL2D = poolType('avgPool2d');

class Pool2dLayer implements Layer {
  readonly outputShape: Shape;
  readonly params = [];
  readonly state = [];
  readonly inPlace = false;
  private readonly max: boolean;
  constructor(readonly spec: Pool2dSpec, readonly inputShape: Shape, private readonly g: Geometry) {
    this.outputShape = [g.OH, g.OW, g.C];
    this.max = spec.type === 'maxPool2d';
  }

  /** max pooling: one argmax (i32) per output element */
  workspace(rows: number) {
    return { persistent: this.max ? rows * size(this.outputShape) : 0, scratch: 0 };
  }

  /** the call being split (split by images: windows never leave their image, and argmax indices
   *  are within the image); the part functions are made once, so a step allocates nothing */
  private c: LayerCall | null = null;
  private readonly forwardPart: PartArgs = (lo, hi, _scratch, out, at) => {
    const g = this.g, c = this.c!, inPer = size(this.inputShape), outPer = size(this.outputShape);
    out[at] = c.x + lo * inPer * 4; out[at + 1] = hi - lo; out[at + 2] = g.H; out[at + 3] = g.W; out[at + 4] = g.C;
    out[at + 5] = g.PH; out[at + 6] = g.PW; out[at + 7] = g.SH; out[at + 8] = g.SW; out[at + 9] = g.OH; out[at + 10] = g.OW;
    out[at + 11] = c.y + lo * outPer * 4; out[at + 12] = c.work + lo * outPer * 4;
    return this.max ? 13 : 12;
  };
  private readonly backwardPart: PartArgs = (lo, hi, _scratch, out, at) => {
    const g = this.g, c = this.c!, inPer = size(this.inputShape), outPer = size(this.outputShape);
    const dy = c.dy + lo * outPer * 4, dx = c.dx + lo * inPer * 4;
    if (this.max) {
      out[at] = dy; out[at + 1] = c.work + lo * outPer * 4; out[at + 2] = hi - lo; out[at + 3] = outPer; out[at + 4] = dx; out[at + 5] = inPer;
      return 6;
    }
    out[at] = dy; out[at + 1] = hi - lo; out[at + 2] = g.H; out[at + 3] = g.W; out[at + 4] = g.C; out[at + 5] = g.PH;
    out[at + 6] = g.PW; out[at + 7] = g.SH; out[at + 8] = g.SW; out[at + 9] = g.OH; out[at + 10] = g.OW; out[at + 11] = dx;
    return 12;
  };

  forward(rt: Runtime, c: LayerCall): void {
    this.c = c;
    rt.parallel(this.max ? 'max_pool_forward' : 'avg_pool_forward', c.rows, Math.ceil(ELEMENT_GRAIN / size(this.inputShape)), 1, this.forwardPart);
  }

  backward(rt: Runtime, c: LayerCall): void {
    if (!c.dx) return;
    this.c = c;
    rt.parallel(this.max ? 'max_pool_backward' : 'avg_pool_backward', c.rows, Math.ceil(ELEMENT_GRAIN / size(this.inputShape)), 1, this.backwardPart);
  }

  dispose(): void {}
}
