// Update rules, each one kernel pass per parameter. The seed's form is the default:
//   velocity = momentum * velocity - learningRate * grad;  value = value + velocity
// momentum 0 is plain gradient descent (value -= learningRate * grad), which keeps no velocity.
import { Parameter } from './parameter.js';
import { InvalidArgumentError } from './errors.js';
import { finiteNumber, bool } from './check.js';

export interface SGDOptions {
  /** step size; default 0.01 */
  learningRate?: number;
  /** beta in [0, 1); default 0 (plain gradient descent) */
  momentum?: number;
  /** Nesterov (Keras / Sutskever form): value += momentum * velocity - learningRate * grad; default false */
  nesterov?: boolean;
}

export class SGD {
  readonly learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  /** updates applied so far */
  iterations = 0;

  constructor(options: SGDOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
    this.learningRate = finiteNumber('learningRate', options.learningRate ?? 0.01, { min: 0 });
    this.momentum = finiteNumber('momentum', options.momentum ?? 0, { min: 0, max: 1, maxExclusive: true });
    this.nesterov = bool('nesterov', options.nesterov ?? false);
    if (this.nesterov && this.momentum === 0) throw new InvalidArgumentError('nesterov', 'momentum > 0 (Nesterov without momentum is plain gradient descent)', true);
  }

  /** Applies one update to every parameter from its current grad. All are checked before any changes. */
  step(params: readonly Parameter[]): void {
    if (!Array.isArray(params)) throw new InvalidArgumentError('params', 'an array of Parameter', params);
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      if (!(p instanceof Parameter)) throw new InvalidArgumentError(`params[${i}]`, 'a Parameter', p);
      p.alive();
    }
    for (let i = 0; i < params.length; i++) this.update(params[i]!);
    this.iterations++;
  }

  /** @internal one parameter, no checks: the training loop's path */
  update(p: Parameter): void {
    const k = p.kernels.exports;
    if (this.momentum === 0) k.sgd_plain(p.valuePtr, p.gradPtr, p.size, this.learningRate);
    else if (this.nesterov) k.sgd_nesterov(p.valuePtr, p.velocityPtr, p.gradPtr, p.size, this.learningRate, this.momentum);
    else k.sgd_momentum(p.valuePtr, p.velocityPtr, p.gradPtr, p.size, this.learningRate, this.momentum);
  }

  get config(): Required<SGDOptions> {
    return { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov };
  }
}

/** What the training loop needs of an optimizer. */
export interface Optimizer {
  readonly learningRate: number;
  readonly momentum: number;
  iterations: number;
  update(p: Parameter): void;
  step(params: readonly Parameter[]): void;
}

export function isOptimizer(o: unknown): o is Optimizer {
  return o instanceof SGD;
}
