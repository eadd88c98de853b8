// The optimizer base. Each update rule is one kernel pass per parameter (assembly/optim.ts).
// The optimizer owns its per-parameter state (velocities, Adam's moments): a map from parameter
// to its state tensors, created zeroed in the parameter's wasm memory the first time the
// optimizer steps it (or state(param) asks for it), and freed with the parameter or the
// optimizer. Two optimizers on one model never see each other's state.
//
// A step runs as guard + commit, so that a step whose result would not be finite changes
// nothing: every parameter's update is first shown finite without writing (guard.ts: one read of
// its tensors and a magnitude bound, or else an exact dry run), and only if all are is it written.
import { Parameter } from '../runtime/parameter.js';
import { Block } from '../runtime/memory.js';
import { maxBits, perElement } from '../runtime/parts.js';
import { InvalidArgumentError, TrainingDivergedError } from '../util/errors.js';
import { finiteNumber } from '../util/check.js';
import type { Schedule, ScheduleSpec } from './schedules.js';
import { COMMIT, CHECKED_COMMIT, DRY_RUN, FINITE_BOUND, NON_FINITE_BITS, SCAN_MIN, magnitudeOf, type UpdateMode } from './guard.js';

/** a number, or a function of the optimizer's step number (0 for its first update) */
export type Rate = number | Schedule;

export interface ClipOptions {
  /** scale all gradients together so their global L2 norm is at most this */
  clipNorm?: number;
  /** clamp every gradient element to [-clipValue, clipValue] */
  clipValue?: number;
}

/** What a checkpoint stores of an optimizer. */
export interface OptimizerState {
  type: 'SGD' | 'Adam';
  config: Record<string, number | boolean | string | ScheduleSpec | null>;
  iterations: number;
}

/** Live views of an optimizer's state tensors for one parameter, by name. */
export type StateViews<K extends string> = { readonly [name in K]: Float32Array };

interface Slot {
  blocks: Block[];
  /** whether the state is in use: a committed step wrote it, state(param) handed it out, or a
   *  checkpoint restored it. PyTorch's buffer starts from the gradient only when it is not. */
  stepped: boolean;
  forget: () => void;
  /** state(param) handed out views of the state: from then on only reading it tells what it holds */
  exposed: boolean;
  /** a bound on every magnitude in the parameter's value and in this state, proven by the guard
   *  for this optimizer's last commit; it holds while the parameter's `writes` equal `heldWrites`
   *  and neither the value nor the state has been exposed; -1: none */
  held: number;
  heldWrites: number;
  /** the bound the guard proved for the step being committed (-1: the exact dry run decided) */
  next: number;
}

