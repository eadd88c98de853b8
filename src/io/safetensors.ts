// The safetensors container: 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data. Only F32 is read or
// written. The reader trusts nothing: every length, offset and shape is checked against the file
// before any tensor is touched, so a hostile file can only produce a ModelFormatError.
import { ModelFormatError } from '../util/errors.js';
import { parseStrictJson } from '../util/json.js';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

/** headers above this are refused before they are decoded (the reference implementation uses 100 MB) */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export function writeSafetensors(tensors: Array<[string, Tensor]>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // pad the header with spaces so the data starts 8-byte aligned, as the format recommends
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of tensors) {
    for (let i = 0; i < t.data.length; i++) dv.setFloat32(at + i * 4, t.data[i]!, true);
    at += t.data.length * 4;
  }
  return out;
}

export function readSafetensors(input: Uint8Array | ArrayBuffer): SafetensorsFile {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const bad = (what: string): never => { throw new ModelFormatError(what); };
  if (bytes.length < 8) bad(`truncated: ${bytes.length} bytes, the 8-byte header length is missing`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) bad(`header length ${n64} is above the limit of ${MAX_HEADER_BYTES} bytes`);
  const n = Number(n64);
  if (n < 2) bad(`header length ${n} is too small for a JSON object`);
  if (8 + n > bytes.length) bad(`header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return bad('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = parseStrictJson(text.trimEnd());
  } catch (e) {
    return bad(`the header is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) bad('the header is not a JSON object');
  const h = header as Record<string, unknown>;
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  if ('__metadata__' in h) {
    const m = h.__metadata__;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) bad('__metadata__ is not an object');
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      if (typeof v !== 'string') bad(`__metadata__.${k} is not a string`);
      metadata[k] = v as string;
    }
  }

  const entries: Array<{ name: string; shape: number[]; begin: number; end: number }> = [];
  for (const [name, e] of Object.entries(h)) {
    if (name === '__metadata__') continue;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) bad(`tensor '${name}' is not an object`);
    const t = e as Record<string, unknown>;
    if (t.dtype !== 'F32') bad(`tensor '${name}' has dtype ${JSON.stringify(t.dtype)}; only F32 is supported`);
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(`tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (begin > end) bad(`tensor '${name}' has data_offsets [${begin}, ${end}] that run backwards`);
    if (end > dataLength) bad(`tensor '${name}' ends at byte ${end}, past the ${dataLength} bytes of data`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * 4 !== end - begin) bad(`tensor '${name}' has shape [${(shape as number[]).join(', ')}] (${count * 4} bytes) but data_offsets cover ${end - begin} bytes`);
    entries.push({ name, shape: shape as number[], begin, end });
  }
  // the tensors must tile the data exactly: sorted by offset, no overlap, no gap, nothing left over
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin < at) bad(`tensor '${e.name}' overlaps the tensor before it (starts at ${e.begin}, previous ends at ${at})`);
    if (e.begin > at) bad(`a gap of ${e.begin - at} bytes before tensor '${e.name}'`);
    at = e.end;
  }
  if (at !== dataLength) bad(`${dataLength - at} bytes after the last tensor are not described by the header`);

  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const data = new Float32Array((e.end - e.begin) / 4);
    for (let i = 0; i < data.length; i++) data[i] = dv.getFloat32(dataStart + e.begin + i * 4, true);
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { metadata, tensors };
}
