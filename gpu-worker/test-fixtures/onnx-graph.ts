import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX element types the fixtures use, by the names onnxruntime's metadata reports. */
export type ElementType = 'float32' | 'float16' | 'int32' | 'int64' | 'bool';

const ELEMENT_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export function onnxElementType(type: ElementType): number {
  return ELEMENT_TYPE[type];
}

/** A dimension is a fixed size or a symbolic name ("batch"), as exporters write them. */
export type Dim = number | string;

type Attribute = number | number[] | string | Float32Array;

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, Attribute>;
}

interface Initializer {
  name: string;
  type: ElementType;
  dims: number[];
  bytes: Uint8Array;
}

export interface SaveOptions {
  /** Store initializers in this side file (ONNX external data), as large exports do. */
  externalDataFile?: string;
}

/**
 * A minimal ONNX graph builder: just enough to write the tiny stand-ins for a text encoder,
 * UNet and VAE that the tests load with the real onnxruntime. Names are generated so a
 * caller only wires values.
 */
export class OnnxGraph {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: { name: string; type: ElementType; shape: Dim[] }[] = [];
  private readonly outputs: { name: string; type: ElementType; shape: Dim[] }[] = [];
  private counter = 0;

  input(name: string, type: ElementType, shape: Dim[]): string {
    this.inputs.push({ name, type, shape });
    return name;
  }

  output(name: string, type: ElementType, shape: Dim[]): void {
    this.outputs.push({ name, type, shape });
  }

  /** A float32 constant (weights); stored as an initializer. */
  floats(values: ArrayLike<number>, dims: number[]): string {
    const data = Float32Array.from(values);
    return this.addInitializer('float32', dims, new Uint8Array(data.buffer));
  }

  ints(values: number[], dims: number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.addInitializer('int64', dims, new Uint8Array(data.buffer));
  }

  node(op: string, inputs: string[], attributes?: Record<string, Attribute>, output?: string): string {
    const out = output ?? this.fresh(op);
    this.nodes.push({ op, inputs, outputs: [out], attributes });
    return out;
  }

  encode(options: SaveOptions = {}): { model: Uint8Array; externalData?: Uint8Array } {
    const external = options.externalDataFile;
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const initializer = this.initializers.map((init) => {
      const tensor: onnxProto.onnx.ITensorProto = {
        name: init.name,
        dataType: ELEMENT_TYPE[init.type],
        dims: init.dims,
      };
      // Like onnx's own converter, small shape constants stay inline: shape inference needs them.
      if (external && init.type !== 'int64') {
        tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        tensor.externalData = [
          { key: 'location', value: external },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(init.bytes.byteLength) },
        ];
        chunks.push(init.bytes);
        offset += init.bytes.byteLength;
      } else {
        tensor.rawData = init.bytes;
      }
      return tensor;
    });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'ldm-test-fixtures',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'fixture',
        node: this.nodes.map((n, i) => ({
          name: `${n.op}_${i}`,
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attributes ?? {}).map(([name, value]) => attribute(name, value)),
        })),
        initializer,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    });
    const bytes = onnx.ModelProto.encode(model).finish();
    return external ? { model: bytes, externalData: concat(chunks) } : { model: bytes };
  }

  private addInitializer(type: ElementType, dims: number[], bytes: Uint8Array): string {
    const name = this.fresh('const');
    this.initializers.push({ name, type, dims, bytes: bytes.slice() });
    return name;
  }

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }
}

function valueInfo(v: { name: string; type: ElementType; shape: Dim[] }): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE[v.type],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: Attribute): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (value instanceof Float32Array) return { name, type: T.FLOATS, floats: Array.from(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: T.INT, i: value };
  return { name, type: T.FLOAT, f: value };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
