// momentum-wasm: neural networks trained by backpropagation with momentum, on WebAssembly SIMD.
export { loadKernels, Kernels, simdSupported, relaxedSimdSupported } from './kernels.js';
export type { LoadOptions, Features, SimdChoice, WasmSource } from './kernels.js';
export { Parameter } from './parameter.js';
export type { ParameterInit } from './parameter.js';
export { Optimizer, SGD, Adam, isOptimizer } from './optimizers.js';
export type { SGDOptions, AdamOptions, ClipOptions, Rate, OptimizerState } from './optimizers.js';
export { stepDecay, exponentialDecay, cosineDecay, linearWarmup } from './schedules.js';
export type { Schedule, ScheduleSpec } from './schedules.js';
export { dense, ACTIVATIONS } from './layers.js';
export type { DenseSpec, Activation } from './layers.js';
export { Sequential } from './model.js';
export type { SequentialConfig, LossName, Targets, WeightTensor } from './model.js';
export type { FitOptions, History, EpochLogs, BatchLogs } from './train.js';
export { InvalidArgumentError, TrainingDivergedError, OutOfMemoryError, UnsupportedError, ModelFormatError } from './errors.js';
export type { SaveOptions, LoadOptions as ModelLoadOptions, Loaded } from './io.js';
export { VERSION } from './version.js';
export type { KernelExports } from './abi.js';
