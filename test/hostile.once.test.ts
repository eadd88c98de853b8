// Hostile model files (issue 5): every malformed file ends in a ModelFormatError that says what
// is wrong, never another exception, a hang, or an allocation beyond the file's size; and a
// seeded fuzz of thousands of mutated files (models and checkpoints) holds to that. The reader is
// pure TypeScript, so one build is enough: runs in the 'plain' project only.
import { describe, it, expect, beforeAll } from 'vitest';
import { SGD, Adam, dense, ModelFormatError, type Kernels, type Loaded } from '../src/index.js';
import { kernelsUnderTest, seeded } from './helpers.js';

let k: Kernels;
let model: Uint8Array; // a small valid model file
let sgdCheckpoint: Uint8Array;
let adamCheckpoint: Uint8Array;
let torchFile: Uint8Array;

beforeAll(async () => {
  k = await kernelsUnderTest();
  const m = k.sequential({ inputSize: 3, layers: [dense(4, 'relu'), dense(2, 'softmax')], seed: 1 });
  model = m.save();
  const x = seeded(6 * 3, 1), y = Int32Array.from([0, 1, 1, 0, 1, 0]);
  const sgd = new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
  m.trainBatch(x, y, sgd);
  sgdCheckpoint = m.save({ optimizer: sgd });
  const n = k.sequential({ inputSize: 3, layers: [dense(2, 'tanh', { bias: false }), dense(3, 'linear')], loss: 'mse', seed: 2 });
  const adam = new Adam({ learningRate: 0.01 });
  n.trainBatch(x, seeded(6 * 3, 2), adam);
  adamCheckpoint = n.save({ optimizer: adam });
  torchFile = n.save({ format: 'torch' });
  m.dispose(); n.dispose();
});

// ------------------------------------------------------------------ building files by hand

interface Parts { header: Record<string, unknown>; json: string; data: Uint8Array }

function split(bytes: Uint8Array): Parts {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd();
  return { header: JSON.parse(json) as Record<string, unknown>, json, data: bytes.slice(8 + n) };
}

