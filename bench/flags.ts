// Imported first by run.ts, so it runs before any module compiles wasm. Node 20 validates relaxed SIMD
// only behind this V8 flag (Node 22+ has it on by default; setting it again is harmless). It is process-wide,
// which is fine for our own benchmark process and never done on import of the library itself.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--experimental-wasm-relaxed-simd');
