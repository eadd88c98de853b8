// The demo's two models, as the worker builds them. The CNN mirrors the CLI's default model
// (CNN_LAYERS in src/cli/cli.ts: LeNet-5's shape with 16 and 32 filters), so that the page and
// `momentum-wasm train mnist` train the same network; the MLP has one hidden ReLU layer.
import { conv2d, dense, flatten, maxPool2d, type SequentialConfig } from '../src/index.js';
import type { RunConfig } from './protocol.js';

export function modelConfig(c: RunConfig): SequentialConfig {
  if (c.model === 'cnn') {
    return {
      inputShape: [28, 28, 1],
      layers: [
        conv2d(16, 5, 'relu', { padding: 'same' }), maxPool2d(2),
        conv2d(32, 5, 'relu'), maxPool2d(2),
        flatten(), dense(120, 'relu'), dense(84, 'relu'), dense(10, 'softmax'),
      ],
      seed: c.seed,
    };
  }
  return { inputSize: 784, layers: [dense(c.hidden, 'relu'), dense(10, 'softmax')], seed: c.seed };
}
