// The same scenario in Node, on the package's dist/ and the same .wasm files the browser loads.
// Prints { plain, relaxed } as JSON. Relaxed SIMD needs a V8 flag in Node 20, set before any
// module compiles (this is a process of our own).
import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--experimental-wasm-relaxed-simd');
const mw = await import('../../../dist/index.js');
const { runScenario } = await import('./scenario.js');
const out = {};
for (const simd of ['plain', 'relaxed']) out[simd] = await runScenario(mw, { simd });
process.stdout.write(JSON.stringify(out));
