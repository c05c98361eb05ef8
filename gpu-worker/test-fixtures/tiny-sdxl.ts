import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Dim, OnnxGraph, onnxElementType } from './onnx-graph';
import { floatInput, floatOutput, HIDDEN, SEQ_LEN, VOCAB_SIZE, weights } from './tiny-models';
import { type TinyModelVariant, writeTinyModel } from './tiny-sd-folder';

/**
 * Tiny stand-ins for an SDXL export as optimum writes it (ORTStableDiffusionXLPipeline):
 * text_encoder (CLIPTextModel, the SD fixture's with hidden_states outputs), text_encoder_2
 * (CLIPTextModelWithProjection: hidden_states.*, last_hidden_state, text_embeds) of another
 * width so the concatenation order shows, and a UNet with text_embeds, time_ids and
 * optionally timestep_cond whose output depends on each.
 */
export const SDXL_FIXTURE = {
  /** Layers of both encoders (hidden_states.0 .. hidden_states.LAYERS). */
  layers: 2,
  hidden1: HIDDEN,
  hidden2: 12,
  /** Width of text_encoder_2's projection (text_embeds), 1280 in SDXL. */
  projection: 6,
  /** Seeds of text_encoder_2's weights (see weights() in tiny-models.ts). */
  seeds2: { table: 51, positions: 52, layerW: 300, layerB: 400, gamma: 53, beta: 54, projection: 55 },
  /** Seeds and scales of text_encoder (tiny-models.ts textEncoder). */
  seeds1: { table: 11, positions: 12, layerW: 100, layerB: 200 },
} as const;

const F = SDXL_FIXTURE;

/** text_encoder_2: embeddings, `layers` tanh layers, final LayerNorm, mean pooling, projection. */
export function sdxlTextEncoder2(io: 'float32' | 'float16' = 'float32'): OnnxGraph {
  const g = new OnnxGraph();
  const H = F.hidden2;
  g.input('input_ids', 'int64', ['batch', 'sequence']);
  const table = g.floats(weights(VOCAB_SIZE * H, F.seeds2.table, 1), [VOCAB_SIZE, H]);
  const positions = g.floats(weights(SEQ_LEN * H, F.seeds2.positions, 0.1), [SEQ_LEN, H]);
  const states: Dim[] = ['batch', 'sequence', H];
  let layer = g.node('Add', [g.node('Gather', [table, 'input_ids'], { axis: 0 }), positions]);
  floatOutput(g, layer, 'hidden_states.0', io, states);
  for (let i = 1; i <= F.layers; i++) {
    const w = g.floats(weights(H * H, F.seeds2.layerW + i, 0.6), [H, H]);
    const b = g.floats(weights(H, F.seeds2.layerB + i, 0.3), [H]);
    layer = g.node('Tanh', [g.node('Add', [g.node('MatMul', [layer, w]), b])]);
    floatOutput(g, layer, `hidden_states.${i}`, io, states);
  }
  const gamma = Array.from(weights(H, F.seeds2.gamma, 0.5), (v) => 1 + v);
  const norm = g.node(
    'LayerNormalization',
    [layer, g.floats(gamma, [H]), g.floats(weights(H, F.seeds2.beta, 0.2), [H])],
    { axis: -1, epsilon: 1e-5 },
  );
  floatOutput(g, norm, 'last_hidden_state', io, states);
  // CLIP pools the end token's state; the mean keeps the fixture simple (the pipeline only reads text_embeds).
  const pooled = g.node('ReduceMean', [norm], { axes: [1], keepdims: 0 });
  const projected = g.node('MatMul', [
    pooled,
    g.floats(weights(H * F.projection, F.seeds2.projection, 0.5), [H, F.projection]),
  ]);
  floatOutput(g, projected, 'text_embeds', io, ['batch', F.projection]);
  return g;
}

export interface SdxlUnetOptions {
  /** 6 (base: original size, crop, target size) or 5 (refiner: ..., aesthetic score). */
  timeIds: 5 | 6;
  /** LCM-distilled: a `timestep_cond` input of this width. */
  timestepCond?: number;
  io?: 'float32' | 'float16';
}

/**
 * The SD fixture UNet's terms plus one per added input: each input reduced to one number per
 * batch item by a fixed weight vector (so every value and its position matter), scaled small
 * enough that tanh stays out of saturation.
 */
export function sdxlUnet(options: SdxlUnetOptions): OnnxGraph {
  const g = new OnnxGraph();
  const io = options.io ?? 'float32';
  const sample = floatInput(g, 'sample', io, ['batch', 4, 'height', 'width']);
  g.input('timestep', 'int64', ['batch']);
  const states = floatInput(g, 'encoder_hidden_states', io, ['batch', 'sequence', F.hidden1 + F.hidden2]);
  const textEmbeds = floatInput(g, 'text_embeds', io, ['batch', F.projection]);
  const timeIds = floatInput(g, 'time_ids', io, ['batch', options.timeIds]);
  const conv = g.node('Conv', [sample, g.floats(weights(4 * 4 * 9, 21, 0.3), [4, 4, 3, 3])], {
    pads: [1, 1, 1, 1],
  });
  const column = g.ints([-1, 1, 1, 1]);
  const text = g.node('Reshape', [g.node('ReduceMean', [states], { axes: [1, 2], keepdims: 1 }), column]);
  const time = g.node('Reshape', [g.node('Cast', ['timestep'], { to: onnxElementType('float32') }), column]);
  // Dot products with fixed vectors: [batch, n] x [n, 1] -> [batch, 1] -> [batch, 1, 1, 1].
  const dot = (input: string, n: number, seed: number, scale: number) =>
    g.node('Reshape', [g.node('MatMul', [input, g.floats(weights(n, seed, scale), [n, 1])]), column]);
  let total = g.node('Add', [
    g.node('Add', [conv, g.node('Mul', [text, g.floats([2], [1])])]),
    g.node('Mul', [time, g.floats([0.001], [1])]),
  ]);
  total = g.node('Add', [total, dot(textEmbeds, F.projection, 61, 0.5)]);
  // time_ids are pixel counts (up to thousands): scaled down.
  total = g.node('Add', [total, dot(timeIds, options.timeIds, 62, 0.002)]);
  if (options.timestepCond) {
    const cond = floatInput(g, 'timestep_cond', io, ['batch', options.timestepCond]);
    total = g.node('Add', [total, dot(cond, options.timestepCond, 63, 0.5)]);
  }
  floatOutput(g, g.node('Tanh', [total]), 'out_sample', io, ['batch', 4, 'height', 'width']);
  return g;
}

