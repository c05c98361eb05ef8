import { type FileHandle, open } from 'node:fs/promises';

/**
 * A minimal streaming reader of an ONNX file's graph structure: node wiring and the *shapes*
 * of initializers and Constant values, never their data. onnxruntime-node exposes neither
 * initializers nor nodes, and a UNet with inline weights is gigabytes, so the protobuf is
 * walked field by field and every large field (raw_data, float_data...) is skipped by
 * moving the file offset.
 *
 * Field numbers are onnx.proto3's: ModelProto.graph = 7; GraphProto.node = 1,
 * initializer = 5; NodeProto input = 1, output = 2, op_type = 4, attribute = 5;
 * AttributeProto name = 1, i = 3, t = 5; TensorProto dims = 1, name = 8.
 */
export interface OnnxNodeInfo {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes (e.g. Conv's `group`). */
  ints: Record<string, number>;
  /** Dims of a Constant node's `value` tensor. */
  constantDims?: number[];
}

export interface OnnxGraphStructure {
  nodes: OnnxNodeInfo[];
  /** Initializer name -> dims. */
  initializers: Map<string, number[]>;
}

const CHUNK = 1 << 20;

class BufferedReader {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;
  pos = 0;

  constructor(
    private readonly file: FileHandle,
    readonly size: number,
  ) {}

  private async ensure(bytes: number): Promise<void> {
    const end = this.pos + bytes;
    if (end > this.size) throw new Error(`truncated protobuf at offset ${this.pos}`);
    if (this.pos >= this.bufferStart && end <= this.bufferStart + this.buffer.length) return;
    const length = Math.min(Math.max(CHUNK, bytes), this.size - this.pos);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await this.file.read(buffer, 0, length, this.pos);
    this.buffer = buffer.subarray(0, bytesRead);
    this.bufferStart = this.pos;
    if (bytesRead < bytes) throw new Error(`short read at offset ${this.pos}`);
  }

  async varint(): Promise<number> {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      await this.ensure(1);
      const byte = this.buffer[this.pos - this.bufferStart];
      this.pos += 1;
      // Numbers past 2^53 (negative int64s) lose precision; only sizes and dims are used.
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return result;
    }
    throw new Error(`bad varint at offset ${this.pos}`);
  }

  async bytes(length: number): Promise<Buffer> {
    await this.ensure(length);
    const at = this.pos - this.bufferStart;
    this.pos += length;
    return this.buffer.subarray(at, at + length);
  }

  async string(length: number): Promise<string> {
    return (await this.bytes(length)).toString('utf8');
  }

  /**
   * Reads a length prefix and returns where that value ends. (Not `pos + await varint()`:
   * JavaScript reads `pos` before the await, i.e. before the prefix is consumed.)
   */
  async messageEnd(): Promise<number> {
    const length = await this.varint();
    return this.pos + length;
  }

