// Loads the kernels module in Node or a browser and picks the build: relaxed SIMD (FMA) where the
// engine validates it, plain SIMD otherwise; checks the module's ABI version against ours. The
// only file that touches @assemblyscript/loader.
import { instantiate } from '@assemblyscript/loader';
import { ABI_VERSION, type KernelExports } from './abi.js';
import { InvalidArgumentError, UnsupportedError } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { packagedWasmUrl } from '../packaged-wasm.js';
import { planThreads, type ThreadsOption } from './threads.js';

export type SimdChoice = 'auto' | 'plain' | 'relaxed';
export type WasmSource = URL | string | BufferSource | WebAssembly.Module;

export interface LoadOptions {
  /** the module to run instead of the packaged one: a URL, its bytes, or a compiled module */
  wasm?: WasmSource;
  /** with `wasm`, for threads: the shared-memory build of the same module (build/*-shared.wasm) */
  sharedWasm?: WasmSource;
  /** which packaged build to load; 'auto' (default) takes relaxed SIMD where it validates */
  simd?: SimdChoice;
  /** how many threads run the kernels: 'auto' (default) is every core in Node, navigator.hardwareConcurrency
   *  in a cross-origin isolated worker, 1 elsewhere; features.threads says how many run, threadsReason why fewer */
  threads?: ThreadsOption;
  /** train two tiny throwaway models one step before returning, so that the kernels and the code a
   *  first training step runs are compiled by then (src/warm-up.ts: a few milliseconds); default true */
  warmUp?: boolean;
}

export interface Features {
  simd: true;
  relaxedSimd: boolean;
  /** threads that run the kernels (this one and its workers) */
  threads: number;
  /** why threads is fewer than asked; null when it is not */
  threadsReason: string | null;
}

/** the shared-memory module and its memory, for the worker pool (threads > 1) */
export interface SharedInstance {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

/** pages (64 KiB) the shared memory may grow to: 4 GiB in Node, 1 GiB in browsers (phones refuse more) */
const SHARED_MAXIMUM_PAGES = typeof process !== 'undefined' && !!process.versions?.node ? 65536 : 16384;

// (func (drop (v128.const 0))): validates only where fixed-width SIMD is supported
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 23, 1, 21, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 11,
]);
// (func (drop (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 62, 1, 60, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array<number>(16).fill(0)]),
  253, 133, 2, 26, 11,
]);

export function simdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function fetchBytes(url: URL): Promise<BufferSource | Response> {
  if (url.protocol === 'file:' && isNode) {
    // a variable specifier keeps bundlers for the browser from resolving Node built-ins
    const fsName = 'node:fs/promises';
    const urlName = 'node:url';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    const { fileURLToPath } = (await import(/* @vite-ignore */ urlName)) as typeof import('node:url');
    return new Uint8Array(await fs.readFile(fileURLToPath(url)));
  }
  const res = await fetch(url);
  if (!res.ok) throw new UnsupportedError(`could not fetch the kernels module at ${url.href}: HTTP ${res.status}`);
  // instantiateStreaming needs the application/wasm type; without it fall back to bytes
  if (res.headers.get('content-type')?.startsWith('application/wasm')) return res;
  return res.arrayBuffer();
}

async function wasmSource(w: WasmSource, name: string): Promise<WebAssembly.Module | BufferSource | Response> {
  if (w instanceof WebAssembly.Module || ArrayBuffer.isView(w) || w instanceof ArrayBuffer) return w;
  if (w instanceof URL) return fetchBytes(w);
  if (typeof w === 'string') return fetchBytes(new URL(w, typeof location !== 'undefined' ? location.href : import.meta.url));
  throw new InvalidArgumentError(name, 'a URL, a string URL, bytes (ArrayBuffer or a typed array) or a WebAssembly.Module', w);
}

/** The instance's own exports, in a plain object (tests spy on them there). Every kernel takes and
 *  returns numbers only, so the loader's wrapper around each export (a rest array and a spread call
 *  on every call, to set an argument count none of ours reads) is left out: a training step then
 *  allocates nothing, and W3's step ran 8-9% faster (in turns with the loader's exports). */
