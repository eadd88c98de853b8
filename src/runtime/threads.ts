// How many threads a kernels instance runs, and why fewer than asked. Threads need shared wasm
// memory (SharedArrayBuffer, which browsers give only to cross-origin isolated pages) and a thread
// that may block in Atomics.wait while the others work, which a browser's main thread may not: the
// API stays synchronous (trainBatch returns when the step is done), so that thread has to wait.
import { InvalidArgumentError } from '../util/errors.js';

export type ThreadsOption = number | 'auto';

export interface ThreadPlan {
  threads: number;
  /** why `threads` is fewer than asked (or than 'auto' would give); null when it is not */
  reason: string | null;
}

/** the most threads one instance runs (each has its own GEMM scratch, about 2 MiB) */
export const MAX_THREADS = 64;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** the cores this process may use: os.availableParallelism() in Node, navigator.hardwareConcurrency elsewhere */
async function availableCores(): Promise<number> {
  if (isNode) {
    // a variable specifier keeps bundlers for the browser from resolving Node built-ins
    const osName = 'node:os';
    const os = (await import(/* @vite-ignore */ osName)) as typeof import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

export async function planThreads(requested: ThreadsOption | undefined): Promise<ThreadPlan> {
  const r = requested ?? 'auto';
  if (r !== 'auto' && !(typeof r === 'number' && Number.isInteger(r) && r >= 1 && r <= MAX_THREADS)) {
    throw new InvalidArgumentError('options.threads', `'auto' or an integer in 1..${MAX_THREADS}`, r);
  }
  if (r === 1) return { threads: 1, reason: null };
  const one = (reason: string): ThreadPlan => ({ threads: 1, reason });
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; Worker?: unknown };
  // a browser hides SharedArrayBuffer from a page that is not isolated: say what to do about it
  if (!isNode && g.crossOriginIsolated !== true) {
    return one('the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp');
  }
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') {
    return one('this engine has no SharedArrayBuffer');
  }
  if (!isNode) {
    if (g.document !== undefined) {
      return one("a browser's main thread may not wait (Atomics.wait) for the others: load momentum-wasm in a Web Worker to use threads");
    }
    if (typeof g.Worker !== 'function') return one('this worker cannot start workers of its own (no Worker constructor)');
  }
  const cores = await availableCores();
  return { threads: r === 'auto' ? Math.min(cores, MAX_THREADS) : r, reason: null };
}