  /** Skips one field's value of the given wire type. */
  async skip(wireType: number): Promise<void> {
    if (wireType === 0) await this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) {
      const length = await this.varint();
      this.pos += length;
    } else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType} at offset ${this.pos}`);
    if (this.pos > this.size) throw new Error('field runs past the end of the file');
  }

  /** Calls `onField` for each field until `end`; the callback must consume or skip the value. */
  async fields(end: number, onField: (field: number, wireType: number) => Promise<void>): Promise<void> {
    while (this.pos < end) {
      const key = await this.varint();
      const field = Math.floor(key / 8);
      const wireType = key & 7;
      const before = this.pos;
      await onField(field, wireType);
      if (this.pos === before) await this.skip(wireType);
    }
    if (this.pos !== end) throw new Error(`message overruns its length at offset ${this.pos}`);
  }
}

async function readTensorHeader(
  reader: BufferedReader,
  end: number,
): Promise<{ name: string; dims: number[] }> {
  let name = '';
  const dims: number[] = [];
  await reader.fields(end, async (field, wireType) => {
    if (field === 1 && wireType === 0) dims.push(await reader.varint());
    else if (field === 1 && wireType === 2) {
      const stop = await reader.messageEnd();
      while (reader.pos < stop) dims.push(await reader.varint());
    } else if (field === 8 && wireType === 2) name = await reader.string(await reader.varint());
  });
  return { name, dims };
}

async function readAttribute(
  reader: BufferedReader,
  end: number,
): Promise<{ name: string; i?: number; tensorDims?: number[] }> {
  const out: { name: string; i?: number; tensorDims?: number[] } = { name: '' };
  await reader.fields(end, async (field, wireType) => {
    if (field === 1 && wireType === 2) out.name = await reader.string(await reader.varint());
    else if (field === 3 && wireType === 0) out.i = await reader.varint();
    else if (field === 5 && wireType === 2) {
      const stop = await reader.messageEnd();
      out.tensorDims = (await readTensorHeader(reader, stop)).dims;
    }
  });
  return out;
}

async function readNode(reader: BufferedReader, end: number): Promise<OnnxNodeInfo> {
  const node: OnnxNodeInfo = { op: '', inputs: [], outputs: [], ints: {} };
  await reader.fields(end, async (field, wireType) => {
    if (wireType !== 2) return;
    if (field === 1) node.inputs.push(await reader.string(await reader.varint()));
    else if (field === 2) node.outputs.push(await reader.string(await reader.varint()));
    else if (field === 4) node.op = await reader.string(await reader.varint());
    else if (field === 5) {
      const stop = await reader.messageEnd();
      const attr = await readAttribute(reader, stop);
      if (attr.i !== undefined) node.ints[attr.name] = attr.i;
      if (attr.name === 'value' && attr.tensorDims) node.constantDims = attr.tensorDims;
    }
  });
  return node;
}

/** Reads the node wiring and initializer shapes of the main graph of an ONNX file. */
export async function readOnnxGraphStructure(path: string): Promise<OnnxGraphStructure> {
  const file = await open(path, 'r');
  try {
    const reader = new BufferedReader(file, (await file.stat()).size);
    const structure: OnnxGraphStructure = { nodes: [], initializers: new Map() };
    let sawGraph = false;
    await reader.fields(reader.size, async (field, wireType) => {
      if (field !== 7 || wireType !== 2) return;
      sawGraph = true;
      const graphEnd = await reader.messageEnd();
      await reader.fields(graphEnd, async (graphField, graphWire) => {
        if (graphWire !== 2) return;
        if (graphField === 1) {
          const stop = await reader.messageEnd();
          structure.nodes.push(await readNode(reader, stop));
        } else if (graphField === 5) {
          const stop = await reader.messageEnd();
          const { name, dims } = await readTensorHeader(reader, stop);
          structure.initializers.set(name, dims);
        }
      });
    });
    if (!sawGraph) throw new Error('no graph in the file');
    return structure;
  } finally {
    await file.close();
  }
}

// Ops that hand a tensor on unchanged in shape (fp16 exports cast the input first).
const SHAPE_PRESERVING = new Set(['Cast', 'Identity', 'CastLike']);

/**
 * Input channels of the first convolution applied to graph input `input` (through casts):
 * its weight is [out, in / group, kH, kW], so in = dims[1] * group. Undefined when the
 * graph does not show it (no such Conv, or a weight computed at run time).
 */
export function firstConvInputChannels(graph: OnnxGraphStructure, input: string): number | undefined {
  const producers = new Map<string, OnnxNodeInfo>();
  for (const node of graph.nodes) for (const out of node.outputs) producers.set(out, node);
  const reached = new Set([input]);
  for (const node of graph.nodes) {
    // Nodes are topologically sorted in a valid ONNX graph, so one pass follows the chain.
    if (!reached.has(node.inputs[0] ?? '')) continue;
    if (SHAPE_PRESERVING.has(node.op)) {
      for (const out of node.outputs) reached.add(out);
    } else if (node.op === 'Conv') {
      const dims = weightDims(node.inputs[1], graph, producers);
      if (!dims || dims.length < 2) return undefined;
      return dims[1] * (node.ints.group ?? 1);
    }
  }
  return undefined;
}

function weightDims(
  name: string | undefined,
  graph: OnnxGraphStructure,
  producers: Map<string, OnnxNodeInfo>,
): number[] | undefined {
  let current = name;
  for (let hop = 0; current !== undefined && hop < 8; hop++) {
    const dims = graph.initializers.get(current);
    if (dims) return dims;
    const node = producers.get(current);
    if (!node) return undefined;
    if (node.op === 'Constant') return node.constantDims;
    // Mixed-precision exports cast fp16 weights; quantized ones dequantize them (same shape).
    if (!SHAPE_PRESERVING.has(node.op) && node.op !== 'DequantizeLinear') return undefined;
    current = node.inputs[0];
  }
  return undefined;
}
