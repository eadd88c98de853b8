// A trainable tensor: its value and its gradient, side by side in wasm memory. Whatever an
// optimizer remembers about it (velocity, Adam's moments) belongs to that optimizer, which frees
// it when the parameter is disposed.
//
// The divergence guard (optim/guard.ts) may skip reading a value it bounded at its last commit, so
// the parameter keeps account of who can have changed it since: `writes` counts the library's own
// writes (commits, setWeights), and `exposed` records for good that the public `value` view was
// handed out, after which anything may have been written through it at any time. Code inside the
// library reads and writes through `values` and reports its writes with wrote().
import type { Runtime } from './runtime.js';
import { Block } from './memory.js';
import { InvalidArgumentError } from '../util/errors.js';
import { allFinite } from '../util/check.js';

export type ParameterInit = number[] | Float32Array | { shape: number[] };

export class Parameter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  /** @internal */ readonly runtime: Runtime;
  private readonly v: Block;
  private readonly g: Block;
  private disposedFlag = false;
  private readonly disposers = new Set<() => void>();
  /** @internal writes the library made to the value (commits, setWeights) */
  writes = 0;
  /** @internal `value` was handed out: its contents are known only by reading them */
  exposed = false;

  /** @internal use k.parameter() */
  constructor(runtime: Runtime, shape: readonly number[], name: string) {
    this.runtime = runtime;
    this.name = name;
    this.shape = Object.freeze(shape.slice());
    this.size = shape.reduce((a, b) => a * b, 1);
    this.v = new Block(runtime.arena, this.size);
    try {
      this.g = new Block(runtime.arena, this.size);
    } catch (e) {
      this.v.free();
      throw e;
    }
  }

  static create(runtime: Runtime, init: ParameterInit, name: string): Parameter {
    let shape: number[];
    let values: ArrayLike<number> | null = null;
    if (Array.isArray(init) || init instanceof Float32Array) {
      if (init.length === 0) throw new InvalidArgumentError('init', 'at least one value', init);
      allFinite('init', init);
      shape = [init.length];
      values = init;
    } else if (init !== null && typeof init === 'object' && Array.isArray((init as { shape?: unknown }).shape)) {
      shape = (init as { shape: number[] }).shape;
      if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
        throw new InvalidArgumentError('init.shape', 'a non-empty array of positive integers', shape);
      }
    } else {
      throw new InvalidArgumentError('init', 'an array of numbers, a Float32Array or { shape: number[] }', init);
    }
    const p = new Parameter(runtime, shape, name);
    if (values) p.values.set(values);
    return p;
  }

  /** live view of the values (re-taken after memory growth: do not keep it across allocations) */
  get value(): Float32Array { this.alive(); this.exposed = true; return this.v.f32; }
  /** @internal the same view for the library's own reads and writes (report writes with wrote()) */
  get values(): Float32Array { this.alive(); return this.v.f32; }
  /** @internal the library wrote the value */
  wrote(): void { this.writes++; }
  /** @internal for a model's constructor only: its layers initialised the value through `value`,
   *  and no view of it can be held outside the model yet */
  settle(): void { this.exposed = false; }
  get grad(): Float32Array { this.alive(); return this.g.f32; }
  /** @internal byte offsets for the kernels */
  get valuePtr(): number { return this.v.ptr; }
  get gradPtr(): number { return this.g.ptr; }

  get disposed(): boolean { return this.disposedFlag; }

  /** @internal */
  alive(): void {
    if (this.disposedFlag) throw new InvalidArgumentError(`parameter '${this.name}'`, 'a parameter that has not been disposed', 'a disposed parameter');
  }

  /** @internal run `f` when this parameter is disposed (optimizers free their state for it) */
  onDispose(f: () => void): () => void {
    this.disposers.add(f);
    return () => this.disposers.delete(f);
  }

  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    this.v.free();
    this.g.free();
    for (const f of [...this.disposers]) f();
    this.disposers.clear();
  }
}
