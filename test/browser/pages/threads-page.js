// esbuild entry of the threads page: loads the package on this main thread (threads 'auto' and 2:
// a page's main thread may not block in Atomics.wait, so both run on one thread), then hands the
// runs to a module worker (threads-worker.js, bundled beside this file) and sets window.mwResult.
import * as mw from 'momentum-wasm';
import { asData, trainWithThreads } from './threads-scenario.js';

const RUNS = [
  { simd: 'auto', threads: 1 }, { simd: 'auto', threads: 2 }, { simd: 'auto', threads: 'auto' },
  { simd: 'plain', threads: 1 }, { simd: 'plain', threads: 2 },
];

async function inWorker() {
  const worker = new Worker(new URL('./threads-worker.js', import.meta.url), { type: 'module' });
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(`the worker failed: ${e.message}`));
      worker.postMessage({ runs: RUNS });
    });
  } finally {
    worker.terminate();
  }
}

async function main() {
  const mainThread = [];
  for (const options of [{ threads: 'auto' }, { threads: 2 }]) {
    mainThread.push({ options, result: await asData(trainWithThreads(mw, options)) });
  }
  return {
    crossOriginIsolated: self.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    mainThread,
    worker: await asData(inWorker()),
  };
}

window.mwResult = main();
