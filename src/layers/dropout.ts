// dropout: inverted dropout while training (each element kept with probability 1 − rate and
// scaled by 1/(1 − rate)), the identity in predict and evaluate. The mask of element i in step t
// is a hash of (the layer's seed, t, i): it depends on nothing else, so any split of the work
// draws the same mask. The layer's seed comes from the model's seed; t moves on with each
// committed step, and checkpoints store it.
import type { Runtime } from '../runtime/runtime.js';
import type { PartArgs } from '../runtime/dispatch.js';
import { ELEMENT_GRAIN, perElement } from '../runtime/parts.js';
import { finiteNumber } from '../util/check.js';
import { size, type Layer, type LayerCall, type LayerType, type Shape } from './layer.js';

export interface DropoutSpec {
  readonly type: 'dropout';
  readonly rate: number;
}

/** Zeroes each input with probability `rate` in [0, 1) while training. */
export function dropout(rate: number): DropoutSpec {
  finiteNumber('rate', rate, { min: 0, max: 1, maxExclusive: true });
  return Object.freeze({ type: 'dropout', rate });
}

export const DROPOUT: LayerType<DropoutSpec> = {
  type: 'dropout',
  check: (o) => dropout((o as Partial<DropoutSpec>).rate as number),
  outputShape: (_spec, input) => input.slice(),
  tensors: () => [],
  create: (_rt, spec, input, _name, rng) => new DropoutLayer(spec, input, rng.nextU32()),
  torch: (spec, _input, from) => ({ modules: [{ type: 'Dropout', args: { p: spec.rate } }], tensors: [], featuresFrom: from }),
  // the graph is for inference, where dropout keeps every element
  onnx: (_spec, _input, _tensors, g) => ({ name: g.node('Identity', [g.input.name], 'identity'), layout: g.input.layout }),
};

class DropoutLayer implements Layer {
  readonly outputShape: Shape;
  readonly params = [];
  readonly state = [];
  readonly inPlace = false;
  /** the step counter t of the mask stream */
  rngState = 0;
  /** the call being split, and its rate (0 outside training) */
  private c: LayerCall | null = null;
  private rate = 0;
  /** each element's mask comes from its index in the whole tensor (i0 = the part's first), so any split draws the same */
  private readonly forwardPart: PartArgs = (lo, hi, _scratch, out, at) => {
    const c = this.c!;
    out[at] = c.x + lo * 4; out[at + 1] = c.y + lo * 4; out[at + 2] = c.work + lo * 4; out[at + 3] = hi - lo;
    out[at + 4] = this.rate; out[at + 5] = this.seed; out[at + 6] = this.rngState; out[at + 7] = lo;
    return 8;
  };
  constructor(readonly spec: DropoutSpec, readonly inputShape: Shape, private readonly seed: number) {
    this.outputShape = inputShape.slice();
  }

  /** the mask, one scale per element */
  workspace(rows: number) {
    return { persistent: rows * size(this.inputShape), scratch: 0 };
  }

  forward(rt: Runtime, c: LayerCall): void {
    // rate 0 keeps every element (mask 1): the identity, outside training
    this.rate = c.training ? this.spec.rate : 0;
    this.c = c;
    rt.parallel('dropout_forward', c.rows * size(this.inputShape), ELEMENT_GRAIN, 4, this.forwardPart);
  }

  backward(rt: Runtime, c: LayerCall): void {
    if (c.dx) perElement(rt, 'multiply_f32', c.rows * size(this.inputShape), c.dy, c.work, c.dx);
  }

  commit(): void {
    this.rngState = (this.rngState + 1) >>> 0;
  }

  dispose(): void {}
}
