// The facade: one instance of the kernels module (its memory, and the models and parameters that
// live there), and loadKernels. The only file below index.ts that knows every part: the model,
// fit and the model files meet here, so none of them imports another's code.
import type { KernelExports } from './runtime/abi.js';
import { Arena, Block } from './runtime/memory.js';
import type { Runtime } from './runtime/runtime.js';
import { instantiateKernels, type LoadOptions, type Features, type SharedInstance } from './runtime/load.js';
import type { ThreadPool } from './runtime/pool.js';
import { Dispatcher, THREAD_WORK_FLOATS } from './runtime/dispatch.js';
import { Parameter, type ParameterInit } from './runtime/parameter.js';
import { Sequential, type SequentialConfig, type ModelServices } from './model/sequential.js';
import { fit } from './model/fit.js';
import { loadModel, saveModel, type Loaded, type LoadOptions as ModelLoadOptions } from './io/model-file.js';
import type { OnnxEncoder } from './io/onnx.js';
import { warmUp } from './warm-up.js';

/** onnx-proto, loaded once beside the first module (dynamically: see io/onnx-encode.ts) */
let onnxEncoder: Promise<OnnxEncoder> | undefined;
const loadOnnxEncoder = (): Promise<OnnxEncoder> =>
  (onnxEncoder ??= import('./io/onnx-encode.js').then((m) => m.encodeModelProto, (e: unknown) => (e instanceof Error ? e : new Error(String(e)))));

export async function loadKernels(options: LoadOptions = {}): Promise<Kernels> {
  const [{ exports, features, shared }, encodeOnnx] = await Promise.all([instantiateKernels(options), loadOnnxEncoder()]);
  const k = new Kernels(exports, features, encodeOnnx);
  if (shared) await k.startPool(shared);
  if (options.warmUp !== false) warmUp((config) => k.sequential(config));
  return k;
}

export class Kernels implements Runtime {
  readonly features: Readonly<Features>;
  /** the raw kernel exports, for benchmarks and advanced use; pointers are byte offsets */
  readonly exports: KernelExports;
  readonly arena: Arena;
  /** this thread's scratch, shared by every model here (kernels run one at a time): the GEMM's
   *  packing space, then THREAD_WORK_FLOATS for kernels that run a layer's block whole */
  readonly scratch: Block;

  private readonly services: ModelServices;
  private readonly dispatch: Dispatcher;
  /** the Runtime's gemm() and parallel(): the dispatcher's own, bound (no extra call on every kernel call) */
  readonly gemm: Runtime['gemm'];
  readonly parallel: Runtime['parallel'];
  readonly gemmDepthHalves: Runtime['gemmDepthHalves'];

  constructor(exports: KernelExports, features: Features, encodeOnnx: OnnxEncoder = new Error('the kernels were made without loadKernels()')) {
    this.services = { fit, save: (model, options) => saveModel(model, options, encodeOnnx) };
    this.exports = exports;
    this.features = Object.freeze({ ...features });
    this.arena = new Arena(exports.memory, exports.heap_base());
    this.scratch = new Block(this.arena, Math.ceil(exports.gemm_scratch_bytes() / 4) + THREAD_WORK_FLOATS);
    // the microkernel's tile, which splits keep whole (a module without them never runs threaded)
    const tile = exports as unknown as { GEMM_MR?: WebAssembly.Global; GEMM_NR?: WebAssembly.Global };
    this.dispatch = new Dispatcher(exports, this.arena, this.scratch, Number(tile.GEMM_MR?.value ?? 1), Number(tile.GEMM_NR?.value ?? 1));
    this.gemm = this.dispatch.gemm.bind(this.dispatch);
    this.parallel = this.dispatch.parallel.bind(this.dispatch);
    this.gemmDepthHalves = this.dispatch.gemmDepthHalves.bind(this.dispatch);
  }

  /** @internal the worker pool: features.threads - 1 workers on the shared memory */
  async startPool(shared: SharedInstance): Promise<void> {
    await this.dispatch.start(shared, this.features.threads);
  }

  /** threads kernel calls run on now (features.threads until dispose(), then 1) */
  get threads(): number {
    return this.dispatch.threads;
  }

  get threadScratchBytes(): number {
    return this.dispatch.threadScratchBytes;
  }

  /** Ends this instance's worker threads; its models go on training and predicting on this thread
   *  alone (bitwise the same results: every value is computed as one thread computes it). */
  dispose(): void {
    this.dispatch.dispose();
  }

  /** @internal for tests: the pool */
  get threadPool(): ThreadPool | null {
    return this.dispatch.threadPool;
  }

  /** @internal for tests: split every product and range that can be split, however small */
  set splitAll(on: boolean) {
    this.dispatch.splitAll = on;
  }

  /** A parameter tensor in wasm memory: value and gradient (zero-initialised). */
  parameter(init: ParameterInit, name = 'parameter'): Parameter {
    return Parameter.create(this, init, name);
  }

  /** A model (or a checkpoint: model + optimizer) from safetensors bytes written by model.save(). */
  load(bytes: Uint8Array | ArrayBuffer, options: ModelLoadOptions = {}): Loaded {
    return loadModel((config) => this.sequential(config), bytes, options);
  }

  /** A chain of layers trained end to end. */
  sequential(config: SequentialConfig): Sequential {
    return new Sequential(this, config, this.services);
  }
}
