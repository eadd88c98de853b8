// Layer specs: plain descriptions, checked when written so a typo fails at the line that made it.
import { InvalidArgumentError } from './errors.js';
import { positiveInt, oneOf, bool } from './check.js';

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface DenseSpec {
  readonly type: 'dense';
  readonly units: number;
  readonly activation: Activation;
  readonly bias: boolean;
}

/** A fully connected layer: y = activation(x · W + b), W of shape [inputs, units]. */
export function dense(units: number, activation: Activation = 'linear', options: { bias?: boolean } = {}): DenseSpec {
  positiveInt('units', units);
  oneOf('activation', activation, ACTIVATIONS);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const bias = bool('options.bias', options.bias ?? true);
  return Object.freeze({ type: 'dense', units, activation, bias });
}
