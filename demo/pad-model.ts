// The drawing pad's model, in the worker: a second model of the same architecture on the same
// kernels, holding a copy of the weights of the model being trained. Predictions run on the copy,
// never on the model fit() is stepping, so they cannot touch its workspace, optimizer state or
// shuffling: a run ends with the same weights whether or not someone draws during it. The worker
// handles messages only while fit() yields between batches, so every copy is the weights after a
// whole step. Copying (about 120,000 floats for the CNN) takes a fraction of a millisecond, and is
// done only when a prediction is asked for and the weights have changed since the last copy.
// (The demo's models have no running statistics: their trainable weights are their whole state.)
import type { Kernels, Sequential } from '../src/index.js';

export class PadModel {
  private copy: Sequential | null = null;
  private source: Sequential | null = null;
  private stale = false;

  constructor(private readonly kernels: Kernels) {}

  /** From now on predict with `model`'s weights. */
  follow(model: Sequential): void {
    this.copy?.dispose();
    this.copy = null;
    const copy = this.kernels.sequential(model.config);
    // take its workspace from the arena now, before fit() has the dataset in wasm memory
    copy.predict(new Float32Array(model.inputSize));
    this.copy = copy;
    this.source = model;
    this.stale = true;
  }

  /** The followed model took a step. */
  changed(): void {
    this.stale = true;
  }

  /** Keep the followed model's last weights and stop following it (it is about to be disposed). */
  release(): void {
    this.sync();
    this.source = null;
  }

  /** Probabilities for each row of x; null while there is no model yet. */
  predict(x: Float32Array): Float32Array | null {
    if (!this.copy) return null;
    this.sync();
    return this.copy.predict(x);
  }

  private sync(): void {
    if (this.stale && this.copy && this.source && !this.source.disposed) this.copy.setWeights(this.source.getWeights());
    this.stale = false;
  }
}
