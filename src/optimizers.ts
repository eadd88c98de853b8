// Optimizers. Each update rule is one kernel pass per parameter (assembly/optim.ts); this file
// holds the hyperparameters, checks them, and runs a step as dry run + commit so that a step
// whose result would not be finite changes nothing.
//
// The seed's form is the default:
//   velocity = momentum * velocity - learningRate * grad;  value = value + velocity
// momentum 0 is plain gradient descent (value -= learningRate * grad) and keeps no velocity.
import { Parameter } from './parameter.js';
import { InvalidArgumentError, TrainingDivergedError } from './errors.js';
import { finiteNumber, bool, oneOf } from './check.js';
import type { Schedule, ScheduleSpec } from './schedules.js';

/** a number, or a function of the optimizer's step number (0 for its first update) */
export type Rate = number | Schedule;

export interface ClipOptions {
  /** scale all gradients together so their global L2 norm is at most this */
  clipNorm?: number;
  /** clamp every gradient element to [-clipValue, clipValue] */
  clipValue?: number;
}

export interface SGDOptions extends ClipOptions {
  /** step size; default 0.01 */
  learningRate?: Rate;
  /** beta in [0, 1); default 0 (plain gradient descent) */
  momentum?: Rate;
  /** Nesterov momentum; default false */
  nesterov?: boolean;
  /** PyTorch convention only: b = momentum * b + (1 - dampening) * grad; default 0 */
  dampening?: number;
  /** L2 penalty added to the gradient (wd * value); default 0 */
  weightDecay?: number;
  /** seed convention only: Keras 3's decoupled form value -= learningRate * weightDecay * value, outside the velocity */
  decoupledWeightDecay?: boolean;
  /** 'seed' (default, Keras's form) or 'pytorch' (exactly torch.optim.SGD) */
  convention?: 'seed' | 'pytorch';
}

export interface AdamOptions extends ClipOptions {
  /** default 0.001 */
  learningRate?: Rate;
  /** default 0.9 */
  beta1?: number;
  /** default 0.999 */
  beta2?: number;
  /** default 1e-8 */
  epsilon?: number;
  /** L2 penalty added to the gradient, as torch.optim.Adam; default 0 */
  weightDecay?: number;
}

/** What a checkpoint stores of an optimizer. */
export interface OptimizerState {
  type: 'SGD' | 'Adam';
  config: Record<string, number | boolean | string | ScheduleSpec | null>;
  iterations: number;
}

function rate(name: string, v: unknown, fallback: number, max?: number): Rate {
  if (v === undefined) return fallback;
  if (typeof v === 'function') return v as Schedule;
  return finiteNumber(name, v, max === undefined ? { min: 0 } : { min: 0, max, maxExclusive: true });
}

function optionalPositive(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  return finiteNumber(name, v, { min: 0, minExclusive: true });
}

/** false where a custom function hides in the description (linearWarmup marks it `after: NaN`) */
function saveable(s: ScheduleSpec | number): boolean {
  if (typeof s === 'number') return Number.isFinite(s);
  return s.type !== 'linearWarmup' || saveable(s.after);
}

function specOf(name: string, r: Rate): number | ScheduleSpec {
  if (typeof r === 'number') return r;
  if (r.spec && saveable(r.spec)) return r.spec;
  throw new InvalidArgumentError(name, 'a number or a schedule made by stepDecay / exponentialDecay / cosineDecay / linearWarmup to be saved in a checkpoint', 'a custom function');
}

export abstract class Optimizer {
  /** updates applied so far; schedules see this as their step number */
  iterations = 0;
  readonly clipNorm: number | undefined;
  readonly clipValue: number | undefined;
  protected readonly lrRate: Rate;
  /** parameters this optimizer has updated: PyTorch keeps per-parameter state born on the first step */
  protected readonly stepped = new WeakSet<Parameter>();

  protected constructor(lr: Rate, clip: ClipOptions) {
    this.lrRate = lr;
    this.clipNorm = optionalPositive('clipNorm', clip.clipNorm);
    this.clipValue = optionalPositive('clipValue', clip.clipValue);
  }

