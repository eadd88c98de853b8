// How elementwise and per-image work is shared among threads so that the result does not depend on
// how many: a kernel's range [0, n) of independent units (elements, rows, images, filters) is cut
// into contiguous parts, each computed by one thread exactly as one thread computes it, so every
// output value comes from one thread, in the same order as with one thread. Sums over a range
// (losses, column sums over rows, batch statistics) are not split this way; they stay on one thread
// in their fixed order, or are split along an axis they do not sum over (column sums by columns).

/** The bounds of up to `threads` parts of [0, n), each at least `grain` units (a part must be worth a
 *  thread's wake-up), inner bounds multiples of `align` (whole SIMD vectors), into `out` as
 *  out[0] = 0 < out[1] < … < out[parts] = n; returns the number of parts (1: do not split). */
export function splitRange(threads: number, n: number, grain: number, align: number, out: Int32Array): number {
  out[0] = 0;
  out[1] = n;
  const blocks = Math.floor(n / align);
  let parts = Math.min(threads, Math.floor(n / Math.max(grain, 1)), blocks);
  if (parts < 2) return 1;
  for (let p = 1; p < parts; p++) out[p] = Math.floor((p * blocks) / parts) * align;
  out[parts] = n;
  // equal bounds (possible only when align makes parts empty) merge away
  let kept = 1;
  for (let p = 1; p <= parts; p++) if (out[p]! > out[kept - 1]!) out[kept++] = out[p]!;
  parts = kept - 1;
  return parts;
}
