// The size arguments layers share: a number or [h, w], positive integers.
import { InvalidArgumentError } from '../util/errors.js';

export type Size2 = number | readonly [number, number];

/** [h, w] from a number or a pair of positive integers; throws naming `name` */
export function pair(name: string, v: unknown): [number, number] {
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1;
  if (ok(v)) return [v as number, v as number];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw new InvalidArgumentError(name, 'a positive integer or [height, width] of positive integers', v);
}

/** the [H, W, C] of an image input, or throws naming the layer */
export function imageInput(where: string, type: string, input: readonly number[]): [number, number, number] {
  if (input.length !== 3) throw new InvalidArgumentError(where, `a [height, width, channels] input for ${type} (got shape [${input.join(', ')}])`);
  return input as unknown as [number, number, number];
}
