// esbuild entry of bench/browser-threads.ts's page: hands the run to a module worker (a page's main
// thread may not block in Atomics.wait) and sets window.mwResult.
const params = new URL(location.href).searchParams;
window.mwResult = new Promise((resolve, reject) => {
  const worker = new Worker(new URL('./threads-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e) => { resolve(e.data); worker.terminate(); };
  worker.onerror = (e) => reject(new Error(`the worker failed: ${e.message}`));
  worker.postMessage({ counts: params.get('threads').split(',').map(Number), rounds: Number(params.get('rounds')), repMs: Number(params.get('repMs')) });
});
