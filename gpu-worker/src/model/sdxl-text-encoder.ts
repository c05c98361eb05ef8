import type * as ort from 'onnxruntime-node';
import { ModelFolderError } from './model-folder-error';
import { asFloatType, intTensor, readFloats } from './onnx-tensors';
import type { RunClock } from './run-clock';
import { type TensorInfo, tensorInfo } from './session-metadata';

// optimum names the per-layer outputs `hidden_states.0` .. `hidden_states.N` (0 = embeddings).
const HIDDEN_STATE_OUTPUT = /^hidden_states[._](\d+)$/;

/** What one chunk of ids encodes to: hidden states [1, length, hidden], and the pooled vector when the encoder has one. */
export interface EncodedChunk {
  data: Float32Array;
  dims: number[];
  pooled?: Float32Array;
}

/**
 * One of SDXL's CLIP text encoders as optimum exports it (with `output_hidden_states`):
 * diffusers' StableDiffusionXLPipeline.encode_prompt takes `hidden_states[-2]` (the penultimate
 * layer, no final layer norm) or with clip_skip k `hidden_states[-(k + 2)]`; the second encoder
 * (CLIPTextModelWithProjection) also gives the pooled, projected `text_embeds`.
 */
export class SdxlTextEncoderModel {
  readonly ids: TensorInfo;
  private readonly hiddenStates: string[] = [];
  /** `text_embeds` (text_encoder_2), absent for the first encoder. */
  readonly pooledOutput?: string;

  constructor(
    readonly session: ort.InferenceSession,
    readonly file: string,
  ) {
    this.ids = tensorInfo(session, 'input', 'input_ids', file);
    if (this.ids.type !== 'int32' && this.ids.type !== 'int64') {
      throw new ModelFolderError(file, `input_ids has type ${this.ids.type}; expected int32 or int64`);
    }
    for (const name of session.outputNames) {
      const match = HIDDEN_STATE_OUTPUT.exec(name);
      if (match) this.hiddenStates[Number(match[1])] = name;
    }
    if (this.hiddenStates.length < 2 || this.hiddenStates.some((n) => n === undefined)) {
      throw new ModelFolderError(
        file,
        'has no complete hidden_states.0..N outputs (SDXL conditions on the penultimate layer; export with output_hidden_states)',
      );
    }
    for (const name of this.hiddenStates)
      asFloatType(tensorInfo(session, 'output', name, file).type, `${file} ${name}`);
    if (session.outputNames.includes('text_embeds')) this.pooledOutput = 'text_embeds';
  }

  /** Layers whose output is usable: clip_skip k takes hidden_states[N - 1 - k], so k <= N - 1. */
  get clipSkipMax(): number {
    return this.hiddenStates.length - 2;
  }

  async encode(ids: readonly number[], clock: RunClock, clipSkip = 0): Promise<EncodedChunk> {
    if (clipSkip > this.clipSkipMax) {
      throw new RangeError(`clip_skip ${clipSkip} is more than this export's ${this.clipSkipMax}`);
    }
    const chosen = this.hiddenStates[this.hiddenStates.length - 2 - clipSkip];
    const fetches = this.pooledOutput ? [chosen, this.pooledOutput] : [chosen];
    const feeds = { input_ids: intTensor(ids, [1, ids.length], this.ids.type) };
    const result = await clock.run(this.session, feeds, fetches);
    const tensor = result[chosen] as ort.Tensor;
    const out: EncodedChunk = { data: readFloats(tensor, chosen).slice(), dims: tensor.dims.slice() };
    if (this.pooledOutput) {
      out.pooled = readFloats(result[this.pooledOutput] as ort.Tensor, this.pooledOutput).slice();
    }
    return out;
  }
}
