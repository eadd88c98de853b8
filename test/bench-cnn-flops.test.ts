// The bench's FLOP count for the CNN (bench/cnn-net.ts), against the numbers worked out by hand:
// 2·(positions · KH·KW·C · filters) per conv, 2·in·out per dense.
import { describe, expect, it } from 'vitest';
import { CNN_INPUT, CONV_CASES, cnnLayers, convCaseFlops, netFlops } from '../bench/cnn-net.js';

describe('bench CNN FLOP count', () => {
  it('counts LeNet-5 layer by layer', () => {
    const f = netFlops(CNN_INPUT, cnnLayers());
    expect(f.layers.map((l) => l.perProduct)).toEqual([
      2 * 28 * 28 * 25 * 6, // conv 6@5x5 'same' on 28x28x1
      2 * 10 * 10 * 150 * 16, // conv 16@5x5 'valid' on 14x14x6
      2 * 400 * 120,
      2 * 120 * 84,
      2 * 84 * 10,
    ]);
    expect(f.forward).toBe(833_040);
    // forward + weight gradients of all five + input gradients of all but the first
    expect(f.training).toBe(2 * 833_040 + (833_040 - 235_200));
    expect(f.layers[0]!.inputGradient).toBe(false);
    expect(f.layers.slice(1).every((l) => l.inputGradient)).toBe(true);
  });

  it('gives each conv case P over the batch, K and F', () => {
    const wide = CONV_CASES.find((c) => c.target)!;
    expect(convCaseFlops(wide)).toEqual({ P: 64 * 11 * 11, K: 3 * 3 * 32, F: 64, flops: 2 * 64 * 121 * 288 * 64, outShape: [11, 11, 64] });
    expect(convCaseFlops(CONV_CASES[0]!).P).toBe(64 * 28 * 28);
  });
});