  /** the learning rate of the next update */
  get learningRate(): number {
    return this.evaluate('learningRate', this.lrRate);
  }
  /** the momentum of the next update (Adam: beta1) */
  abstract get momentum(): number;

  /** Applies one update to every parameter from its current grad. Checks everything first;
   *  if any new value would be NaN or infinite, throws TrainingDivergedError and changes nothing. */
  step(params: readonly Parameter[]): void {
    if (!Array.isArray(params)) throw new InvalidArgumentError('params', 'an array of Parameter', params);
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      if (!(p instanceof Parameter)) throw new InvalidArgumentError(`params[${i}]`, 'a Parameter', p);
      p.alive();
    }
    if (!this.apply(params)) {
      throw new TrainingDivergedError({ epoch: 0, step: this.iterations + 1, learningRate: this.learningRate, momentum: this.momentum, loss: NaN, what: 'the update is not finite' });
    }
  }

  /** @internal dry run over all parameters, then commit; false (and no change) when not finite */
  apply(params: readonly Parameter[]): boolean {
    const lr = this.learningRate;
    this.prepare();
    let gscale = 1;
    if (this.clipNorm !== undefined) {
      let ss = 0;
      for (const p of params) ss += p.kernels.exports.sum_squares(p.gradPtr, p.size);
      const norm = Math.sqrt(ss);
      if (!Number.isFinite(norm)) return false;
      if (norm > this.clipNorm) gscale = this.clipNorm / norm;
    }
    const clip = this.clipValue ?? Infinity;
    for (const p of params) if (this.run(p, false, lr, gscale, clip) === 0) return false;
    for (const p of params) this.run(p, true, lr, gscale, clip);
    if (this.keepsState()) for (const p of params) this.stepped.add(p);
    this.iterations++;
    return true;
  }

  /** @internal a checkpoint's parameters count as already stepped by this optimizer */
  markStepped(params: readonly Parameter[]): void {
    for (const p of params) this.stepped.add(p);
  }

  /** @internal checkpoint state */
  abstract state(): OptimizerState;

  /** whether this step wrote per-parameter state (SGD with momentum 0 keeps none) */
  protected keepsState(): boolean {
    return true;
  }

  /** per-step values the kernels need (evaluated schedules), before any parameter runs */
  protected abstract prepare(): void;
  protected abstract run(p: Parameter, commit: boolean, lr: number, gscale: number, clip: number): number;

  protected evaluate(name: string, r: Rate, max?: number): number {
    if (typeof r === 'number') return r;
    const v = r(this.iterations);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (max !== undefined && v >= max)) {
      throw new InvalidArgumentError(name, `a schedule returning finite numbers in [0, ${max ?? 'Infinity'}) (step ${this.iterations})`, v);
    }
    return v;
  }
}

export class SGD extends Optimizer {
  readonly nesterov: boolean;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly decoupledWeightDecay: boolean;
  readonly convention: 'seed' | 'pytorch';
  private readonly momentumRate: Rate;
  private mu = 0;

  constructor(options: SGDOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
    super(rate('learningRate', options.learningRate, 0.01), options);
    this.momentumRate = rate('momentum', options.momentum, 0, 1);
    this.nesterov = bool('nesterov', options.nesterov ?? false);
    this.convention = oneOf('convention', options.convention ?? 'seed', ['seed', 'pytorch'] as const);
    this.dampening = finiteNumber('dampening', options.dampening ?? 0, { min: 0, max: 1 });
    this.weightDecay = finiteNumber('weightDecay', options.weightDecay ?? 0, { min: 0 });
    this.decoupledWeightDecay = bool('decoupledWeightDecay', options.decoupledWeightDecay ?? false);
    if (this.nesterov && this.momentumRate === 0) {
      throw new InvalidArgumentError('nesterov', 'momentum > 0 (Nesterov without momentum is plain gradient descent)', true);
    }
    if (this.dampening !== 0 && this.convention !== 'pytorch') throw new InvalidArgumentError('dampening', "convention: 'pytorch' (the seed's form has no dampening)", this.dampening);
    if (this.dampening !== 0 && this.nesterov) throw new InvalidArgumentError('dampening', '0 with nesterov (as torch.optim.SGD requires)', this.dampening);
    if (this.decoupledWeightDecay && this.convention !== 'seed') throw new InvalidArgumentError('decoupledWeightDecay', "convention: 'seed' (torch.optim.SGD has no decoupled form)", true);
  }

