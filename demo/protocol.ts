// Messages between the demo page and its training worker.

export type Mode = 'single' | 'compare';

export interface RunConfig {
  mode: Mode;
  learningRate: number;
  momentum: number;
  nesterov: boolean;
  batchSize: number;
  hidden: number;
  epochs: number;
  /** seeds the initial weights and, with the epoch, each epoch's shuffle */
  seed: number;
}

export type ToWorker = { type: 'start'; config: RunConfig } | { type: 'stop' };

export interface RunInfo {
  label: string;
  /** 'plain' | 'momentum' | 'nesterov': the chart colours by kind */
  kind: 'plain' | 'momentum' | 'nesterov';
}

export type FromWorker =
  | { type: 'ready'; build: 'relaxed' | 'plain'; trainRows: number; testRows: number; grid: { pixels: Float32Array; labels: Uint8Array } }
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
  | { type: 'error'; name: string; message: string };