/** 8-byte length (the real one unless given) + header text or bytes + data */
function file(header: string | Uint8Array | Record<string, unknown>, data: Uint8Array, length?: bigint): Uint8Array {
  const h = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** the model file's header, changed by `edit` (a deep copy), with its data */
function edited(edit: (h: Record<string, any>) => void, data?: Uint8Array, base = model): Uint8Array {
  const p = split(base);
  const h = structuredClone(p.header) as Record<string, any>;
  edit(h);
  return file(h, data ?? p.data);
}

/** the model file with its architecture metadata replaced */
function withArchitecture(arch: unknown): Uint8Array {
  return edited((h) => { h.__metadata__.architecture = typeof arch === 'string' ? arch : JSON.stringify(arch); });
}

const f32bytes = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

/** k.load(bytes) must throw a ModelFormatError matching `what`, allocating nothing */
function rejects(bytes: Uint8Array, what: RegExp, label = String(what)): ModelFormatError {
  const before = k.exports.memory.buffer.byteLength, inUse = k.arena.bytesInUse;
  let err: unknown;
  try {
    const r = k.load(bytes);
    r.model.dispose();
  } catch (e) { err = e; }
  expect(err, `${label}: expected a ModelFormatError`).toBeInstanceOf(ModelFormatError);
  const e = err as ModelFormatError;
  expect(e.message, label).toMatch(/^model file: /);
  expect(e.message, label).toMatch(what);
  expect(k.exports.memory.buffer.byteLength, `${label}: memory grew`).toBe(before);
  expect(k.arena.bytesInUse, `${label}: arena bytes kept`).toBe(inUse);
  return e;
}

// ------------------------------------------------------------------ the container

describe('the container', () => {
  it('the valid files load (the baseline for everything below)', () => {
    for (const f of [model, sgdCheckpoint, adamCheckpoint, torchFile]) k.load(f).model.dispose();
    expect(model.length).toBeLessThan(1000);
  });

  it('every truncation of a small valid file says where it ends', () => {
    const n = Number(new DataView(model.buffer).getBigUint64(0, true));
    for (let len = 0; len < model.length; len++) {
      const what = len < 8 ? /truncated: \d+ bytes, the 8-byte header length is missing/
        : len < 8 + n ? new RegExp(`header length ${n} runs past the end of the file \\(${len} bytes\\)`)
        : /tensor '[^']+' ends at byte \d+, past the \d+ bytes of data/;
      rejects(model.subarray(0, len), what, `prefix of ${len} bytes`);
    }
  });

  it('a header length beyond the file, above 100 MB, or too small for a JSON object', () => {
    const p = split(model);
    const h = new TextEncoder().encode(JSON.stringify(p.header));
    rejects(file(h, p.data, BigInt(h.length + p.data.length + 1)), /runs past the end of the file/);
    rejects(file(h, p.data, BigInt(100 * 1024 * 1024 + 1)), /header length 104857601 is above the limit of 104857600 bytes/);
    rejects(file(h, p.data, 2n ** 64n - 1n), /header length 18446744073709551615 is above the limit/);
    rejects(file(h, p.data, 2n ** 53n + 1n), /is above the limit/);
    rejects(file(h, p.data, 0n), /header length 0 is too small/);
    rejects(file(h, p.data, 1n), /header length 1 is too small/);
    // a header length that cuts the JSON short
    rejects(file(h, p.data, BigInt(h.length - 5)), /not valid JSON/);
  });

  it('a header that is not JSON, not UTF-8, too deeply nested, or not an object', () => {
    const none = new Uint8Array(0);
    rejects(file('{"a": }', none), /the header is not valid JSON: unexpected character/);
    rejects(file('hello', none), /the header is not valid JSON/);
    rejects(file('{"a": {"dtype": "F32",', none), /the header is not valid JSON/);
    rejects(file("{'a': 1}", none), /not valid JSON: expected a key/);
    rejects(file('{"a": 1} {"b": 2}', none), /not valid JSON: trailing characters/);
    rejects(file('{"a": "\\q"}', none), /not valid JSON/);
    rejects(file('{"a": NaN}', none), /not valid JSON/);
    rejects(file(Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), none), /the header is not valid UTF-8/);
    rejects(file('{"a":' + '['.repeat(100) + ']'.repeat(100) + '}', none), /not valid JSON: nesting too deep/);
    for (const text of ['[]', '[{"dtype":"F32"}]', '42', 'null', '"text"', 'true']) rejects(file(text, none), /the header is not a JSON object/, text);
    rejects(file('{"__metadata__": [1]}', none), /__metadata__ is not an object/);
    rejects(file('{"__metadata__": {"architecture": {"inputSize": 3}}}', none), /__metadata__\.architecture is not a string/);
  });

  it('tensor entries: unknown dtypes, bad shapes, bad offsets, shapes that disagree with offsets', () => {
    for (const dtype of ['F16', 'BF16', 'F64', 'I32', 'I64', 'U8', 'BOOL', 'f32', 7, null]) {
      rejects(edited((h) => { h['dense_0/bias'].dtype = dtype; }), new RegExp(`tensor 'dense_0/bias' has dtype ${JSON.stringify(JSON.stringify(dtype)).slice(1, -1)}; only F32 is supported`), `dtype ${dtype}`);
    }
    rejects(edited((h) => { delete h['dense_0/bias'].dtype; }), /has dtype undefined; only F32/);
    rejects(edited((h) => { h['dense_0/bias'] = [1, 2]; }), /tensor 'dense_0\/bias' is not an object/);
    rejects(edited((h) => { h['dense_0/bias'] = 'F32'; }), /tensor 'dense_0\/bias' is not an object/);
    for (const shape of [[-4], [4.5], ['4'], '4', [1, 1, 1, 1, 1, 1, 1, 1, 4], null, [2 ** 53]]) {
      rejects(edited((h) => { h['dense_0/bias'].shape = shape; }), /tensor 'dense_0\/bias' has an invalid shape/, `shape ${JSON.stringify(shape)}`);
    }
    for (const off of [[48], [48, 64, 80], [-16, 0], [48.5, 64], ['48', '64'], null, { 0: 48, 1: 64 }]) {
      rejects(edited((h) => { h['dense_0/bias'].data_offsets = off; }), /tensor 'dense_0\/bias' has invalid data_offsets/, `offsets ${JSON.stringify(off)}`);
    }
    rejects(edited((h) => { h['dense_0/bias'].data_offsets = [64, 48]; }), /data_offsets \[64, 48\] that run backwards/);
    rejects(edited((h) => { h['dense_0/bias'].shape = [3]; }), /tensor 'dense_0\/bias' has shape \[3\] \(12 bytes\) but data_offsets cover 16 bytes/);
    rejects(edited((h) => { h['dense_0/kernel'].shape = [3, 5]; }), /has shape \[3, 5\] \(60 bytes\) but data_offsets cover 48 bytes/);
    // a shape whose element count overflows: no allocation, just the mismatch
    rejects(edited((h) => { h['dense_0/kernel'].shape = [2 ** 40, 2 ** 40]; }), /but data_offsets cover 48 bytes/);
  });

  it('overlapping, out-of-range and gapped offsets, and trailing bytes', () => {
    // dense_0/bias [48, 64) moved to [40, 56): overlaps the kernel
    rejects(edited((h) => { h['dense_0/bias'].data_offsets = [40, 56]; }), /tensor 'dense_0\/bias' overlaps the tensor before it \(starts at 40, previous ends at 48\)/);
    // two tensors on the same bytes
    rejects(edited((h) => { h['dense_1/bias'].data_offsets = [48, 56]; }), /overlaps/);
    // past the end of the data
    rejects(edited((h) => { h['dense_1/bias'].data_offsets = [100, 108]; }), /tensor 'dense_1\/bias' ends at byte 108, past the 104 bytes of data/);
    rejects(edited((h) => { h['dense_1/bias'].data_offsets = [2 ** 52, 2 ** 52 + 8]; }), /past the 104 bytes of data/);
    // a gap: data grown by 4 bytes, the last tensor moved back 4
    const p = split(model);
    const grown = new Uint8Array(p.data.length + 4); grown.set(p.data);
    rejects(edited((h) => { h['dense_1/bias'].data_offsets = [100, 108]; }, grown), /a gap of 4 bytes before tensor 'dense_1\/bias'/);
    // the same 4 bytes at the end, not described
    rejects(file(p.header, grown), /4 bytes after the last tensor are not described by the header/);
    const appended = new Uint8Array(model.length + 1); appended.set(model);
    rejects(appended, /1 bytes after the last tensor are not described/);
  });

  it('duplicate names in the JSON header (which JSON.parse would silently collapse)', () => {
    const p = split(model);
    const entry = JSON.stringify(p.header['dense_1/bias']);
    rejects(file(p.json.replace(/}$/, `,"dense_1/bias":${entry}}`), p.data), /not valid JSON: duplicate key "dense_1\/bias"/);
    rejects(file(p.json.replace('"format":', '"format":"x","format":'), p.data), /duplicate key "format"/);
    rejects(file(p.json.replace('"dtype":"F32"', '"dtype":"F32","dtype":"F32"'), p.data), /duplicate key "dtype"/);
  });
});

