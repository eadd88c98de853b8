// Messages between the demo page and its training worker, and the two models' defaults both sides
// show (the layers themselves are built in models.ts, on the worker side only).

export type Mode = 'single' | 'compare';
export type ModelKind = 'cnn' | 'mlp';

/** per model: its name, its layers in words, and the learning-rate decay per epoch (the CLI's defaults) */
export const MODELS: Record<ModelKind, { label: string; layers: string; decay: number }> = {
  cnn: { label: 'CNN', layers: '28×28 → conv 5×5 ×16 → pool → conv 5×5 ×32 → pool → 120 → 84 → 10 softmax', decay: 0.5 },
  mlp: { label: 'MLP', layers: '784 inputs → hidden ReLU → 10 softmax', decay: 1 },
};

export interface RunConfig {
  mode: Mode;
  model: ModelKind;
  learningRate: number;
  /** the learning rate is multiplied by this after every epoch (1: constant) */
  decay: number;
  momentum: number;
  nesterov: boolean;
  batchSize: number;
  /** the MLP's hidden units (the CNN has fixed sizes) */
  hidden: number;
  epochs: number;
  /** seeds the initial weights and, with the epoch, each epoch's shuffle */
  seed: number;
}

export type ToWorker =
  | { type: 'start'; config: RunConfig }
  | { type: 'stop' }
  /** class probabilities for one framed drawing (784 values); answered by 'prediction' with the same id */
  | { type: 'predict'; id: number; input: Float32Array };

export interface RunInfo {
  label: string;
  /** 'plain' | 'momentum' | 'nesterov': the chart colours by kind */
  kind: 'plain' | 'momentum' | 'nesterov';
}

/** which weights a prediction used */
export interface PredictedBy {
  model: ModelKind;
  run: string;
  /** epochs trained so far, fractional while training */
  epochs: number;
  training: boolean;
}

export type FromWorker =
  /** bytes of the digits file received so far (total: null when the server does not say) */
  | { type: 'loading'; loaded: number; total: number | null }
  | {
      type: 'ready';
      build: 'relaxed' | 'plain';
      /** threads the kernels run on (k.features.threads), and why fewer than asked (threadsReason) */
      threads: number;
      threadsReason: string | null;
      trainRows: number;
      testRows: number;
      grid: { pixels: Float32Array; labels: Uint8Array };
    }
  | { type: 'started'; runs: RunInfo[]; gridRun: number; batchesPerEpoch: number }
  /** mean training loss over the last few batches, at `x` epochs into the run */
  | { type: 'loss'; run: number; x: number; loss: number; samplesPerSec: number | null }
  /** the loss of the very first batch, before any update: equal across compared runs */
  | { type: 'first'; run: number; loss: number }
  | {
      type: 'epoch';
      run: number;
      epoch: number;
      loss: number;
      testLoss: number;
      testAccuracy: number;
      samplesPerSec: number;
      /** predicted class of each grid digit, when this run is the one the grid shows */
      predictions?: Uint8Array;
    }
  | { type: 'diverged'; run: number; message: string }
  | { type: 'done'; stopped: boolean; seconds: number }
  /** probabilities: null before any model exists */
  | { type: 'prediction'; id: number; probabilities: Float32Array | null; by: PredictedBy | null }
  | { type: 'error'; name: string; message: string };