export function rate(name: string, v: unknown, fallback: number, max?: number): Rate {
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

export function specOf(name: string, r: Rate): number | ScheduleSpec {
  if (typeof r === 'number') return r;
  if (r.spec && saveable(r.spec)) return r.spec;
  throw new InvalidArgumentError(name, 'a number or a schedule made by stepDecay / exponentialDecay / cosineDecay / linearWarmup to be saved in a checkpoint', 'a custom function');
}

export abstract class Optimizer<K extends string = string> {
  /** updates applied so far; schedules see this as their step number */
  iterations = 0;
  readonly clipNorm: number | undefined;
  readonly clipValue: number | undefined;
  protected readonly lrRate: Rate;
  /** names of the state tensors kept per parameter, in checkpoint order */
  abstract readonly stateNames: readonly K[];
  private readonly slots = new Map<Parameter, Slot>();

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

  /** Live views of this optimizer's state for `param` ({ velocity } for SGD, { m, v } for Adam),
   *  created zeroed when first asked for. Views are re-taken on each read, so they survive
   *  memory growth; do not keep one across allocations. */
  state(param: Parameter): StateViews<K> {
    if (!(param instanceof Parameter)) throw new InvalidArgumentError('param', 'a Parameter', param);
    param.alive();
    const slot = this.slot(param);
    // handed out, it may be written: from now on it is the buffer (as a preset torch momentum_buffer),
    // and the guard reads it every step
    slot.stepped = true;
    slot.exposed = true;
    const views = {} as Record<K, Float32Array>;
    this.stateNames.forEach((name, i) => Object.defineProperty(views, name, { enumerable: true, get: () => { param.alive(); return slot.blocks[i]!.f32; } }));
    return views;
  }

  /** whether this optimizer holds state for `param` */
  hasState(param: Parameter): boolean {
    return this.slots.has(param);
  }

  /** @internal copies of the state tensors of `param` in stateNames order, or null when there are none;
   *  unlike state(), it creates nothing and marks nothing */
  peekState(param: Parameter): Float32Array[] | null {
    const slot = this.slots.get(param);
    return slot ? slot.blocks.map((b) => b.f32.slice()) : null;
  }

  /** @internal whether the state of `param` is in use (see Slot.stepped); checkpoints store it */
  stepped(param: Parameter): boolean {
    return this.slots.get(param)?.stepped ?? false;
  }

  /** Applies one update to every parameter from its current grad. Checks everything first;
   *  if any new value would be NaN or infinite, throws TrainingDivergedError and changes nothing. */
  step(params: readonly Parameter[]): void {
    this.checkParams('params', params);
    if (!this.apply(params)) {
      throw new TrainingDivergedError({ epoch: 0, step: this.iterations + 1, learningRate: this.learningRate, momentum: this.momentum, loss: NaN, what: 'the update is not finite' });
    }
  }

  /** @internal every entry a live Parameter, none twice (a second entry would update it twice) */
  checkParams(name: string, params: readonly Parameter[]): void {
    if (!Array.isArray(params)) throw new InvalidArgumentError(name, 'an array of Parameter', params);
    const seen = new Set<Parameter>();
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      if (!(p instanceof Parameter)) throw new InvalidArgumentError(`${name}[${i}]`, 'a Parameter', p);
      p.alive();
      if (seen.has(p)) throw new InvalidArgumentError(`${name}[${i}]`, `each parameter once ('${p.name}' is listed twice, and would be updated twice)`, p.name);
      seen.add(p);
    }
  }

  /** @internal the guard over all parameters, then the commit; false (and no change) when not finite */
  apply(params: readonly Parameter[]): boolean {
    if (params.length === 0) { this.iterations++; return true; }
    const lr = this.learningRate;
    this.prepare();
    let gscale = 1;
    if (this.clipNorm !== undefined) {
      let ss = 0;
      for (const p of params) ss += p.runtime.exports.sum_squares(p.gradPtr, p.size);
      const norm = Math.sqrt(ss);
      if (!Number.isFinite(norm)) return false;
      if (norm > this.clipNorm) gscale = this.clipNorm / norm;
    }
    const clip = this.clipValue ?? Infinity;
    // a small last parameter's guard is the exact dry run: its commit makes that dry run itself
    // (CHECKED_COMMIT), after every other parameter is shown finite and before any is written, so
    // a small model's step makes one kernel call less
    const n = params.length, last = params[n - 1]!, checked = last.size < SCAN_MIN;
    const guarded = checked ? n - 1 : n; // the parameters the guard shows finite on its own
    if (!this.guard(params, lr, gscale, clip, guarded)) return false;
    if (checked && !this.commit(last, CHECKED_COMMIT, lr, gscale, clip)) return false;
    for (let i = 0; i < guarded; i++) this.commit(params[i]!, COMMIT, lr, gscale, clip);
    this.iterations++;
    return true;
  }

  /** writes the update of `p` (CHECKED_COMMIT: only when its dry run passes; false, and nothing
   *  written, when it does not) */
  private commit(p: Parameter, mode: UpdateMode, lr: number, gscale: number, clip: number): boolean {
    const s = this.keepsState() ? this.slot(p) : null;
    if (s && mode === CHECKED_COMMIT) s.next = -1; // the exact dry run decides: no bound carried
    if (this.run(p, s, mode, lr, gscale, clip) === 0) return false;
    p.wrote();
    if (s) { s.stepped = true; s.held = s.next; s.heldWrites = p.writes; }
    return true;
  }

  /** @internal true when every value the update of `params` would write is finite; writes nothing.
   *  A large parameter's magnitude bound comes from one read of its gradient when this optimizer's
   *  last commit bounded its value and state and nothing else can have written them since, else
   *  from one read of all its tensors; where the rule's bound on what it computes is not far inside
   *  float32's range, and for small parameters, an exact dry run decides (guard.ts).
   *  Runs after prepare(), with apply's learning rate, global-norm scale and clip value, over the
   *  first `count` of params (all by default). */
  guard(params: readonly Parameter[], lr: number, gscale: number, clip: number, count = params.length): boolean {
    const keep = this.keepsState();
    for (let i = 0; i < count; i++) {
      const p = params[i]!;
      const s = keep ? this.slot(p) : null;
      if (s) s.next = -1;
      if (p.size >= SCAN_MIN) {
        const known = s !== null && s.held >= 0 && s.heldWrites === p.writes && !s.exposed && !p.exposed;
        if (known) {
          const bits = perElement(p.runtime, 'max_abs_bits', p.size, p.gradPtr, -1, -1, -1, maxBits) >>> 0;
          const bound = bits < NON_FINITE_BITS ? this.magnitudeBound(Math.max(s.held, magnitudeOf(bits)), lr, gscale, clip) : Infinity;
          if (bound <= FINITE_BOUND) { s.next = bound; continue; }
        }
        // the bound carried from commit to commit grows each time: now and then it is read afresh
        const s0 = s ? s.blocks[0]!.ptr : 0, s1 = s && s.blocks.length > 1 ? s.blocks[1]!.ptr : 0;
        const bits = perElement(p.runtime, 'update_bound_bits', p.size, p.valuePtr, s0, s1, p.gradPtr, maxBits) >>> 0;
        const bound = bits < NON_FINITE_BITS ? this.magnitudeBound(magnitudeOf(bits), lr, gscale, clip) : Infinity;
        if (bound <= FINITE_BOUND) { if (s) s.next = bound; continue; }
      }
      if (this.run(p, s, DRY_RUN, lr, gscale, clip) === 0) return false;
    }
    return true;
  }

  /** @internal a checkpoint's state: the tensors in stateNames order; `stepped` when the
   *  checkpoint's optimizer had already stepped (PyTorch's buffer then no longer starts from the gradient) */
  restoreState(param: Parameter, tensors: readonly Float32Array[], stepped: boolean): void {
    const slot = this.slot(param);
    tensors.forEach((t, i) => slot.blocks[i]!.f32.set(t));
    slot.stepped = stepped;
    slot.held = -1;
  }

  /** @internal checkpoint description (hyperparameters and step count) */
  abstract snapshot(): OptimizerState;

  /** Frees every state tensor this optimizer holds. It can still step: state is created again. */
  dispose(): void {
    for (const s of [...this.slots.values()]) s.forget();
  }

  /** whether this step uses per-parameter state (SGD with momentum 0 keeps none) */
  protected keepsState(): boolean {
    return true;
  }

  /** per-step values the kernels need (evaluated schedules), before any parameter runs */
  protected abstract prepare(): void;
  /** An upper bound on the magnitude of every value the rule's kernel computes for one parameter
   *  (effective gradient, state, new value, and each step in between) when no input (value, gradient,
   *  state) exceeds m in magnitude and the second state tensor, if any, is not negative. */
  protected abstract magnitudeBound(m: number, lr: number, gscale: number, clip: number): number;
  /** one kernel pass in `mode` (guard.ts): COMMIT writes the update (the guard has shown it finite);
   *  DRY_RUN writes nothing and returns 0 when a new value would not be finite; CHECKED_COMMIT is the
   *  two in one unsplit call, and writes only when it returns 1 */
  protected abstract run(p: Parameter, state: { blocks: Block[]; stepped: boolean } | null, mode: UpdateMode, lr: number, gscale: number, clip: number): number;

  protected evaluate(name: string, r: Rate, max?: number): number {
    if (typeof r === 'number') return r;
    const v = r(this.iterations);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (max !== undefined && v >= max)) {
      throw new InvalidArgumentError(name, `a schedule returning finite numbers in [0, ${max ?? 'Infinity'}) (step ${this.iterations})`, v);
    }
    return v;
  }

  private slot(p: Parameter): Slot {
    let s = this.slots.get(p);
    if (s) return s;
    const blocks: Block[] = [];
    try {
      for (let i = 0; i < this.stateNames.length; i++) blocks.push(new Block(p.runtime.arena, p.size));
    } catch (e) {
      for (const b of blocks) b.free();
      throw e;
    }
    const slot: Slot = { blocks, stepped: false, forget: () => {}, exposed: false, held: -1, heldWrites: 0, next: -1 };
    const unhook = p.onDispose(() => slot.forget());
    slot.forget = () => {
      if (this.slots.get(p) !== slot) return;
      this.slots.delete(p);
      unhook();
      for (const b of blocks) b.free();
    };
    this.slots.set(p, slot);
    return slot;
  }
}

export function isOptimizer(o: unknown): o is Optimizer {
  return o instanceof Optimizer;
}
