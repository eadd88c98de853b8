// The code each pool thread runs, as text: a Node worker_threads Worker evaluates it, a browser
// starts it from a Blob URL, so no separate file has to be found next to a bundle. It instantiates
// the shared-memory module on the one shared memory (its own stack comes with the instance; its
// scratch is in the job's arguments), then waits on its own slot of the control block for a job, runs it,
// and says it is done. See pool.ts for the layout of the control block.
export const POOL_WORKER_SOURCE = `
'use strict';
const GEN = 0, DONE = 1, STOP = 2, SLOT = 4, ARGS = 24, RESULT = 23, SPIN = 100000;
function serve(init, post) {
  const { module, memory, control, args, index, kernels } = init;
  const ctrl = new Int32Array(control), job = new Float64Array(args, index * ARGS * 8, ARGS);
  const at = index * SLOT;
  let ex;
  try {
    ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  } catch (e) {
    post({ failed: String(e && e.message || e) });
    return;
  }
  // a job names its kernel by index; extra arguments past a kernel's own are ignored by wasm
  const fns = kernels.map((name) => ex[name]);
  post({ ready: true });
  let seen = 0;
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctrl, at + GEN) === seen && spins++ < SPIN) {}
    if (Atomics.load(ctrl, at + GEN) === seen) Atomics.wait(ctrl, at + GEN, seen);
    seen = Atomics.load(ctrl, at + GEN);
    if (Atomics.load(ctrl, at + STOP) !== 0) return;
    try {
      const f = fns[job[0]];
      if (typeof f !== 'function') throw new Error('unknown kernel ' + job[0]);
      const r = f(job[2], job[3], job[4], job[5], job[6], job[7], job[8], job[9], job[10], job[11],
        job[12], job[13], job[14], job[15], job[16], job[17], job[18], job[19], job[20], job[21]);
      job[RESULT] = typeof r === 'number' ? r : 0;
    } catch (e) {
      post({ failed: String(e && e.message || e) });
      Atomics.store(ctrl, at + STOP, 2);
    }
    Atomics.store(ctrl, at + DONE, seen);
    Atomics.notify(ctrl, at + DONE);
  }
}
if (typeof process !== 'undefined' && process.versions && process.versions.node) {
  // import(), not require: Node evaluates this as a module when the process runs with --input-type=module
  import('node:worker_threads').then(({ parentPort, workerData }) => serve(workerData, (m) => parentPort.postMessage(m)));
} else {
  self.onmessage = (e) => serve(e.data, (m) => self.postMessage(m));
}
`;
