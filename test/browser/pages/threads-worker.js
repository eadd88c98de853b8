// esbuild entry of the threads page's module worker: on { runs: [{ simd, threads }] } it loads the
// package once per run (each a separate loadKernels), trains threads-scenario.js and posts back
// every result, with what this worker sees (crossOriginIsolated, hardwareConcurrency).
import * as mw from 'momentum-wasm';
import { asData, trainWithThreads } from './threads-scenario.js';

self.onmessage = async (e) => {
  const results = [];
  for (const options of e.data.runs) results.push({ options, result: await asData(trainWithThreads(mw, options)) });
  self.postMessage({
    crossOriginIsolated: self.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    results,
  });
};