// ------------------------------------------------------------------ the model inside

describe('the model inside', () => {
  it('missing tensors, unexpected tensors, wrong shapes', () => {
    const p = split(model);
    // dense_1/bias dropped (with its 8 bytes)
    rejects(edited((h) => { delete h['dense_1/bias']; }, p.data.slice(0, 96)), /tensor 'dense_1\/bias' is missing \(the architecture needs it\)/);
    rejects(edited((h) => { delete h['dense_0/kernel']; for (const n of ['dense_0/bias', 'dense_1/kernel', 'dense_1/bias']) h[n].data_offsets = h[n].data_offsets.map((o: number) => o - 48); }, p.data.slice(48)),
      /tensor 'dense_0\/kernel' is missing/);
    // an extra tensor
    const more = new Uint8Array(p.data.length + 8); more.set(p.data);
    rejects(edited((h) => { h.extra = { dtype: 'F32', shape: [2], data_offsets: [104, 112] }; }, more), /unexpected tensor 'extra' \(not part of the architecture\)/);
    rejects(edited((h) => { h['optimizer/dense_0/kernel/velocity'] = { dtype: 'F32', shape: [2], data_offsets: [104, 112] }; }, more), /unexpected tensor 'optimizer\/dense_0\/kernel\/velocity'/);
    // a name JSON.parse would turn into a prototype; the strict reader keeps it as a plain name
    rejects(file(p.json.replace(/}$/, ',"__proto__":{"dtype":"F32","shape":[2],"data_offsets":[104,112]}}'), more), /unexpected tensor '__proto__'/);
    // transposed (same byte count), flattened, an extra axis
    rejects(edited((h) => { h['dense_0/kernel'].shape = [4, 3]; }), /tensor 'dense_0\/kernel' has shape \[4, 3\], the architecture needs \[3, 4\]/);
    rejects(edited((h) => { h['dense_0/kernel'].shape = [12]; }), /has shape \[12\], the architecture needs \[3, 4\]/);
    rejects(edited((h) => { h['dense_1/bias'].shape = [1, 2]; }), /tensor 'dense_1\/bias' has shape \[1, 2\], the architecture needs \[2\]/);
  });

  it('non-finite weights (NaN, ±Infinity) anywhere in the data, velocities included', () => {
    const p = split(model);
    for (const [at, v, name, index] of [[0, NaN, 'dense_0/kernel', 0], [44, Infinity, 'dense_0/kernel', 11], [60, -Infinity, 'dense_0/bias', 3], [100, NaN, 'dense_1/bias', 1]] as const) {
      const data = p.data.slice();
      new DataView(data.buffer).setFloat32(at, v, true);
      rejects(file(p.header, data), new RegExp(`tensor '${name}' holds a non-finite value \\(${v}\\) at index ${index}`));
    }
    // a NaN with a payload (not the canonical bit pattern)
    const data = p.data.slice();
    new DataView(data.buffer).setUint32(4, 0x7f800001, true);
    rejects(file(p.header, data), /holds a non-finite value \(NaN\) at index 1/);
    // in a checkpoint's velocity and second moment
    const c = split(adamCheckpoint);
    for (const name of ['optimizer/dense_0/kernel/velocity', 'optimizer/dense_1/bias/second_moment']) {
      const d = c.data.slice();
      new DataView(d.buffer).setFloat32((c.header[name] as { data_offsets: number[] }).data_offsets[0]!, Infinity, true);
      rejects(file(c.header, d), new RegExp(`tensor '${name}' holds a non-finite value \\(Infinity\\)`));
    }
  });

  it('bad architecture metadata: units 0, unknown activation, bad input size, loss or seed, not JSON, not an architecture', () => {
    const good = JSON.parse((split(model).header.__metadata__ as { architecture: string }).architecture) as object;
    expect(good).toMatchObject({ inputShape: [3], layers: [{ type: 'dense', units: 4 }, { type: 'dense', units: 2 }] });
    const arch = (edit: (a: any) => void) => { const a = structuredClone(good) as any; edit(a); return a; };
    // the form 0.1.0 wrote: { inputSize, layers without a type }
    const old = (edit: (a: any) => void) => arch((a) => { a.inputSize = a.inputShape[0]; delete a.inputShape; for (const l of a.layers) delete l.type; edit(a); });
    rejects(withArchitecture(arch((a) => { a.layers[0].units = 0; })), /architecture\.layers\[0\]: expected units: expected an integer >= 1, got 0/);
    rejects(withArchitecture(old((a) => { a.layers[0].units = 0; })), /architecture\.layers\[0\]: expected units: expected an integer >= 1, got 0/);
    rejects(withArchitecture(arch((a) => { a.layers[0].units = 2.5; })), /architecture\.layers\[0\]: expected units: expected an integer >= 1, got 2\.5/);
    rejects(withArchitecture(arch((a) => { a.layers[1].activation = 'gelu'; })), /architecture\.layers\[1\]: expected activation: expected one of .*got "gelu"/);
    rejects(withArchitecture(old((a) => { a.layers[1].activation = 'gelu'; })), /architecture\.layers\[1\]: expected activation: expected one of .*got "gelu"/);
    rejects(withArchitecture(arch((a) => { a.layers[1].bias = 'yes'; })), /architecture\.layers\[1\]: expected options\.bias: expected a boolean/);
    rejects(withArchitecture(arch((a) => { a.layers[0] = null; })), /architecture\.layers\[0\]: expected a layer made by dense\(\).*got null/);
    rejects(withArchitecture(arch((a) => { a.layers[0].type = 'lstm'; })), /architecture\.layers\[0\]: expected a layer made by dense\(\)/);
    rejects(withArchitecture(arch((a) => { a.layers = 'dense'; })), /__metadata__\.architecture is not an architecture object/);
    rejects(withArchitecture(arch((a) => { delete a.layers; })), /is not an architecture object/);
    rejects(withArchitecture(arch((a) => { a.layers = []; })), /unexpected tensor 'dense_0\/kernel'/);
    rejects(withArchitecture('[1, 2]'), /is not an architecture object/);
    rejects(withArchitecture('null'), /is not an architecture object/);
    rejects(withArchitecture('{"inputSize": 3,'), /__metadata__\.architecture is not valid JSON/);
    rejects(withArchitecture('{"inputSize": 3, "inputSize": 4, "layers": []}'), /architecture is not valid JSON: duplicate key "inputSize"/);
    rejects(withArchitecture('{"inputShape": [3], "inputShape": [4], "layers": []}'), /architecture is not valid JSON: duplicate key "inputShape"/);
    rejects(withArchitecture(arch((a) => { a.inputShape = [4]; })), /tensor 'dense_0\/kernel' has shape \[3, 4\], the architecture needs \[4, 4\]/);
    rejects(withArchitecture(old((a) => { a.inputSize = 4; })), /tensor 'dense_0\/kernel' has shape \[3, 4\], the architecture needs \[4, 4\]/);
    rejects(withArchitecture(arch((a) => { a.inputShape = ['3']; })), /__metadata__\.architecture: inputShape\[0\]: expected an integer >= 1, got "3"/);
    rejects(withArchitecture(old((a) => { a.inputSize = '3'; })), /__metadata__\.architecture: inputSize: expected an integer >= 1, got "3"/);
    rejects(withArchitecture(arch((a) => { a.inputShape = 3; })), /__metadata__\.architecture: inputShape: expected \[features\] or \[height, width, channels\]/);
    rejects(withArchitecture(arch((a) => { a.inputShape = [3, 1]; })), /__metadata__\.architecture: inputShape: expected \[features\] or \[height, width, channels\]/);
    rejects(withArchitecture(arch((a) => { delete a.inputShape; })), /__metadata__\.architecture: inputSize: expected an integer >= 1/);
    rejects(withArchitecture(arch((a) => { a.loss = 'hinge'; })), /architecture: config\.loss: expected one of 'crossEntropy', 'mse'/);
    rejects(withArchitecture(arch((a) => { a.seed = -1; })), /architecture: config\.seed: expected an integer in \[0, 2\^32\)/);
    rejects(withArchitecture(arch((a) => { a.inputShape = [0]; })), /__metadata__\.architecture: inputShape\[0\]: expected an integer >= 1, got 0/);
    rejects(withArchitecture(old((a) => { a.inputSize = 0; })), /__metadata__\.architecture: inputSize: expected an integer >= 1, got 0/);
  });

  it('a huge architecture without the tensors to match allocates nothing', () => {
    const bytes = k.exports.memory.buffer.byteLength;
    const huge = (inputSize: number, units: number) => ({ inputSize, layers: [{ units, activation: 'relu', bias: true }, { units: 2, activation: 'softmax', bias: true }], loss: 'crossEntropy', seed: 1 });
    rejects(withArchitecture(huge(1_000_000_000, 4)), /tensor 'dense_0\/kernel' has shape \[3, 4\], the architecture needs \[1000000000, 4\]/);
    rejects(withArchitecture(huge(3, 2_000_000_000)), /the architecture needs \[3, 2000000000\]/);
    rejects(withArchitecture(huge(2 ** 53 - 1, 2 ** 53 - 1)), /the architecture needs/);
    // tensors that claim the huge shape: their offsets point past the data
    rejects(edited((h) => {
      h.__metadata__.architecture = JSON.stringify(huge(1_000_000_000, 4));
      h['dense_0/kernel'].shape = [1_000_000_000, 4];
      h['dense_0/kernel'].data_offsets = [0, 16_000_000_000];
    }), /tensor 'dense_0\/kernel' ends at byte 16000000000, past the 104 bytes of data/);
    expect(k.exports.memory.buffer.byteLength).toBe(bytes);
  });

  it('bad checkpoint metadata: optimizer state, its hyperparameters, the RNG state, missing velocities', () => {
    const opt = (base: Uint8Array, edit: (o: any) => void) => edited((h) => { const o = JSON.parse(h.__metadata__.optimizer); edit(o); h.__metadata__.optimizer = JSON.stringify(o); }, undefined, base);
    rejects(edited((h) => { h.__metadata__.optimizer = '{"type":'; }, undefined, sgdCheckpoint), /__metadata__\.optimizer is not valid JSON/);
    rejects(opt(sgdCheckpoint, (o) => { o.type = 'RMSprop'; }), /__metadata__\.optimizer is not an optimizer state/);
    rejects(opt(sgdCheckpoint, (o) => { o.iterations = -1; }), /is not an optimizer state/);
    rejects(opt(sgdCheckpoint, (o) => { o.iterations = 1.5; }), /is not an optimizer state/);
    rejects(opt(sgdCheckpoint, (o) => { o.config = null; }), /is not an optimizer state/);
    rejects(opt(sgdCheckpoint, (o) => { o.config.momentum = 1; }), /__metadata__\.optimizer: momentum: expected a number < 1/);
    rejects(opt(sgdCheckpoint, (o) => { o.config.learningRate = -1; }), /__metadata__\.optimizer: learningRate/);
    rejects(opt(sgdCheckpoint, (o) => { o.config.learningRate = { type: 'warp', initial: 1 }; }), /__metadata__\.optimizer: schedule: expected a known schedule description/);
    rejects(opt(sgdCheckpoint, (o) => { o.config.learningRate = { type: 'stepDecay', initial: 0.1, factor: 0.5, every: 0 }; }), /__metadata__\.optimizer: every/);
    rejects(opt(sgdCheckpoint, (o) => { o.config.learningRate = 'fast'; }), /__metadata__\.optimizer: schedule/);
    rejects(opt(sgdCheckpoint, (o) => { o.config.convention = 'pytorch'; o.config.dampening = 0.5; }), /__metadata__\.optimizer: dampening: expected 0 with nesterov/);
    rejects(opt(sgdCheckpoint, (o) => { o.config.nesterov = 'yes'; }), /__metadata__\.optimizer: nesterov: expected a boolean/);
    rejects(opt(adamCheckpoint, (o) => { o.config.beta2 = 1; }), /__metadata__\.optimizer: beta2/);
    // an SGD state over Adam's tensors: the second moments are unexpected
    rejects(opt(adamCheckpoint, (o) => { o.type = 'SGD'; o.config = { learningRate: 0.1, momentum: 0.9 }; }), /unexpected tensor 'optimizer\/dense_0\/kernel\/second_moment'/);
    // Adam's state without second moments
    const c = split(sgdCheckpoint);
    rejects(file({ ...c.header, __metadata__: { ...(c.header.__metadata__ as object), optimizer: JSON.stringify({ type: 'Adam', iterations: 1, config: {} }) } }, c.data), /tensor 'optimizer\/dense_0\/kernel\/second_moment' is missing/);
    for (const rng of ['abc', '-1', '4294967296', '1.5', 'NaN']) {
      rejects(edited((h) => { h.__metadata__.rng = rng; }, undefined, sgdCheckpoint), /__metadata__\.rng is not a generator state/, `rng ${rng}`);
    }
    rejects(edited((h) => { delete h.__metadata__.rng; }, undefined, sgdCheckpoint), /__metadata__\.rng is not a generator state/);
    // a velocity gone (its bytes too)
    const v = c.header['optimizer/dense_1/bias/velocity'] as { data_offsets: number[] };
    expect(v.data_offsets[1]).toBe(c.data.length); // the last tensor
    rejects(edited((h) => { delete h['optimizer/dense_1/bias/velocity']; }, c.data.slice(0, v.data_offsets[0]), sgdCheckpoint), /tensor 'optimizer\/dense_1\/bias\/velocity' is missing/);
  });

  it('a checkpoint in the torch layout: velocities keep their own (momentum) names and shapes, and are checked against those', () => {
    // the torch file and the Adam checkpoint hold the same model; put the checkpoint's optimizer
    // tensors and metadata next to the torch-named weights
    const t = split(torchFile), c = split(adamCheckpoint);
    const tensor = (p: Parts, name: string) => {
      const [b, e] = (p.header[name] as { data_offsets: number[] }).data_offsets as [number, number];
      return new Float32Array(p.data.slice(b, e).buffer);
    };
    const shapeOf = (p: Parts, name: string) => (p.header[name] as { shape: number[] }).shape;
    const build = (velocityShape: (name: string, shape: number[]) => number[]) => {
      const list: Array<[string, number[], Float32Array]> = [];
      for (const n of Object.keys(t.header)) if (n !== '__metadata__') list.push([n, shapeOf(t, n), tensor(t, n)]);
      for (const n of Object.keys(c.header)) if (n.startsWith('optimizer/')) list.push([n, velocityShape(n, shapeOf(c, n)), tensor(c, n)]);
      const header: Record<string, unknown> = { __metadata__: c.header.__metadata__ };
      let off = 0;
      for (const [n, shape, d] of list) { header[n] = { dtype: 'F32', shape, data_offsets: [off, off + d.byteLength] }; off += d.byteLength; }
      const data = new Uint8Array(off);
      off = 0;
      for (const [, , d] of list) { data.set(new Uint8Array(d.buffer), off); off += d.byteLength; }
      return file(header, data);
    };
    const { model: m, optimizer } = k.load(build((_, s) => s));
    const { model: ref, optimizer: refOptimizer } = k.load(adamCheckpoint);
    expect(optimizer).toBeInstanceOf(Adam);
    expect(refOptimizer).toBeInstanceOf(Adam);
    const adam = optimizer as Adam, refAdam = refOptimizer as Adam;
    m.parameters().forEach((p, i) => {
      const q = ref.parameters()[i]!;
      expect(Array.from(p.value), p.name).toEqual(Array.from(q.value));
      expect(Array.from(adam.state(p).m), p.name).toEqual(Array.from(refAdam.state(q).m));
      expect(Array.from(adam.state(p).v), p.name).toEqual(Array.from(refAdam.state(q).v));
      expect(adam.state(p).v.some((x) => x !== 0), `${p.name}: the checkpoint's v came back`).toBe(true);
    });
    m.dispose(); ref.dispose();
    // a velocity in the torch [out, in] shape is the wrong shape for dense_0/kernel [in, out]
    rejects(build((n, s) => (n === 'optimizer/dense_0/kernel/velocity' ? [s[1]!, s[0]!] : s)),
      /tensor 'optimizer\/dense_0\/kernel\/velocity' has shape \[2, 3\], the architecture needs \[3, 2\]/);
  });

  it('not bytes, and a torch state dict without an architecture', () => {
    expect(() => k.load('model.safetensors' as never)).toThrow(/bytes: expected a Uint8Array or ArrayBuffer/);
    const t = split(torchFile);
    delete (t.header as Record<string, unknown>).__metadata__;
    rejects(file(t.header, t.data), /no architecture in __metadata__; pass \{ architecture \} to load a bare state dict/);
  });
});

