import { type Dim, type ElementType, OnnxGraph, onnxElementType } from './onnx-graph';

/** Hidden size of the fixture text encoder; real CLIP uses 768 or 1024. */
export const HIDDEN = 8;
export const SEQ_LEN = 77;
export const VOCAB_SIZE = 49408;

export type TimestepVariant = 'int64' | 'int32' | 'float32' | 'float32-scalar' | 'float16';

/** Fixed pseudo-random weights so every fixture build is byte-identical. */
export function weights(count: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** Declared input: float tensors of an fp16 export are cast to float32 right away (CPU kernels). */
export function floatInput(g: OnnxGraph, name: string, io: ElementType, shape: Dim[]): string {
  g.input(name, io, shape);
  return io === 'float16' ? g.node('Cast', [name], { to: onnxElementType('float32') }) : name;
}

export function floatOutput(g: OnnxGraph, value: string, name: string, io: ElementType, shape: Dim[]): void {
  g.node('Cast', [value], { to: onnxElementType(io) }, name);
  g.output(name, io, shape);
}

export interface TextEncoderOptions {
  idsType: 'int32' | 'int64';
  io: 'float32' | 'float16';
  /**
   * Expose `hidden_states.0` .. `hidden_states.N` (optimum's names with output_hidden_states):
   * N tanh(x W + b) layers after the embeddings, and last_hidden_state = the final LayerNorm
   * (FINAL_NORM) of the last one, as CLIP's text model is built.
   */
  hiddenLayers?: number;
}

/** gamma and beta of the fixture's final LayerNorm (epsilon 1e-5), for tests that recompute it. */
export const FINAL_NORM = {
  gamma: Array.from(weights(HIDDEN, 14, 0.5), (v) => 1 + v),
  beta: Array.from(weights(HIDDEN, 15, 0.2)),
  epsilon: 1e-5,
};

/** Embedding lookup + position embedding + tanh: outputs depend on every token id. */
export function textEncoder(options: TextEncoderOptions): OnnxGraph {
  const g = new OnnxGraph();
  g.input('input_ids', options.idsType, ['batch', 'sequence']);
  const ids =
    options.idsType === 'int32'
      ? g.node('Cast', ['input_ids'], { to: onnxElementType('int64') })
      : 'input_ids';
  const table = g.floats(weights(VOCAB_SIZE * HIDDEN, 11, 1), [VOCAB_SIZE, HIDDEN]);
  const embedded = g.node('Gather', [table, ids], { axis: 0 });
  const positions = g.floats(weights(SEQ_LEN * HIDDEN, 12, 0.1), [SEQ_LEN, HIDDEN]);
  const states: Dim[] = ['batch', 'sequence', HIDDEN];
  let hidden: string;
  if (options.hiddenLayers) {
    let layer = g.node('Add', [embedded, positions]);
    floatOutput(g, layer, 'hidden_states.0', options.io, states);
    for (let i = 1; i <= options.hiddenLayers; i++) {
      const w = g.floats(weights(HIDDEN * HIDDEN, 100 + i, 0.6), [HIDDEN, HIDDEN]);
      const b = g.floats(weights(HIDDEN, 200 + i, 0.3), [HIDDEN]);
      layer = g.node('Tanh', [g.node('Add', [g.node('MatMul', [layer, w]), b])]);
      floatOutput(g, layer, `hidden_states.${i}`, options.io, states);
    }
    hidden = g.node(
      'LayerNormalization',
      [layer, g.floats(FINAL_NORM.gamma, [HIDDEN]), g.floats(FINAL_NORM.beta, [HIDDEN])],
      { axis: -1, epsilon: FINAL_NORM.epsilon },
    );
  } else {
    hidden = g.node('Tanh', [g.node('Add', [embedded, positions])]);
  }
  floatOutput(g, hidden, 'last_hidden_state', options.io, states);
  const pooled = g.node('ReduceMean', [hidden], { axes: [1], keepdims: 0 });
  floatOutput(g, pooled, 'pooler_output', options.io, ['batch', HIDDEN]);
  return g;
}

export interface UnetOptions {
  inChannels: 4 | 9;
  /** A batch size fixed at export (some exports fix 1 or 2) instead of a symbolic one. */
  fixedBatch?: number;
  timestep: TimestepVariant;
  io: 'float32' | 'float16';
  /** `sample` declared [batch, "channels", h, w], as diffusers' ONNX convert script writes it. */
  symbolicChannels?: boolean;
  /** `encoder_hidden_states` fixed to 77 positions at export (one prompt chunk only). */
  fixedSequence?: boolean;
  /** Multiply `sample` by 1 before the convolution: the graph then hides the channel count from a reader. */
  hideChannels?: boolean;
}

/**
 * A 3x3 convolution over the (possibly 9-channel) input plus terms from the text embedding
 * and the timestep, squashed by tanh so it behaves like a bounded noise prediction.
 */
export function unet(options: UnetOptions): OnnxGraph {
  const g = new OnnxGraph();
  const c = options.inChannels;
  const batch: Dim = options.fixedBatch ?? 'batch';
  const declared = floatInput(g, 'sample', options.io, [
    batch,
    options.symbolicChannels ? 'channels' : c,
    'height',
    'width',
  ]);
  const sample = options.hideChannels ? g.node('Mul', [declared, g.floats([1], [1])]) : declared;
  const timestepShape: Dim[] = options.timestep === 'float32-scalar' ? [] : [batch];
  const timestepType: ElementType =
    options.timestep === 'float32-scalar' ? 'float32' : (options.timestep as ElementType);
  g.input('timestep', timestepType, timestepShape);
  const states = floatInput(g, 'encoder_hidden_states', options.io, [
    batch,
    options.fixedSequence ? SEQ_LEN : 'sequence',
    HIDDEN,
  ]);

  const conv = g.node('Conv', [sample, g.floats(weights(4 * c * 9, 21, 0.3), [4, c, 3, 3])], {
    pads: [1, 1, 1, 1],
  });
  const column = g.ints([-1, 1, 1, 1]);
  const text = g.node('Reshape', [g.node('ReduceMean', [states], { axes: [1, 2], keepdims: 1 }), column]);
  const time = g.node('Reshape', [g.node('Cast', ['timestep'], { to: onnxElementType('float32') }), column]);
  const timeTerm = g.node('Mul', [time, g.floats([0.001], [1])]);
  const textTerm = g.node('Mul', [text, g.floats([2], [1])]);
  const out = g.node('Tanh', [g.node('Add', [g.node('Add', [conv, textTerm]), timeTerm])]);
  floatOutput(g, out, 'out_sample', options.io, [batch, 4, 'height', 'width']);
  return g;
}

export interface VaeOptions {
  io: 'float32' | 'float16';
  /** Pixels per latent along each side (8 for Stable Diffusion). */
  factor: number;
}

/** 1x1 convolution to RGB, nearest upsampling by the VAE factor, tanh into [-1, 1]. */
export function vaeDecoder(options: VaeOptions): OnnxGraph {
  const g = new OnnxGraph();
  const latent = floatInput(g, 'latent_sample', options.io, ['batch', 4, 'latent_height', 'latent_width']);
  const rgb = g.node('Conv', [latent, g.floats(weights(12, 31, 0.15), [3, 4, 1, 1])]);
  const f = options.factor;
  const up = g.node('Resize', [rgb, '', g.floats([1, 1, f, f], [4])], { mode: 'nearest' });
  floatOutput(g, g.node('Tanh', [up]), 'sample', options.io, ['batch', 3, 'height', 'width']);
  return g;
}

export interface VaeEncoderOptions extends VaeOptions {
  /** `latent_sample` (older diffusers export) or `latent_parameters` (mean and logvar, optimum). */
  output: 'latent_sample' | 'latent_parameters';
}

export function vaeEncoder(options: VaeEncoderOptions): OnnxGraph {
  const g = new OnnxGraph();
  const image = floatInput(g, 'sample', options.io, ['batch', 3, 'height', 'width']);
  const f = options.factor;
  const pooled = g.node('AveragePool', [image], { kernel_shape: [f, f], strides: [f, f] });
  const channels = options.output === 'latent_parameters' ? 8 : 4;
  const latent = g.node('Conv', [pooled, g.floats(weights(channels * 3, 41, 0.8), [channels, 3, 1, 1])]);
  floatOutput(g, latent, options.output, options.io, ['batch', channels, 'latent_height', 'latent_width']);
  return g;
}

/** Red-channel mean of `clip_input` (CLIP-normalised) above which the fixture checker flags an image. */
export const SAFETY_RED_THRESHOLD = 0.5;

/**
 * A stand-in for diffusers' ONNX safety checker with its interface (clip_input [batch, 3,
 * 224, 224], images [batch, H, W, 3] -> out_images, has_nsfw_concepts [batch] bool): it flags
 * an image whose CLIP-normalised red channel has a mean above SAFETY_RED_THRESHOLD (a
 * mostly red picture) and blacks flagged images out, as the real one does.
 */
export function safetyChecker(
  io: 'float32' | 'float16' = 'float32',
  threshold = SAFETY_RED_THRESHOLD,
): OnnxGraph {
  const g = new OnnxGraph();
  const clip = floatInput(g, 'clip_input', io, ['batch', 3, 224, 224]);
  const images = floatInput(g, 'images', io, ['batch', 'height', 'width', 3]);
  const red = g.node('Gather', [clip, g.ints([0], [])], { axis: 1 });
  const mean = g.node('ReduceMean', [red], { axes: [1, 2], keepdims: 0 });
  g.node('Greater', [mean, g.floats([threshold], [])], undefined, 'has_nsfw_concepts');
  g.output('has_nsfw_concepts', 'bool', ['batch']);
  const keep = g.node('Sub', [
    g.floats([1], []),
    g.node('Cast', ['has_nsfw_concepts'], { to: onnxElementType('float32') }),
  ]);
  const blacked = g.node('Mul', [images, g.node('Reshape', [keep, g.ints([-1, 1, 1, 1])])]);
  floatOutput(g, blacked, 'out_images', io, ['batch', 'height', 'width', 3]);
  return g;
}
