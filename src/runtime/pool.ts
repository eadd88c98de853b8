// The worker pool: threads - 1 workers that instantiate the shared-memory module on the same
// memory as the main thread, and take jobs through a control block of shared Int32s. The caller
// (this thread) writes each worker's job, bumps that worker's generation and wakes it, does its
// own part, then waits for every worker it gave work to: run() returns only when all parts are
// done, so the API above stays synchronous. Workers spin briefly before they sleep, because jobs
// come in quick runs (the GEMMs of one training step) and a wake-up from Atomics.wait costs more
// than a short spin.
//
// Control block, per worker w at w * SLOT: GEN (the job's generation, bumped by the caller),
// DONE (the last generation it finished), STOP (1: end; 2: it failed, see `failure`).
// Job: JOB_ARGS float64s per worker: the kernel (its index in the list the workers were started
// with), the argument count, the arguments, and at JOB_RESULT what the kernel returned.
import { POOL_WORKER_SOURCE } from './pool-worker-source.js';

const GEN = 0, DONE = 1, STOP = 2, SLOT = 4;
export const JOB_ARGS = 24;
/** where a job's arguments start: after the kernel's index and the argument count */
export const JOB_FIRST_ARG = 2;
/** the most arguments a job passes */
export const JOB_MAX_ARGS = 20;
export const JOB_RESULT = JOB_ARGS - 1;
/** how long a wait for a worker may last before the pool calls it lost */
const LOST_MS = 60_000;
/** spins of the caller before it sleeps on a part (about 1 ms at 12 ns an Atomics.load): with 4,000
 *  the caller slept 2.6 times a W1 step on 2 threads, each sleep costing a wake-up of tens of µs;
 *  with 100,000, 0.03 times (it has nothing else to do while it waits) */
const SPIN = 100_000;

