// The facade: one instance of the kernels module (its memory, and the models and parameters that
// live there), and loadKernels. The only file below index.ts that knows every part: the model,
// fit and the model files meet here, so none of them imports another's code.
import type { KernelExports } from './runtime/abi.js';
import { Arena, Block } from './runtime/memory.js';
import type { Runtime } from './runtime/runtime.js';
import { instantiateKernels, type LoadOptions, type Features, type SharedInstance } from './runtime/load.js';
import { ThreadPool, JOB_ARGS, JOB_GEMM } from './runtime/pool.js';
import { splitGemm, writeGemmPart } from './runtime/parallel-gemm.js';
import { Parameter, type ParameterInit } from './runtime/parameter.js';
import { Sequential, type SequentialConfig, type ModelServices } from './model/sequential.js';
import { fit } from './model/fit.js';
import { loadModel, saveModel, type Loaded, type LoadOptions as ModelLoadOptions } from './io/model-file.js';
import type { OnnxEncoder } from './io/onnx.js';

/** onnx-proto, loaded once beside the first module (dynamically: see io/onnx-encode.ts) */
let onnxEncoder: Promise<OnnxEncoder> | undefined;
const loadOnnxEncoder = (): Promise<OnnxEncoder> =>
  (onnxEncoder ??= import('./io/onnx-encode.js').then((m) => m.encodeModelProto, (e: unknown) => (e instanceof Error ? e : new Error(String(e)))));

export async function loadKernels(options: LoadOptions = {}): Promise<Kernels> {
  const [{ exports, features, shared }, encodeOnnx] = await Promise.all([instantiateKernels(options), loadOnnxEncoder()]);
  const k = new Kernels(exports, features, encodeOnnx);
  if (shared) await k.startPool(shared);
  return k;
}

export class Kernels implements Runtime {
  readonly features: Readonly<Features>;
  /** the raw kernel exports, for benchmarks and advanced use; pointers are byte offsets */
  readonly exports: KernelExports;
  readonly arena: Arena;
  /** GEMM packing space, shared by every model here (kernels run one at a time) */
  readonly scratch: Block;

  private readonly services: ModelServices;

  private pool: ThreadPool | null = null;
  /** each worker's GEMM packing space */
  private workerScratch: Block[] = [];
  private readonly mr: number;
  private readonly nr: number;
  private readonly job = new Float64Array(JOB_ARGS);

  constructor(exports: KernelExports, features: Features, encodeOnnx: OnnxEncoder = new Error('the kernels were made without loadKernels()')) {
    this.services = { fit, save: (model, options) => saveModel(model, options, encodeOnnx) };
    this.exports = exports;
    this.features = Object.freeze({ ...features });
    this.arena = new Arena(exports.memory, exports.heap_base());
    this.scratch = new Block(this.arena, Math.ceil(exports.gemm_scratch_bytes() / 4));
    // the microkernel's tile, which splits keep whole (a module without them never runs threaded)
    const tile = exports as unknown as { GEMM_MR?: WebAssembly.Global; GEMM_NR?: WebAssembly.Global };
    this.mr = Number(tile.GEMM_MR?.value ?? 1);
    this.nr = Number(tile.GEMM_NR?.value ?? 1);
  }

  /** @internal the worker pool: features.threads - 1 workers on the shared memory */
  async startPool(shared: SharedInstance): Promise<void> {
    const workers = this.features.threads - 1;
    this.workerScratch = Array.from({ length: workers }, () => new Block(this.arena, this.scratch.length));
    try {
      this.pool = await ThreadPool.start(shared.module, shared.memory, workers);
    } catch (e) {
      for (const b of this.workerScratch) b.free();
      throw e;
    }
  }

  gemm(transA: number, transB: number, M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
    c: number, ldc: number, mode: number, bias: number, relu: number): void {
    const parts = this.pool ? splitGemm(this.features.threads, M, N, K, this.mr, this.nr) : null;
    if (parts === null || parts.length < 2) {
      this.exports.gemm(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, mode, bias, this.scratch.ptr, relu);
      return;
    }
    const pool = this.pool!, own = this.job;
    for (let w = 0; w + 1 < parts.length; w++) {
      const job = pool.job(w);
      job[0] = JOB_GEMM;
      writeGemmPart(job, 1, parts[w + 1]!, transA, transB, K, a, lda, b, ldb, c, ldc, mode, bias, this.workerScratch[w]!.ptr, relu);
    }
    writeGemmPart(own, 0, parts[0]!, transA, transB, K, a, lda, b, ldb, c, ldc, mode, bias, this.scratch.ptr, relu);
    pool.run(parts.length - 1, () => this.exports.gemm(own[0]!, own[1]!, own[2]!, own[3]!, own[4]!, own[5]!, own[6]!, own[7]!,
      own[8]!, own[9]!, own[10]!, own[11]!, own[12]!, own[13]!, own[14]!));
  }

  /** Ends this instance's worker threads; its models go on training and predicting on this thread
   *  alone (bitwise the same results: every product is computed as one thread computes it). */
  dispose(): void {
    this.pool?.dispose();
    this.pool = null;
    for (const b of this.workerScratch) b.free();
    this.workerScratch = [];
  }

  /** @internal for tests: the pool */
  get threadPool(): ThreadPool | null {
    return this.pool;
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
