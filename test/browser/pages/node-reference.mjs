// The same scenario in Node, on the package's dist/ and the same .wasm files the browser loads.
// Prints { plain, relaxed } as JSON. Relaxed SIMD needs a V8 flag in Node 20, set before any
// module compiles (this is a process of our own); Node 24 rejects the flag, so only where needed.
import { setFlagsFromString } from 'node:v8';
const mw = await import('../../../dist/index.js');
if (!mw.relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');
const { runScenario } = await import('./scenario.js');
const out = {};
for (const simd of ['plain', 'relaxed']) out[simd] = await runScenario(mw, { simd });
process.stdout.write(JSON.stringify(out));
