// What the bench is measuring now, on stderr, so stdout stays the report.
import { performance } from 'node:perf_hooks';

const t0 = performance.now();

export function progress(what: string): void {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${s} s] ${what}\n`);
}

export function elapsedSeconds(): number {
  return (performance.now() - t0) / 1000;
}