// ------------------------------------------------------------------ fuzz

/** xorshift32: the same mutations every run */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const u32 = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return { u32, int: (n: number) => u32() % Math.max(n, 1), pick: <T>(a: readonly T[]): T => a[u32() % a.length]! };
}

describe('fuzz', () => {
  it('3,000 mutated files (truncate, flip, splice, length prefix, JSON edits): each loads or throws ModelFormatError; bounded time and memory', () => {
    const r = rng(20240605);
    const bases = [model, sgdCheckpoint, adamCheckpoint, torchFile];
    const headerEnd = (b: Uint8Array) => 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
    const JSONISH = '{}[]",:0123456789.-eE \\tnulfasr'.split('').map((c) => c.charCodeAt(0));
    const flip = (c: Uint8Array, at: number, mask: number) => { c[at] = c[at]! ^ mask; };
    const withLength = (b: Uint8Array, n: bigint) => { const c = b.slice(); new DataView(c.buffer).setBigUint64(0, n, true); return c; };
    const mutations: Array<[string, (b: Uint8Array) => Uint8Array]> = [
      ['truncate', (b) => b.slice(0, r.int(b.length))],
      ['flip bytes anywhere', (b) => { const c = b.slice(); for (let i = 0, n = 1 + r.int(8); i < n; i++) flip(c, r.int(c.length), 1 + r.int(255)); return c; }],
      ['flip bytes in the header', (b) => { const c = b.slice(), end = headerEnd(b); for (let i = 0, n = 1 + r.int(4); i < n; i++) flip(c, 8 + r.int(end - 8), 1 << r.int(8)); return c; }],
      ['flip bytes in the data', (b) => { const c = b.slice(), end = headerEnd(b); for (let i = 0, n = 1 + r.int(6); i < n; i++) flip(c, end + r.int(c.length - end), 1 + r.int(255)); return c; }],
      ['splice two files', (b) => { const o = r.pick(bases); const i = r.int(b.length), j = r.int(o.length); const c = new Uint8Array(i + o.length - j); c.set(b.subarray(0, i)); c.set(o.subarray(j), i); return c; }],
      ['set the length prefix', (b) => withLength(b, r.pick([0n, 1n, 7n, BigInt(r.u32()), BigInt(r.u32()) << 32n, 2n ** 64n - 1n, BigInt(b.length), BigInt(100 * 1024 * 1024 + r.int(3))]))],
      ['nudge the length prefix', (b) => withLength(b, BigInt(Math.max(0, headerEnd(b) - 8 + r.int(33) - 16)))],
      ['insert into the JSON (length fixed up)', (b) => {
        const end = headerEnd(b), at = 8 + r.int(end - 8), n = 1 + r.int(4);
        const c = new Uint8Array(b.length + n); c.set(b.subarray(0, at)); for (let i = 0; i < n; i++) c[at + i] = r.pick(JSONISH); c.set(b.subarray(at), at + n);
        return withLength(c, BigInt(end - 8 + n));
      }],
      ['delete from the JSON (length fixed up)', (b) => {
        const end = headerEnd(b), at = 8 + r.int(end - 8), n = Math.min(1 + r.int(6), end - at);
        const c = new Uint8Array(b.length - n); c.set(b.subarray(0, at)); c.set(b.subarray(at + n), at);
        return withLength(c, BigInt(end - 8 - n));
      }],
      ['insert or delete in the JSON (length kept)', (b) => {
        const end = headerEnd(b), at = 8 + r.int(end - 8);
        if (r.int(2)) { const c = new Uint8Array(b.length + 1); c.set(b.subarray(0, at)); c[at] = r.pick(JSONISH); c.set(b.subarray(at), at + 1); return c; }
        const c = new Uint8Array(b.length - 1); c.set(b.subarray(0, at)); c.set(b.subarray(at + 1), at); return c;
      }],
      ['change a digit in the JSON', (b) => {
        const c = b.slice(), end = headerEnd(b);
        const digits: number[] = [];
        for (let i = 8; i < end; i++) if (c[i]! >= 48 && c[i]! <= 57) digits.push(i);
        c[r.pick(digits)] = 48 + r.int(10);
        return c;
      }],
      ['swap two tensor names', (b) => {
        const text = new TextDecoder().decode(b.subarray(8, headerEnd(b)));
        const names = [...text.matchAll(/"([a-z_0-9./]+)":\{"dtype"/g)].map((m) => m[1]!);
        const [x, y] = [r.pick(names), r.pick(names)];
        const swapped = text.replace(`"${x}":`, '"\u0000":').replace(`"${y}":`, `"${x}":`).replace('"\u0000":', `"${y}":`);
        const d = split(b).data;
        return file(swapped, d);
      }],
    ];

    const memBefore = k.exports.memory.buffer.byteLength, inUse = k.arena.bytesInUse;
    const counts = { loaded: 0, rejected: 0 };
    const byMutation = new Map<string, { loaded: number; rejected: number }>();
    const t0 = performance.now();
    const CASES = 3000;
    for (let i = 0; i < CASES; i++) {
      const base = bases[i % bases.length]!;
      const [name, mutate] = mutations[r.int(mutations.length)]!;
      const bytes = mutate(base);
      let loaded: Loaded | undefined;
      let err: unknown;
      try { loaded = k.load(bytes); } catch (e) { err = e; }
      const tally = byMutation.get(name) ?? { loaded: 0, rejected: 0 };
      byMutation.set(name, tally);
      if (loaded) {
        counts.loaded++; tally.loaded++;
        // whatever loaded is a working model with finite weights
        for (const w of loaded.model.getWeights()) expect(w.values.every(Number.isFinite), `case ${i} (${name}): ${w.name}`).toBe(true);
        loaded.model.predict(new Float32Array(loaded.model.inputSize));
        loaded.model.dispose();
      } else {
        counts.rejected++; tally.rejected++;
        if (!(err instanceof ModelFormatError)) {
          throw new Error(`case ${i} (${name}) threw ${(err as Error)?.name}: ${(err as Error)?.message}\nbytes: ${Buffer.from(bytes).toString('base64')}`);
        }
        expect(err.message.length, `case ${i}: a message that says what is wrong`).toBeGreaterThan('model file: '.length + 10);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    expect(counts.loaded + counts.rejected).toBe(CASES);
    // every kind of mutation ran often
    expect(byMutation.size).toBe(mutations.length);
    for (const [name, t] of byMutation) expect(t.loaded + t.rejected, name).toBeGreaterThan(150);
    expect(seconds).toBeLessThan(60);
    // both outcomes happen: data flips mostly load, structural damage is rejected
    expect(counts.loaded).toBeGreaterThan(50);
    expect(counts.rejected).toBeGreaterThan(1000);
    // at most a few MB of growth, and every loaded model gave its memory back
    expect(k.exports.memory.buffer.byteLength - memBefore).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(k.arena.bytesInUse).toBe(inUse);
  }, 90_000);
});