export interface TinySdxlVariant {
  /** A refiner export: requires_aesthetics_score, 5 time ids, force_zeros_for_empty_prompt false. */
  refiner?: boolean;
  /** LCM-distilled UNet with timestep_cond of this width (and the lcm scheduler's config). */
  timestepCond?: number;
  /** model_index.json force_zeros_for_empty_prompt; omitted -> diffusers' default for the kind. */
  forceZeros?: boolean;
  /** vae config force_upcast (default true, as SDXL's VAE). */
  forceUpcast?: boolean;
  /** Everything in float16 (the SD fixture's fp16 variant). */
  fp16?: boolean;
  /** Passed on to the SD fixture writer (sizes, tokenizer kind...). */
  base?: TinyModelVariant;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes an optimum-style SDXL folder of tiny networks. */
export async function writeTinySdxlModel(dir: string, variant: TinySdxlVariant = {}): Promise<string> {
  await writeTinyModel(dir, {
    textEncoderHiddenLayers: F.layers,
    idsType: 'int64',
    scalingFactor: 0.13025,
    sampleSize: 8,
    fp16: variant.fp16,
    ...variant.base,
  });
  const io = variant.fp16 ? 'float16' : 'float32';
  const refiner = variant.refiner ?? false;
  const index: Record<string, unknown> = {
    _class_name: refiner ? 'ORTStableDiffusionXLImg2ImgPipeline' : 'ORTStableDiffusionXLPipeline',
    _diffusers_version: '0.30.0',
    requires_aesthetics_score: refiner,
    force_zeros_for_empty_prompt: variant.forceZeros ?? !refiner,
    text_encoder: ['transformers', 'CLIPTextModel'],
    text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    tokenizer_2: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
    vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
    scheduler: ['diffusers', 'EulerDiscreteScheduler'],
  };
  await writeFile(join(dir, 'model_index.json'), json(index));
  await mkdir(join(dir, 'text_encoder_2'), { recursive: true });
  await writeFile(join(dir, 'text_encoder_2', 'model.onnx'), sdxlTextEncoder2(io).encode().model);
  await writeFile(
    join(dir, 'text_encoder_2', 'config.json'),
    json({ hidden_size: F.hidden2, projection_dim: F.projection, num_hidden_layers: F.layers }),
  );
  // SDXL's second tokenizer: the same vocabulary, padding with "!".
  await cp(join(dir, 'tokenizer'), join(dir, 'tokenizer_2'), { recursive: true });
  const tokConfig = JSON.parse(await readFile(join(dir, 'tokenizer_2', 'tokenizer_config.json'), 'utf8'));
  await writeFile(join(dir, 'tokenizer_2', 'tokenizer_config.json'), json({ ...tokConfig, pad_token: '!' }));
  await writeFile(
    join(dir, 'unet', 'model.onnx'),
    sdxlUnet({ timeIds: refiner ? 5 : 6, timestepCond: variant.timestepCond, io }).encode().model,
  );
  await writeFile(
    join(dir, 'unet', 'config.json'),
    json({
      in_channels: 4,
      out_channels: 4,
      sample_size: 8,
      addition_embed_type: 'text_time',
      projection_class_embeddings_input_dim: 0,
      ...(variant.timestepCond ? { time_cond_proj_dim: variant.timestepCond } : {}),
    }),
  );
  for (const part of ['vae_decoder', 'vae_encoder']) {
    const file = join(dir, part, 'config.json');
    if (part === 'vae_encoder' && variant.base?.withVaeEncoder === false) continue;
    const config = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, json({ ...config, force_upcast: variant.forceUpcast ?? true }));
  }
  await writeFile(
    join(dir, 'scheduler', 'scheduler_config.json'),
    json(
      variant.timestepCond
        ? {
            _class_name: 'LCMScheduler',
            beta_start: 0.00085,
            beta_end: 0.012,
            beta_schedule: 'scaled_linear',
            num_train_timesteps: 1000,
            original_inference_steps: 50,
            timestep_spacing: 'leading',
            steps_offset: 1,
            clip_sample: false,
            set_alpha_to_one: true,
          }
        : {
            _class_name: 'EulerDiscreteScheduler',
            beta_start: 0.00085,
            beta_end: 0.012,
            beta_schedule: 'scaled_linear',
            num_train_timesteps: 1000,
            timestep_spacing: 'leading',
            steps_offset: 1,
            interpolation_type: 'linear',
            prediction_type: 'epsilon',
          },
    ),
  );
  return dir;
}
