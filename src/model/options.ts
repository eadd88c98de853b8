// The options and results of Sequential's entry points that live in their own files (fit in
// fit.ts, save in io/model-file.ts), so that the model knows their shapes but not their code.
import type { Optimizer } from '../optim/optimizer.js';

/** class ids (Int32Array / Uint8Array, one per row) or float targets (rows × outputs) */
export type Targets = Float32Array | Int32Array | Uint8Array;

export interface EpochLogs {
  loss: number;
  /** training accuracy over the epoch (cross-entropy models) */
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  samplesPerSec: number;
  seconds: number;
}

export interface BatchLogs {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
}

export interface FitOptions {
  /** default 1 */
  epochs?: number;
  /** default 32 */
  batchSize?: number;
  /** default new SGD({ learningRate: 0.01, momentum: 0.9 }) */
  optimizer?: Optimizer;
  /** reshuffle the rows every epoch; default true */
  shuffle?: boolean;
  /** reseeds the shuffling for this call; default: continue the model's own shuffling stream
   *  (seeded from the model's seed), so fit(N) equals fit(N/2) twice, and a checkpoint resumes it */
  seed?: number;
  validationData?: [Float32Array, Targets];
  /** copy x and y into wasm memory once and gather each batch there (default: when x is at most
   *  256 MiB); false leaves them in JS memory and copies each batch's rows in, for data sets too
   *  large to hold twice. The batches, and so the weights, are the same either way. */
  dataInWasm?: boolean;
  /** 'throw' (default): a NaN/Infinity loss throws TrainingDivergedError; 'stop': training ends, history.diverged says where */
  onDivergence?: 'throw' | 'stop';
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  onBatchEnd?: (logs: BatchLogs) => void;
  /** aborting stops after the current batch; history.stopped says so */
  signal?: AbortSignal;
}

export interface History {
  epochs: number;
  loss: number[];
  accuracy: number[];
  valLoss: number[];
  valAccuracy: number[];
  samplesPerSec: number[];
  stopped?: 'aborted' | 'diverged';
  diverged?: { epoch: number; step: number; message: string };
}

export interface SaveOptions {
  /** also save this optimizer's state (every velocity or moment): a checkpoint to resume training from */
  optimizer?: Optimizer;
  /** 'momentum' (default), 'torch' (PyTorch nn.Sequential state-dict names and layouts) or 'onnx'
   *  (an ONNX model, opset 17, of what predict computes: input 'input' [batch, ...inputShape], NHWC
   *  for images as predict takes them; output 'output' [batch, ...outputShape]; metadata goes
   *  into its metadata_props) */
  format?: 'momentum' | 'torch' | 'onnx';
  /** your own entries for the file's __metadata__ (strings; names must not be one of the library's
   *  own keys), given back by load() as `metadata`: the CLI keeps a table's columns here */
  metadata?: Record<string, string>;
}
