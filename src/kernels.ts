// The facade: one instance of the kernels module (its memory, and the models and parameters that
// live there), and loadKernels. The only file below index.ts that knows every part: the model,
// fit and the model files meet here, so none of them imports another's code.
import type { KernelExports } from './runtime/abi.js';
import { Arena, Block } from './runtime/memory.js';
import type { Runtime } from './runtime/runtime.js';
import { instantiateKernels, type LoadOptions, type Features } from './runtime/load.js';
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
  const [{ exports, features }, encodeOnnx] = await Promise.all([instantiateKernels(options), loadOnnxEncoder()]);
  return new Kernels(exports, features, encodeOnnx);
}

export class Kernels implements Runtime {
  readonly features: Readonly<Features>;
  /** the raw kernel exports, for benchmarks and advanced use; pointers are byte offsets */
  readonly exports: KernelExports;
  readonly arena: Arena;
  /** GEMM packing space, shared by every model here (kernels run one at a time) */
  readonly scratch: Block;

  private readonly services: ModelServices;

  constructor(exports: KernelExports, features: Features, encodeOnnx: OnnxEncoder = new Error('the kernels were made without loadKernels()')) {
    this.services = { fit, save: (model, options) => saveModel(model, options, encodeOnnx) };
    this.exports = exports;
    this.features = Object.freeze({ ...features });
    this.arena = new Arena(exports.memory, exports.heap_base());
    this.scratch = new Block(this.arena, Math.ceil(exports.gemm_scratch_bytes() / 4));
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
