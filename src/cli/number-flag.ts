// The one parser of numeric command-line flags (train's options and compare's): a string that
// spells a finite number and passes `ok`, or an InvalidArgumentError naming the flag, which the
// CLI reports as a usage error.
import { InvalidArgumentError } from '../index.js';

/** The number `v` spells, or undefined when the flag was not given. */
export function numberFlag(flag: string, v: string | undefined, ok: (n: number) => boolean = () => true, expected = 'a number'): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new InvalidArgumentError(flag, expected, v);
  return n;
}
