// Round tick values for a linear axis: one helper for the compare tool's SVG charts (svg.ts,
// charts.ts) and the demo's canvas chart (demo/chart.ts). Pure arithmetic, no imports, so the
// demo's browser bundle can take it.

export interface TickOptions {
  /** false (default): only ticks inside [lo, hi]; true: from the multiple of the step at or below
   *  lo to the one at or above hi, for an axis that takes its range from its ticks */
  cover?: boolean;
  /** the step is one of these times a power of ten (default 1, 2, 5) */
  multiples?: readonly number[];
}

/** About `count` round tick values for [lo, hi], at whole multiples of a round step. */
export function niceTicks(lo: number, hi: number, count = 6, { cover = false, multiples = [1, 2, 5] }: TickOptions = {}): number[] {
  if (cover && !(hi > lo)) hi = lo + 1;
  const span = hi - lo || 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [...multiples, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const first = cover ? Math.floor(lo / step + 1e-9) : Math.ceil(lo / step - 1e-9);
  const last = cover ? Math.ceil(hi / step - 1e-9) : Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  // each tick from its index (no running sum), trimmed of binary noise such as 0.30000000000000004
  for (let i = first; i <= last; i++) ticks.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  if (cover && ticks.length < 2) ticks.push(Number(((first + 1) * step).toPrecision(12)));
  return ticks;
}
