// Every layer type, by its spec's `type`. Adding a layer type: one file in this folder (its spec,
// factory and LayerType) plus its kernels in assembly/, and one line here.
import { InvalidArgumentError } from '../util/errors.js';
import type { LayerSpec, LayerType } from './layer.js';
import { DENSE } from './dense.js';
import { FLATTEN } from './flatten.js';
import { CONV2D } from './conv2d.js';
import { MAX_POOL2D, AVG_POOL2D } from './pool.js';
import { DROPOUT } from './dropout.js';
import { BATCH_NORM } from './batch-norm.js';
import { NORMALIZATION } from './normalization.js';

const TYPES: ReadonlyArray<LayerType<any>> = [DENSE, CONV2D, MAX_POOL2D, AVG_POOL2D, FLATTEN, DROPOUT, BATCH_NORM, NORMALIZATION]; // eslint-disable-line @typescript-eslint/no-explicit-any

const BY_TYPE = new Map<string, LayerType>(TYPES.map((t) => [t.type, t as LayerType]));

export const LAYER_TYPES: readonly string[] = TYPES.map((t) => t.type);

/** the LayerType of a spec, with the spec checked again by its factory's rules; throws naming `where` */
export function layerType(spec: unknown, where: string): { type: LayerType; spec: LayerSpec } {
  const o = spec as LayerSpec | null;
  const t = o !== null && typeof o === 'object' ? BY_TYPE.get(o.type) : undefined;
  if (!t) throw new InvalidArgumentError(where, `a layer made by ${LAYER_TYPES.map((n) => `${n}()`).join(', ')}`, spec);
  try {
    return { type: t, spec: t.check(o!) };
  } catch (e) {
    throw new InvalidArgumentError(where, (e as Error).message);
  }
}
