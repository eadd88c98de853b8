// The arena: all tensors of all models live in the kernels module's linear memory, laid out here.
// Kernels only ever see byte offsets. `memory.grow` detaches every view of the old buffer, so views
// are handed out only through Block, which re-takes its view when the buffer has changed: the one
// place where that rule is enforced.
import { OutOfMemoryError } from '../util/errors.js';

const ALIGN = 64; // a cache line: SIMD loads never straddle lines at block starts
const PAGE = 65536;
const MAX_PAGES = 65536; // wasm32: 4 GiB

export class Arena {
  readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  /** free ranges [start, end), sorted by start, never adjacent (merged on free) */
  private free: Array<[number, number]> = [];
  private readonly sizes = new Map<number, number>();
  /** how often memory grew; Blocks compare buffers, this is for tests and stats */
  grows = 0;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.base = align(heapBase);
    this.top = this.base;
  }

  get bytesInUse(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes at a 64-byte aligned offset, zero-filled unless the caller overwrites them all at once
   *  (zero = false). Throws OutOfMemoryError without side effects. */
  alloc(bytes: number, zero = true): number {
    const size = align(Math.max(bytes, 1));
    let ptr = -1;
    for (let i = 0; i < this.free.length; i++) {
      const [s, e] = this.free[i]!;
      if (e - s >= size) {
        ptr = s;
        if (e - s === size) this.free.splice(i, 1);
        else this.free[i] = [s + size, e];
        break;
      }
    }
    if (ptr < 0) {
      // take from the top, absorbing a free range that ends there
      let start = this.top;
      const last = this.free[this.free.length - 1];
      const absorb = last !== undefined && last[1] === this.top;
      if (absorb) start = last![0];
      const end = start + size;
      this.ensure(end);
      if (absorb) this.free.pop();
      this.top = end;
      ptr = start;
    }
    if (zero) new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    this.sizes.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    let s = ptr, e = ptr + size;
    // insert sorted, merging with neighbours
    let i = 0;
    while (i < this.free.length && this.free[i]![0] < s) i++;
    if (i > 0 && this.free[i - 1]![1] === s) { s = this.free[i - 1]![0]; this.free.splice(--i, 1); }
    if (i < this.free.length && this.free[i]![0] === e) { e = this.free[i]![1]; this.free.splice(i, 1); }
    if (e === this.top) this.top = s; // give the tail back to the bump pointer
    else this.free.splice(i, 0, [s, e]);
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    const current = have / PAGE;
    if (current + pages > MAX_PAGES) throw new OutOfMemoryError(end - this.top, MAX_PAGES * PAGE - this.top);
    try {
      this.memory.grow(pages);
    } catch {
      throw new OutOfMemoryError(end - this.top, have - this.top);
    }
    this.grows++;
  }
}

/** A block of f32 (or i32) in the arena with a view that survives memory growth. */
export class Block {
  readonly arena: Arena;
  readonly ptr: number;
  readonly length: number;
  private buf: ArrayBuffer | null = null;
  private f: Float32Array | null = null;
  private i: Int32Array | null = null;

  constructor(arena: Arena, length: number, zero = true) {
    this.arena = arena;
    this.length = length;
    this.ptr = arena.alloc(length * 4, zero);
  }

  /** the current Float32Array view (re-taken only after memory grew) */
  get f32(): Float32Array {
    const b = this.arena.memory.buffer;
    if (b !== this.buf || this.f === null) this.retake(b);
    return this.f!;
  }

  get i32(): Int32Array {
    const b = this.arena.memory.buffer;
    if (b !== this.buf || this.i === null) this.retake(b);
    return this.i!;
  }

  private retake(b: ArrayBuffer): void {
    this.buf = b;
    this.f = new Float32Array(b, this.ptr, this.length);
    this.i = new Int32Array(b, this.ptr, this.length);
  }

  free(): void {
    this.arena.release(this.ptr);
    this.buf = null;
    this.f = null;
    this.i = null;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
