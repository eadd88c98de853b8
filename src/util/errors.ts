// Every error the library throws on purpose is one of these, so callers can tell a bad argument
// from a diverged run from a broken file without parsing messages.

/** An argument is of the wrong type, length or range. `argument` names it. */
export class InvalidArgumentError extends Error {
  readonly argument: string;
  constructor(argument: string, expected: string, got?: unknown) {
    super(`${argument}: expected ${expected}${got === undefined ? '' : `, got ${describe(got)}`}`);
    this.name = 'InvalidArgumentError';
    this.argument = argument;
  }
}

/** A loss or gradient became NaN or infinite; the model keeps its weights from before the step. */
export class TrainingDivergedError extends Error {
  readonly epoch: number;
  readonly step: number;
  readonly learningRate: number;
  readonly momentum: number;
  readonly loss: number;
  constructor(info: { epoch: number; step: number; learningRate: number; momentum: number; loss: number; what: string }) {
    super(
      `training diverged at epoch ${info.epoch}, step ${info.step}: ${info.what} ` +
        `(learning rate ${info.learningRate}, momentum ${info.momentum}). ` +
        `The weights are those from before this step. Lower the learning rate or the momentum.`,
    );
    this.name = 'TrainingDivergedError';
    this.epoch = info.epoch;
    this.step = info.step;
    this.learningRate = info.learningRate;
    this.momentum = info.momentum;
    this.loss = info.loss;
  }
}

/** A model file is malformed: `message` says what is wrong and where. */
export class ModelFormatError extends Error {
  constructor(message: string) {
    super(`model file: ${message}`);
    this.name = 'ModelFormatError';
  }
}

/** The wasm memory cannot grow to hold what was asked. The kernels instance stays usable. */
export class OutOfMemoryError extends Error {
  readonly requested: number;
  readonly available: number;
  constructor(requested: number, available: number) {
    super(`out of wasm memory: ${requested} bytes requested, ${available} bytes available`);
    this.name = 'OutOfMemoryError';
    this.requested = requested;
    this.available = available;
  }
}

/** The module's binary cannot run here (no WebAssembly SIMD, or a bad override). */
export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} of length ${(v as unknown as ArrayLike<number>).length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}
