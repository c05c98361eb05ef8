/**
 * The smallest ONNX model onnxruntime accepts (y = Identity(x), one float), built in memory so
 * probing a provider needs no model folder and no file. onnxruntime initialises an execution
 * provider (for WebGPU: Dawn, the Vulkan instance and the adapter) when a session asks for it,
 * whatever the graph, so creating a session on this model answers "does this provider start here".
 *
 * Hand-written protobuf (onnx.proto3): field numbers are cited at each call.
 */
export function identityModelBytes(): Uint8Array {
  const tensorType = message([
    varintField(1, 1), // TypeProto.Tensor.elem_type = FLOAT
    bytesField(2, message([bytesField(1, message([varintField(1, 1)]))])), // shape { dim { dim_value: 1 } }
  ]);
  const valueInfo = (name: string) =>
    message([stringField(1, name), bytesField(2, message([bytesField(1, tensorType)]))]); // name, type.tensor_type
  const node = message([stringField(1, 'x'), stringField(2, 'y'), stringField(4, 'Identity')]); // input, output, op_type
  const graph = message([
    bytesField(1, node), // GraphProto.node
    stringField(2, 'provider_probe'), // GraphProto.name
    bytesField(11, valueInfo('x')), // GraphProto.input
    bytesField(12, valueInfo('y')), // GraphProto.output
  ]);
  return message([
    varintField(1, 8), // ModelProto.ir_version
    stringField(2, 'ldm-platform'), // producer_name
    bytesField(7, graph), // ModelProto.graph
    bytesField(8, message([varintField(2, 17)])), // opset_import { version: 17 } (default domain)
  ]);
}

type Part = Uint8Array;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

function varintField(field: number, value: number): Part {
  return Uint8Array.from([...varint((field << 3) | 0), ...varint(value)]);
}

function bytesField(field: number, payload: Uint8Array): Part {
  return message([Uint8Array.from([...varint((field << 3) | 2), ...varint(payload.length)]), payload]);
}

function stringField(field: number, text: string): Part {
  return bytesField(field, new TextEncoder().encode(text));
}

function message(parts: Part[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
