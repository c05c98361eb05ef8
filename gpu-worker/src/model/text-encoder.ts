import type * as ort from 'onnxruntime-node';
import { finalLayerNormFrom } from './final-layer-norm';
import { ModelFolderError } from './model-folder-error';
import { asFloatType, intTensor, readFloats } from './onnx-tensors';
import type { RunClock } from './run-clock';
import { pickOutput, type TensorInfo, tensorInfo } from './session-metadata';

export const TEXT_ENCODER_FILE = 'text_encoder/model.onnx';

/** CLIP's `layer_norm_eps` (text_encoder/config.json), used when the config does not say. */
export const DEFAULT_LAYER_NORM_EPS = 1e-5;

// optimum names the per-layer outputs `hidden_states.0` .. `hidden_states.N` (0 = embeddings).
const HIDDEN_STATE_OUTPUT = /^hidden_states[._](\d+)$/;

/** CLIP text encoder: token ids -> per-token hidden states (`last_hidden_state`). */
export class TextEncoderModel {
  readonly ids: TensorInfo;
  private readonly output: string;
  /** `hidden_states.i` output names by i (0 = embeddings, N = the last layer before the final norm). */
  private readonly hiddenStates: string[] = [];

  constructor(
    readonly session: ort.InferenceSession,
    private readonly layerNormEps = DEFAULT_LAYER_NORM_EPS,
  ) {
    this.ids = tensorInfo(session, 'input', 'input_ids', TEXT_ENCODER_FILE);
    if (this.ids.type !== 'int32' && this.ids.type !== 'int64') {
      throw new ModelFolderError(
        TEXT_ENCODER_FILE,
        `input_ids has type ${this.ids.type}; expected int32 or int64`,
      );
    }
    this.output = pickOutput(session, ['last_hidden_state']);
    asFloatType(
      tensorInfo(session, 'output', this.output, TEXT_ENCODER_FILE).type,
      `${TEXT_ENCODER_FILE} ${this.output}`,
    );
    for (const name of session.outputNames) {
      const match = HIDDEN_STATE_OUTPUT.exec(name);
      if (match) this.hiddenStates[Number(match[1])] = name;
    }
    // Only a complete 0..N run is usable (clip_skip counts from the end).
    if (this.hiddenStates.some((n) => n === undefined) || this.output !== 'last_hidden_state') {
      this.hiddenStates.length = 0;
    }
  }

  /**
   * The largest `clip_skip` this export allows: with outputs hidden_states.0 (embeddings) ..
   * hidden_states.N (last layer), clip_skip k takes entry N - k, so k <= N; 0 without them.
   */
  get clipSkipMax(): number {
    return Math.max(0, this.hiddenStates.length - 1);
  }

  /**
   * One prompt's ids (already padded) -> hidden states [1, length, hidden]. With `clipSkip`
   * k > 0, diffusers' `clip_skip`: hidden_states[-(k + 1)] through the final layer norm. The
   * export does not expose that norm as its own graph, so its scale and shift are recovered
   * from the same run: last_hidden_state = LayerNorm(hidden_states[-1]) holds for every
   * token, which determines each channel's gamma and beta (see final-layer-norm.ts).
   */
  async encode(
    ids: readonly number[],
    clock: RunClock,
    clipSkip = 0,
  ): Promise<{ data: Float32Array; dims: number[] }> {
    const feeds = { input_ids: intTensor(ids, [1, ids.length], this.ids.type) };
    if (clipSkip === 0) {
      const result = await clock.run(this.session, feeds, [this.output]);
      const tensor = result[this.output] as ort.Tensor;
      return { data: readFloats(tensor, this.output).slice(), dims: tensor.dims.slice() };
    }
    if (clipSkip > this.clipSkipMax) {
      throw new RangeError(`clip_skip ${clipSkip} is more than this export's ${this.clipSkipMax}`);
    }
    const lastLayer = this.hiddenStates[this.hiddenStates.length - 1];
    const chosen = this.hiddenStates[this.hiddenStates.length - 1 - clipSkip];
    const result = await clock.run(this.session, feeds, [this.output, lastLayer, chosen]);
    const tensor = result[this.output] as ort.Tensor;
    const hidden = tensor.dims[2];
    const norm = finalLayerNormFrom(
      readFloats(result[lastLayer] as ort.Tensor, lastLayer),
      readFloats(tensor, this.output),
      hidden,
      this.layerNormEps,
    );
    return { data: norm(readFloats(result[chosen] as ort.Tensor, chosen)), dims: tensor.dims.slice() };
  }
}
