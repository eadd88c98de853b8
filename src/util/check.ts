// Argument checks shared by the public API. Each throws InvalidArgumentError naming the argument.
import { InvalidArgumentError } from './errors.js';

export function finiteNumber(name: string, v: unknown, opts: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(name, 'a finite number', v);
  const { min, max, minExclusive, maxExclusive } = opts;
  if (min !== undefined && (minExclusive ? v <= min : v < min)) throw new InvalidArgumentError(name, `a number ${minExclusive ? '>' : '>='} ${min}`, v);
  if (max !== undefined && (maxExclusive ? v >= max : v > max)) throw new InvalidArgumentError(name, `a number ${maxExclusive ? '<' : '<='} ${max}`, v);
  return v;
}

export function positiveInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidArgumentError(name, `an integer >= ${min}`, v);
  return v;
}

export function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  }
  return v as T;
}

export function bool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new InvalidArgumentError(name, 'a boolean', v);
  return v;
}

/** Throws unless every element of `a` is finite. */
export function allFinite(name: string, a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v !== 0) throw new InvalidArgumentError(name, 'finite values only', `${v} at index ${i}`);
  }
}

/** a seed: an integer in [0, 2^32) */
export function seed32(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidArgumentError(name, 'an integer in [0, 2^32)', v);
  return v;
}
