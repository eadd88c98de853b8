// threads-scenario.js in Node on the package's dist/, threads = 1: what the browser's runs must
// equal bit for bit. Prints { plain, relaxed } as JSON. Relaxed SIMD needs a V8 flag in Node 20,
// set before any module compiles (this is a process of our own); Node 24 rejects the flag.
import { setFlagsFromString } from 'node:v8';
const mw = await import('../../../dist/index.js');
if (!mw.relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');
const { trainWithThreads } = await import('./threads-scenario.js');
const out = {};
for (const simd of ['plain', 'relaxed']) out[simd] = await trainWithThreads(mw, { simd, threads: 1 });
process.stdout.write(JSON.stringify(out));
