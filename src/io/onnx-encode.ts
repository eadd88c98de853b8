// The one file that loads onnx-proto (protobufjs, CommonJS, about 120 kB minified): the facade
// imports it with import() when the kernels load, so the library's static import graph stays free
// of it (a browser page with an import map loads the core without it; ONNX export then says why it
// is unavailable), and a bundler may put it in a chunk of its own.
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';

const { onnx } = onnxProto;

/** A ModelProto (plain objects in onnx-proto's shapes) as its protobuf bytes. */
export function encodeModelProto(model: proto.IModelProto): Uint8Array {
  // protobufjs hands back a Buffer in Node; give a plain Uint8Array as the other formats do
  return new Uint8Array(onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish());
}
