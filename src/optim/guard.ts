// The divergence guard's arithmetic. A step must change nothing when any new value would be NaN
// or infinite, so every parameter's update is shown finite before any is written. Computing each
// update twice (a dry run, then the commit) cost a fifth of a small model's step. Instead each rule
// bounds, from the largest magnitude M among a parameter's value, gradient and state and from its
// hyperparameters, the magnitude of every value its kernel computes; far below float32's range
// that bound is a proof, and the commit goes ahead.
//
// M comes from one read-only pass (update_bound_bits, assembly/finite.ts), in which any NaN or
// infinity shows up too. The bound a commit was proven under also bounds everything it wrote, so
// the next step needs to read only the new gradient (max_abs_bits), as long as nothing else can
// have written the value or the state since: no other optimizer's commit or setWeights (the
// parameter's `writes`), no restored checkpoint, no view handed out (Parameter.value and
// Optimizer.state() switch a parameter to full reads for good). That carried bound grows a little
// with every step, so now and then it is read afresh.
//
// Where the bound is not far inside float32's range (a value that is already not finite, a gradient
// or a learning rate huge enough to overflow), and for small parameters, the exact dry run decides,
// element by element, as before.

/** How an update kernel runs (assembly/optim.ts): DRY_RUN writes nothing and answers whether every
 *  new value would be finite; COMMIT writes and checks nothing; CHECKED_COMMIT is a dry run, then
 *  the commit only if it answered yes, in one call (never split among threads: it must see every
 *  element before it writes any). */
export const DRY_RUN = 0, COMMIT = 1, CHECKED_COMMIT = 2;
export type UpdateMode = typeof DRY_RUN | typeof COMMIT | typeof CHECKED_COMMIT;

/** bit patterns at or above this are NaN or ±infinity (or, in update_bound_bits' signed input, negative) */
export const NON_FINITE_BITS = 0x7f800000;

/** A rule's bound at most this proves its float32 results finite: float32 reaches 3.4e38, and the
 *  margin of 34 covers the rounding of each operation and of each hyperparameter to float32 (each a
 *  factor of at most 1 + 2^-24, a few dozen of them) many times over. */
export const FINITE_BOUND = 1e37;

/** Smaller parameters take the exact dry run: at a few hundred elements either pass is mostly a
 *  call's overhead, and a small model then never needs the scan kernel at all (each kernel a model
 *  uses costs tens of microseconds to compile on its first call). */
export const SCAN_MIN = 256;

const word = new Uint32Array(1);
const float = new Float32Array(word.buffer);

/** the float32 whose bit pattern is `bits` (an update_bound_bits result, read as unsigned) */
export function magnitudeOf(bits: number): number {
  word[0] = bits;
  return float[0]!;
}

/** the float32 a kernel receives for x: bounds that divide by a hyperparameter use what the kernel divides by */
export const f32 = Math.fround;
