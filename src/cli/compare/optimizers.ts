// The optimizers `compare` races, by short name. Momentum and Nesterov take the momentum under
// comparison; plain gradient descent has none, and Adam keeps its usual beta1 = 0.9 (its own
// momentum-like average), so a momentum setting never changes Adam.
import { SGD, Adam, type Optimizer } from '../../index.js';

export const OPTIMIZER_NAMES = ['gd', 'momentum', 'nesterov', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export const ADAM_BETA1 = 0.9;

/** true for the optimizers whose momentum the comparison sets (and --tune searches) */
export function takesMomentum(name: OptimizerName): boolean {
  return name === 'momentum' || name === 'nesterov';
}

/** the momentum a run of `name` actually uses when the comparison asks for `momentum` */
export function effectiveMomentum(name: OptimizerName, momentum: number): number {
  if (name === 'gd') return 0;
  if (name === 'adam') return ADAM_BETA1;
  return momentum;
}

export function makeOptimizer(name: OptimizerName, learningRate: number, momentum: number): Optimizer {
  switch (name) {
    case 'gd': return new SGD({ learningRate });
    case 'momentum': return new SGD({ learningRate, momentum });
    case 'nesterov': return new SGD({ learningRate, momentum, nesterov: true });
    case 'adam': return new Adam({ learningRate, beta1: ADAM_BETA1 });
  }
}

/** how a run is labelled in tables and legends */
export function describeSettings(name: OptimizerName, learningRate: number, momentum: number): string {
  const lr = `lr ${fmt(learningRate)}`;
  if (name === 'gd') return lr;
  if (name === 'adam') return `${lr}, β₁ ${ADAM_BETA1}`;
  return `${lr}, β ${fmt(momentum)}`;
}

function fmt(v: number): string {
  return Number(v.toPrecision(3)).toString();
}