  get momentum(): number {
    return this.evaluate('momentum', this.momentumRate, 1);
  }

  protected prepare(): void {
    this.mu = this.momentum;
    if (this.nesterov && this.mu === 0) throw new InvalidArgumentError('momentum', `> 0 with nesterov (the schedule gave 0 at step ${this.iterations})`, 0);
  }

  protected keepsState(): boolean {
    return this.mu !== 0;
  }

  protected run(p: Parameter, commit: boolean, lr: number, gscale: number, clip: number): number {
    const k = p.kernels.exports;
    const c = commit ? 1 : 0;
    // momentum 0 keeps no velocity: the kernels take a null buffer as plain gradient descent
    const v = this.mu === 0 ? 0 : p.velocityPtr;
    if (this.convention === 'pytorch') {
      return k.sgd_torch(p.valuePtr, v, p.gradPtr, p.size, lr, this.mu, this.dampening, this.nesterov ? 1 : 0,
        this.weightDecay, this.stepped.has(p) ? 0 : 1, gscale, clip, c);
    }
    const wd = this.decoupledWeightDecay ? 0 : this.weightDecay;
    const decay = this.decoupledWeightDecay ? lr * this.weightDecay : 0;
    return k.sgd_seed(p.valuePtr, v, p.gradPtr, p.size, lr, this.mu, this.nesterov ? 1 : 0, wd, decay, gscale, clip, c);
  }

  state(): OptimizerState {
    return {
      type: 'SGD',
      iterations: this.iterations,
      config: {
        learningRate: specOf('learningRate', this.lrRate), momentum: specOf('momentum', this.momentumRate),
        nesterov: this.nesterov, dampening: this.dampening, weightDecay: this.weightDecay,
        decoupledWeightDecay: this.decoupledWeightDecay, convention: this.convention,
        clipNorm: this.clipNorm ?? null, clipValue: this.clipValue ?? null,
      },
    };
  }
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;

  constructor(options: AdamOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
    super(rate('learningRate', options.learningRate, 0.001), options);
    this.beta1 = finiteNumber('beta1', options.beta1 ?? 0.9, { min: 0, max: 1, maxExclusive: true });
    this.beta2 = finiteNumber('beta2', options.beta2 ?? 0.999, { min: 0, max: 1, maxExclusive: true });
    this.epsilon = finiteNumber('epsilon', options.epsilon ?? 1e-8, { min: 0, minExclusive: true });
    this.weightDecay = finiteNumber('weightDecay', options.weightDecay ?? 0, { min: 0 });
  }

  get momentum(): number {
    return this.beta1;
  }

  protected prepare(): void {}

  protected run(p: Parameter, commit: boolean, lr: number, gscale: number, clip: number): number {
    const t = this.iterations + 1;
    const bc1 = 1 - Math.pow(this.beta1, t), bc2 = 1 - Math.pow(this.beta2, t);
    return p.kernels.exports.adam(p.valuePtr, p.velocityPtr, p.secondPtr(), p.gradPtr, p.size, lr, this.beta1, this.beta2,
      this.epsilon, this.weightDecay, bc1, bc2, gscale, clip, commit ? 1 : 0);
  }

  state(): OptimizerState {
    return {
      type: 'Adam',
      iterations: this.iterations,
      config: {
        learningRate: specOf('learningRate', this.lrRate), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon,
        weightDecay: this.weightDecay, clipNorm: this.clipNorm ?? null, clipValue: this.clipValue ?? null,
      },
    };
  }
}

export function isOptimizer(o: unknown): o is Optimizer {
  return o instanceof Optimizer;
}
