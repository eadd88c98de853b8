// A trainable tensor: value, gradient and velocity side by side in wasm memory. The velocity is
// born with the parameter (zero-filled), so no update rule can run without one.
import type { Kernels } from './kernels.js';
import { Block } from './memory.js';
import { InvalidArgumentError } from './errors.js';
import { allFinite } from './check.js';

export type ParameterInit = number[] | Float32Array | { shape: number[] };

export class Parameter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  /** @internal */ readonly kernels: Kernels;
  private readonly v: Block;
  private readonly g: Block;
  private readonly m: Block;
  private s: Block | null = null;
  private disposedFlag = false;

  /** @internal use k.parameter() */
  constructor(kernels: Kernels, shape: number[], name: string) {
    this.kernels = kernels;
    this.name = name;
    this.shape = Object.freeze(shape.slice());
    this.size = shape.reduce((a, b) => a * b, 1);
    this.v = new Block(kernels.arena, this.size);
    try {
      this.g = new Block(kernels.arena, this.size);
      try {
        this.m = new Block(kernels.arena, this.size);
      } catch (e) {
        this.g.free();
        throw e;
      }
    } catch (e) {
      this.v.free();
      throw e;
    }
  }

  static create(kernels: Kernels, init: ParameterInit, name: string): Parameter {
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
    const p = new Parameter(kernels, shape, name);
    if (values) p.value.set(values);
    return p;
  }

  /** live view of the values (re-taken after memory growth: do not keep it across allocations) */
  get value(): Float32Array { this.alive(); return this.v.f32; }
  get grad(): Float32Array { this.alive(); return this.g.f32; }
  get velocity(): Float32Array { this.alive(); return this.m.f32; }
  /** @internal byte offsets for the kernels */
  get valuePtr(): number { return this.v.ptr; }
  get gradPtr(): number { return this.g.ptr; }
  get velocityPtr(): number { return this.m.ptr; }

  /** Adam's second moment (null until an optimizer that keeps one first steps this parameter) */
  get secondMoment(): Float32Array | null { this.alive(); return this.s ? this.s.f32 : null; }
  /** @internal byte offset of the second-moment buffer, allocated (zero-filled) on first use */
  secondPtr(): number {
    if (!this.s) this.s = new Block(this.kernels.arena, this.size);
    return this.s.ptr;
  }

  get disposed(): boolean { return this.disposedFlag; }

  /** @internal */
  alive(): void {
    if (this.disposedFlag) throw new InvalidArgumentError(`parameter '${this.name}'`, 'a parameter that has not been disposed', 'a disposed parameter');
  }

  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    this.v.free();
    this.g.free();
    this.m.free();
    this.s?.free();
    this.s = null;
  }
}
