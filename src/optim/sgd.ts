// SGD in two conventions. The seed's form is the default:
//   velocity = momentum * velocity - learningRate * grad;  value = value + velocity
// momentum 0 is plain gradient descent (value -= learningRate * grad) and keeps no velocity.
// convention 'pytorch' is exactly torch.optim.SGD (its buffer starts from the gradient).
import type { Parameter } from '../runtime/parameter.js';
import type { Block } from '../runtime/memory.js';
import { ARGS, allOk, perElementArgs } from '../runtime/parts.js';
import { InvalidArgumentError } from '../util/errors.js';
import { finiteNumber, bool, oneOf } from '../util/check.js';
import { CHECKED_COMMIT, type UpdateMode } from './guard.js';
import { Optimizer, rate, specOf, type Rate, type ClipOptions, type OptimizerState, type StateViews } from './optimizer.js';

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

export class SGD extends Optimizer<'velocity'> {
  readonly stateNames = ['velocity'] as const;
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

  /** { velocity }: the seed's velocity, or PyTorch's momentum buffer */
  override state(param: Parameter): StateViews<'velocity'> {
    return super.state(param);
  }

  protected prepare(): void {
    this.mu = this.momentum;
    if (this.nesterov && this.mu === 0) throw new InvalidArgumentError('momentum', `> 0 with nesterov (the schedule gave 0 at step ${this.iterations})`, 0);
  }

  protected keepsState(): boolean {
    return this.mu !== 0;
  }

  protected magnitudeBound(m: number, lr: number, gscale: number, clip: number): number {
    const mu = this.mu, decoupled = this.decoupledWeightDecay;
    // the effective gradient: clamped (or scaled), plus coupled weight decay
    const g = Math.min(m * gscale, clip) + (decoupled ? 0 : this.weightDecay) * m;
    if (this.convention === 'pytorch') {
      const b = mu * m + g; // the buffer: dampening only shrinks the gradient's share
      const d = g + mu * b; // the direction, with or without Nesterov
      return m * gscale + g + b + mu * b + d + lr * d + m;
    }
    const v = mu * m + lr * g; // the velocity
    // the new value: w (1 - decay) + v, or Nesterov's w (1 - decay) + mu v - lr g
    return m * gscale + g + m * (1 + (decoupled ? lr * this.weightDecay : 0)) + v + mu * v + lr * g;
  }

  protected run(p: Parameter, s: { blocks: Block[]; stepped: boolean } | null, mode: UpdateMode, lr: number, gscale: number, clip: number): number {
    // momentum 0 keeps no velocity: the kernels take a null buffer as plain gradient descent.
    // Element by element, so split by ranges among the threads.
    const v = s === null ? 0 : s.blocks[0]!.ptr;
    if (this.convention === 'pytorch') {
      const a = ARGS;
      a[0] = p.valuePtr; a[1] = v; a[2] = p.gradPtr; a[3] = p.size; a[4] = lr; a[5] = this.mu; a[6] = this.dampening; a[7] = this.nesterov ? 1 : 0;
      a[8] = this.weightDecay; a[9] = s !== null && s.stepped ? 0 : 1; a[10] = gscale; a[11] = clip; a[12] = mode;
      return perElementArgs(p.runtime, 'sgd_torch', 13, 3, allOk, mode === CHECKED_COMMIT);
    }
    const wd = this.decoupledWeightDecay ? 0 : this.weightDecay;
    const decay = this.decoupledWeightDecay ? lr * this.weightDecay : 0;
    const a = ARGS;
    a[0] = p.valuePtr; a[1] = v; a[2] = p.gradPtr; a[3] = p.size; a[4] = lr; a[5] = this.mu; a[6] = this.nesterov ? 1 : 0; a[7] = wd;
    a[8] = decay; a[9] = gscale; a[10] = clip; a[11] = mode;
    return perElementArgs(p.runtime, 'sgd_seed', 12, 3, allOk, mode === CHECKED_COMMIT);
  }

  snapshot(): OptimizerState {
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