interface WorkerHandle {
  terminate(): unknown;
  /** Node only: let the process exit while this worker idles */
  unref?(): void;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export class ThreadPool {
  private readonly ctrl: Int32Array;
  private readonly jobs: Float64Array[];
  private readonly gens: number[];
  /** why the pool cannot run jobs any more (a worker failed or ended); null while it can */
  private broken: string | null = null;
  private ended = false;
  /** @internal the caller's spins before it sleeps on a part (tests shorten it to reach the sleep) */
  spin = SPIN;

  private constructor(private readonly workers: WorkerHandle[], control: SharedArrayBuffer, args: SharedArrayBuffer) {
    this.ctrl = new Int32Array(control);
    this.jobs = workers.map((_, w) => new Float64Array(args, w * JOB_ARGS * 8, JOB_ARGS));
    this.gens = workers.map(() => 0);
  }

  /** workers besides the calling thread */
  get size(): number {
    return this.workers.length;
  }

  /** Starts `count` workers on `memory`; resolves when every one has instantiated the module.
   *  `kernels`: the exports jobs may call, by their index in this list. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number, kernels: readonly string[]): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(Math.max(1, count) * SLOT * 4);
    const args = new SharedArrayBuffer(Math.max(1, count) * JOB_ARGS * 8);
    const handles: WorkerHandle[] = [];
    let pool: ThreadPool | undefined;
    const fail = (w: number, why: string) => {
      if (pool && !pool.ended) pool.broken ??= `thread ${w + 1} of the pool ${why}`;
    };
    const started: Array<Promise<void>> = [];
    for (let w = 0; w < count; w++) {
      const init = { module, memory, control, args, index: w, kernels: kernels.slice() };
      started.push(
        new Promise<void>((resolve, reject) => {
          const onMessage = (m: { ready?: boolean; failed?: string }) => {
            if (m.ready) resolve();
            else if (m.failed !== undefined) { reject(new Error(m.failed)); fail(w, `failed: ${m.failed}`); }
          };
          if (isNode) {
            startNodeWorker(init, onMessage, (e) => { reject(e); fail(w, `failed: ${e.message}`); }, (code) => {
              reject(new Error(`it exited with code ${code} before it started`));
              fail(w, `ended (exit code ${code})`);
            }).then((h) => { handles[w] = h; }, reject);
          } else {
            const url = URL.createObjectURL(new Blob([POOL_WORKER_SOURCE], { type: 'text/javascript' }));
            const worker = new Worker(url);
            URL.revokeObjectURL(url);
            handles[w] = worker;
            worker.onmessage = (e: MessageEvent) => onMessage(e.data as { ready?: boolean; failed?: string });
            worker.onerror = (e: ErrorEvent) => { reject(new Error(e.message)); fail(w, `failed: ${e.message}`); };
            worker.postMessage(init);
          }
        }),
      );
    }
    try {
      await Promise.all(started);
    } catch (e) {
      for (const h of handles) h?.terminate();
      throw new Error(`the worker pool could not start: ${(e as Error).message}`);
    }
    // referenced while they start (an unref'd worker's first message would not keep the process
    // waiting for it), unref'd from now on: an idle pool never keeps a Node process alive
    for (const h of handles) h.unref?.();
    pool = new ThreadPool(handles, control, args);
    return pool;
  }

  /** worker w's job: write it here (kernel index, argument count, arguments), then run() */
  job(w: number): Float64Array {
    return this.jobs[w]!;
  }

  /** what worker w's kernel returned in the last run() */
  result(w: number): number {
    return this.jobs[w]![JOB_RESULT]!;
  }

  /** Starts the jobs written for workers 0 .. workers - 1 (job(w)), runs `own` on this thread, and
   *  returns when all are done. */
  run(workers: number, own: () => void): void {
    if (this.ended) throw new Error('the kernels instance was disposed (its worker pool has ended)');
    if (this.broken) throw new Error(`the worker pool cannot run: ${this.broken}`);
    const { ctrl } = this;
    for (let w = 0; w < workers; w++) {
      const g = ++this.gens[w]!;
      Atomics.store(ctrl, w * SLOT + GEN, g);
      Atomics.notify(ctrl, w * SLOT + GEN);
    }
    own();
    for (let w = 0; w < workers; w++) {
      const at = w * SLOT, g = this.gens[w]!;
      let spins = 0;
      while (Atomics.load(ctrl, at + DONE) !== g && spins++ < this.spin) { /* a spin: most parts end together */ }
      const t0 = Date.now();
      let done: number;
      while ((done = Atomics.load(ctrl, at + DONE)) !== g) {
        // sleeps only while DONE still holds the value just seen: a worker that finished (and
        // notified) in between is not waited for (waiting on a fresh read would sleep out the timeout)
        Atomics.wait(ctrl, at + DONE, done, 1000);
        if (Date.now() - t0 > LOST_MS) {
          this.broken = `thread ${w + 1} did not finish its part in ${LOST_MS / 1000} s (it may have died)`;
          throw new Error(`the worker pool cannot run: ${this.broken}`);
        }
      }
      if (Atomics.load(ctrl, at + STOP) === 2) {
        this.broken ??= `thread ${w + 1} failed in a kernel`;
        throw new Error(`the worker pool cannot run: ${this.broken}`);
      }
    }
  }

  /** Ends every worker (they finish nothing more). */
  dispose(): void {
    if (this.ended) return;
    this.ended = true;
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.ctrl, w * SLOT + STOP, 1);
      Atomics.add(this.ctrl, w * SLOT + GEN, 1);
      Atomics.notify(this.ctrl, w * SLOT + GEN);
      this.workers[w]!.terminate();
    }
  }

  /** @internal for tests: end one worker as if it had crashed */
  killForTest(w: number): void {
    this.workers[w]!.terminate();
  }
}

/** a Node worker_threads Worker running the pool's code, unref'd so an idle pool never keeps the process alive */
async function startNodeWorker(
  init: object, onMessage: (m: { ready?: boolean; failed?: string }) => void, onError: (e: Error) => void, onExit: (code: number) => void,
): Promise<WorkerHandle> {
  // a variable specifier keeps bundlers for the browser from resolving Node built-ins
  const name = 'node:worker_threads';
  const { Worker } = (await import(/* @vite-ignore */ name)) as typeof import('node:worker_threads');
  const worker = new Worker(POOL_WORKER_SOURCE, { eval: true, workerData: init });
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  return worker;
}
