// Imported first by run.ts, so it runs before any module compiles wasm. Node 20 validates relaxed SIMD
// only behind this V8 flag; Node 22+ runs it by default and Node 24 rejects the flag ("unrecognized
// flag"), so it is set only where a tiny relaxed module does not validate. It is process-wide, which
// is fine for our own benchmark process and never done on import of the library itself.
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from '../src/runtime/load.js';

if (!relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');
