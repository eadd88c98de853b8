// Adam exactly as torch.optim.Adam (bias-corrected moments, L2 weight decay added to the gradient).
// Its first and second moments are this optimizer's own state, m and v, per parameter.
import type { Parameter } from '../runtime/parameter.js';
import type { Block } from '../runtime/memory.js';
import { ARGS, allOk, perElementArgs } from '../runtime/parts.js';
import { InvalidArgumentError } from '../util/errors.js';
import { finiteNumber } from '../util/check.js';
import { CHECKED_COMMIT, f32, type UpdateMode } from './guard.js';
import { Optimizer, rate, specOf, type Rate, type ClipOptions, type OptimizerState, type StateViews } from './optimizer.js';

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

export class Adam extends Optimizer<'m' | 'v'> {
  readonly stateNames = ['m', 'v'] as const;
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

  /** { m, v }: the first and second moments */
  override state(param: Parameter): StateViews<'m' | 'v'> {
    return super.state(param);
  }

  protected prepare(): void {}

  protected magnitudeBound(m: number, lr: number, gscale: number, clip: number): number {
    const t = this.iterations + 1, eps = f32(this.epsilon);
    const g = Math.min(m * gscale, clip) + this.weightDecay * m; // the effective gradient
    const m1 = this.beta1 * m + (1 - this.beta1) * g; // first moment
    const m2 = this.beta2 * m + (1 - this.beta2) * g * g; // second moment (not negative: the guard checks it)
    const root = Math.sqrt(m2), scaled = root / Math.sqrt(f32(1 - Math.pow(this.beta2, t)));
    // the denominator sqrt(m2) / sqrt(bc2) + eps is at least eps; a zero eps or bc1 makes these
    // infinite or NaN, which no bound passes
    const ratio = m1 / eps, step = lr / f32(1 - Math.pow(this.beta1, t));
    return m * gscale + g + g * g + m1 + m2 + root + scaled + eps + ratio + step * ratio + m;
  }

  protected run(p: Parameter, s: { blocks: Block[] } | null, mode: UpdateMode, lr: number, gscale: number, clip: number): number {
    const t = this.iterations + 1;
    const bc1 = 1 - Math.pow(this.beta1, t), bc2 = 1 - Math.pow(this.beta2, t);
    // element by element, so split by ranges among the threads
    const a = ARGS;
    a[0] = p.valuePtr; a[1] = s!.blocks[0]!.ptr; a[2] = s!.blocks[1]!.ptr; a[3] = p.gradPtr; a[4] = p.size; a[5] = lr; a[6] = this.beta1;
    a[7] = this.beta2; a[8] = this.epsilon; a[9] = this.weightDecay; a[10] = bc1; a[11] = bc2; a[12] = gscale; a[13] = clip; a[14] = mode;
    return perElementArgs(p.runtime, 'adam', 15, 4, allOk, mode === CHECKED_COMMIT);
  }

  snapshot(): OptimizerState {
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
