// Learning-rate (and momentum) schedules: functions of the optimizer's step number, 0 for its
// first update. The helpers attach a plain description so checkpoints can store them.

export type Schedule = ((step: number) => number) & { readonly spec?: ScheduleSpec };
export type ScheduleSpec =
  | { type: 'stepDecay'; initial: number; factor: number; every: number }
  | { type: 'exponentialDecay'; initial: number; rate: number; steps: number }
  | { type: 'cosineDecay'; initial: number; steps: number; minimum: number }
  | { type: 'linearWarmup'; target: number; steps: number; after: ScheduleSpec | number };

import { InvalidArgumentError } from '../util/errors.js';
import { finiteNumber, positiveInt } from '../util/check.js';

function make(spec: ScheduleSpec, f: (step: number) => number): Schedule {
  return Object.assign(f, { spec: Object.freeze(spec) });
}

/** initial · factor^floor(step / every) */
export function stepDecay(initial: number, factor: number, every: number): Schedule {
  finiteNumber('initial', initial, { min: 0 });
  finiteNumber('factor', factor, { min: 0 });
  positiveInt('every', every);
  return make({ type: 'stepDecay', initial, factor, every }, (s) => initial * Math.pow(factor, Math.floor(s / every)));
}

/** initial · rate^(step / steps) */
export function exponentialDecay(initial: number, rate: number, steps: number): Schedule {
  finiteNumber('initial', initial, { min: 0 });
  finiteNumber('rate', rate, { min: 0 });
  positiveInt('steps', steps);
  return make({ type: 'exponentialDecay', initial, rate, steps }, (s) => initial * Math.pow(rate, s / steps));
}

/** from initial down to minimum over `steps` along half a cosine, then minimum */
export function cosineDecay(initial: number, steps: number, minimum = 0): Schedule {
  finiteNumber('initial', initial, { min: 0 });
  positiveInt('steps', steps);
  finiteNumber('minimum', minimum, { min: 0 });
  return make({ type: 'cosineDecay', initial, steps, minimum }, (s) => {
    const t = Math.min(s, steps) / steps;
    return minimum + (initial - minimum) * 0.5 * (1 + Math.cos(Math.PI * t));
  });
}

/** rises linearly from target/steps to target over `steps`, then follows `after` (default: target) */
export function linearWarmup(target: number, steps: number, after?: Schedule | number): Schedule {
  finiteNumber('target', target, { min: 0 });
  positiveInt('steps', steps);
  if (after !== undefined && typeof after !== 'number' && typeof after !== 'function') throw new InvalidArgumentError('after', 'a number or a schedule', after);
  const next = after ?? target;
  const afterSpec: ScheduleSpec | number = typeof next === 'number' ? next : (next.spec ?? NaN);
  return make({ type: 'linearWarmup', target, steps, after: afterSpec }, (s) =>
    s < steps ? (target * (s + 1)) / steps : typeof next === 'number' ? next : next(s - steps),
  );
}

/** Rebuilds a schedule from its description (checkpoints). */
export function scheduleFromSpec(spec: ScheduleSpec | number): Schedule | number {
  if (typeof spec === 'number') return spec;
  switch (spec.type) {
    case 'stepDecay': return stepDecay(spec.initial, spec.factor, spec.every);
    case 'exponentialDecay': return exponentialDecay(spec.initial, spec.rate, spec.steps);
    case 'cosineDecay': return cosineDecay(spec.initial, spec.steps, spec.minimum);
    case 'linearWarmup': return linearWarmup(spec.target, spec.steps, scheduleFromSpec(spec.after));
    default: throw new InvalidArgumentError('schedule', 'a known schedule description', spec);
  }
}
