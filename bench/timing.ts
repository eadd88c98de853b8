// Warm-up, then the median of several timed repetitions. Each repetition runs the body enough times
// to last about `repMs`, so timer resolution and call overhead stay small next to the work; the
// median shrugs off the repetitions another process on this 2-core machine happened to steal.
import { performance } from 'node:perf_hooks';

export interface TimeOptions {
  /** target length of one repetition, ms */
  repMs: number;
  /** timed repetitions (the median of these is reported) */
  reps: number;
  /** warm-up length, ms: wasm functions compile lazily and tier up while hot */
  warmupMs: number;
  /** warm-up calls at least (the first calls also pay for allocation and compilation) */
  warmupCalls?: number;
  /** runs after each timed repetition (of body i, in timeInTurns), untimed: ours.ts probes the peak there */
  afterRep?: (i: number) => void;
}

export interface Timing {
  /** median seconds per call */
  seconds: number;
  /** fastest repetition's seconds per call */
  best: number;
  /** (slowest - fastest) / median over the repetitions: how noisy this measurement was */
  spread: number;
  reps: number;
  callsPerRep: number;
  /** seconds per call of each repetition */
  perCall: number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function summarise(perCall: number[], callsPerRep: number): Timing {
  const m = median(perCall);
  const best = Math.min(...perCall);
  return { seconds: m, best, spread: (Math.max(...perCall) - best) / m, reps: perCall.length, callsPerRep, perCall };
}

/** Calls body for at least `ms` (and at least twice), untimed. */
export function warmUp(body: () => void, ms: number): void {
  const t0 = performance.now();
  let calls = 0;
  while (calls < 2 || performance.now() - t0 < ms) {
    body();
    calls++;
  }
}

/** Warms a synchronous body up and sizes its repetitions: how many calls make one last about repMs. */
function prepareSync(body: () => void, o: Pick<TimeOptions, 'repMs' | 'warmupMs' | 'warmupCalls'>): number {
  const minCalls = Math.max(2, o.warmupCalls ?? 3);
  body(); // the first call sizes nothing: it pays for lazy compilation
  let calls = 0;
  const w0 = performance.now();
  while (calls < minCalls - 1 || performance.now() - w0 < o.warmupMs) {
    body();
    calls++;
  }
  const perCallMs = Math.max((performance.now() - w0) / calls, 1e-6);
  return Math.max(1, Math.round(o.repMs / perCallMs));
}

/** One timed repetition of `calls` calls: seconds per call. */
function timeRep(body: () => void, calls: number): number {
  const t0 = performance.now();
  for (let c = 0; c < calls; c++) body();
  return (performance.now() - t0) / 1000 / calls;
}

/**
 * Times several synchronous bodies in turns: after each body's warm-up, every round runs one
 * repetition of each, so a busy spell on this shared machine lands on all of them alike instead of
 * on whichever happened to be measured then. `afterRep(i)` runs (untimed) after body i's repetition.
 */
export function timeInTurns(bodies: readonly (() => void)[], o: TimeOptions): Timing[] {
  const calls = bodies.map((b) => prepareSync(b, o));
  const perCall: number[][] = bodies.map(() => []);
  for (let r = 0; r < o.reps; r++) {
    bodies.forEach((b, i) => {
      perCall[i]!.push(timeRep(b, calls[i]!));
      o.afterRep?.(i);
    });
  }
  return perCall.map((pc, i) => summarise(pc, calls[i]!));
}

/** One body of timeInTurnsBudgeted: its own repetition length and warm-up, and at most `reps` repetitions. */
export interface BudgetedBody extends Pick<TimeOptions, 'repMs' | 'warmupMs' | 'warmupCalls'> {
  body: () => void;
  /** repetitions of this body (at most the rounds); a slow peer takes part in fewer rounds, spread evenly */
  reps: number;
  /** calls per repetition, for a body the caller has warmed up and sized already (then repMs and warmup are unused) */
  calls?: number;
}

/**
 * timeInTurns for bodies of very different speeds (ours at milliseconds a step, a JavaScript peer at
 * seconds a step): each body is warmed up and sized by its own options, then `rounds` rounds run one
 * repetition of each body whose turn it is, so the repetitions of all bodies still interleave.
 */
export function timeInTurnsBudgeted(bodies: readonly BudgetedBody[], rounds: number, afterRep?: (i: number) => void): Timing[] {
  const calls = bodies.map((b) => b.calls ?? prepareSync(b.body, b));
  const perCall: number[][] = bodies.map(() => []);
  for (let r = 0; r < rounds; r++) {
    bodies.forEach((b, i) => {
      const reps = Math.min(Math.max(1, b.reps), rounds);
      // body i runs in the rounds where floor(r·reps / rounds) steps up: `reps` of them, evenly spaced
      if (Math.floor(((r + 1) * reps) / rounds) === Math.floor((r * reps) / rounds)) return;
      perCall[i]!.push(timeRep(b.body, calls[i]!));
      afterRep?.(i);
    });
  }
  return perCall.map((pc, i) => summarise(pc, calls[i]!));
}