function rawExports(instance: WebAssembly.Instance): KernelExports & { RELAXED_SIMD: WebAssembly.Global } {
  return { ...instance.exports } as unknown as KernelExports & { RELAXED_SIMD: WebAssembly.Global };
}

/** Instantiates the module the options ask for and checks it is ours, of this ABI version. */
export async function instantiateKernels(options: LoadOptions = {}): Promise<{ exports: KernelExports; features: Features; shared: SharedInstance | null }> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  if (options.warmUp !== undefined && typeof options.warmUp !== 'boolean') throw new InvalidArgumentError('options.warmUp', 'true or false', options.warmUp);
  const simd = options.simd ?? 'auto';
  if (!['auto', 'plain', 'relaxed'].includes(simd)) throw new InvalidArgumentError('options.simd', "'auto', 'plain' or 'relaxed'", simd);
  if (!simdSupported()) {
    throw new UnsupportedError(
      'momentum-wasm needs WebAssembly SIMD (fixed-width, 128-bit), which this engine does not support. ' +
        'Use Node.js 16.4+, Chrome 91+, Firefox 89+ or Safari 16.4+.',
    );
  }
  const relaxedOk = relaxedSimdSupported();
  if (simd === 'relaxed' && !relaxedOk && options.wasm === undefined) {
    throw new UnsupportedError(
      "options.simd is 'relaxed' but this engine does not validate relaxed SIMD " +
        '(Node.js 20 needs --experimental-wasm-relaxed-simd; Safari has none). Use \'auto\' or \'plain\'.',
    );
  }
  const plan = await planThreads(options.threads);
  let threads = plan.threads, threadsReason = plan.reason;
  if (threads > 1 && options.wasm !== undefined && options.sharedWasm === undefined) {
    threads = 1;
    threadsReason = 'options.wasm names one module; threads need its shared-memory build too (options.sharedWasm)';
  }
  const relaxed = simd === 'relaxed' || (simd === 'auto' && relaxedOk);
  const given = threads > 1 ? options.sharedWasm : options.wasm;
  const source = given === undefined ? await fetchBytes(packagedWasmUrl(relaxed, threads > 1)) : await wasmSource(given, threads > 1 ? 'options.sharedWasm' : 'options.wasm');

  let exports: KernelExports & { RELAXED_SIMD: WebAssembly.Global };
  let shared: SharedInstance | null = null;
  try {
    if (threads > 1) {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAXIMUM_PAGES, shared: true });
      const result = await instantiate<Record<string, unknown>>(source, { env: { memory } });
      exports = rawExports(result.instance);
      shared = { module: result.module, memory };
    } else {
      const result = await instantiate<Record<string, unknown>>(source, {});
      exports = rawExports(result.instance);
    }
  } catch (e) {
    throw new UnsupportedError(`the kernels module could not be instantiated: ${(e as Error).message}`);
  }
  for (const name of ['memory', 'heap_base', 'gemm', 'RELAXED_SIMD'] as const) {
    if (!(name in exports)) throw new InvalidArgumentError('options.wasm', 'a momentum-wasm kernels module', `a module without '${name}'`);
  }
  const abi = (exports as unknown as { ABI_VERSION?: WebAssembly.Global }).ABI_VERSION;
  const version = abi instanceof WebAssembly.Global ? Number(abi.value) : undefined;
  if (version !== ABI_VERSION) {
    throw new UnsupportedError(
      `the kernels module has ABI version ${version ?? 'none'}, and this momentum-wasm ${VERSION} needs ${ABI_VERSION}: ` +
        'the .wasm passed as options.wasm was built from another version of momentum-wasm. Use the .wasm files of this package.',
    );
  }
  return { exports, features: { simd: true, relaxedSimd: Boolean(exports.RELAXED_SIMD.value), threads, threadsReason }, shared };
}

