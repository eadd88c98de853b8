// Row gathers for shuffled mini-batches: the dataset lives in wasm memory for the whole fit, so
// a batch is assembled here instead of being copied in from JavaScript every step.

// dst row r = src row idx[r]; rows are `width` 32-bit values (floats or class ids alike)
export function gather_rows(src: usize, idx: usize, count: i32, width: i32, dst: usize): void {
  const rowBytes = <usize>width << 2;
  for (let r = 0; r < count; r++) {
    const i = <usize>load<i32>(idx + (<usize>r << 2));
    memory.copy(dst + <usize>r * rowBytes, src + i * rowBytes, rowBytes);
  }
}
