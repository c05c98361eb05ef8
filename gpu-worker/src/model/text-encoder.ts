import type * as ort from 'onnxruntime-node';
import { ModelFolderError } from './model-folder-error';
import { asFloatType, intTensor, readFloats } from './onnx-tensors';
import type { RunClock } from './run-clock';
import { pickOutput, type TensorInfo, tensorInfo } from './session-metadata';

export const TEXT_ENCODER_FILE = 'text_encoder/model.onnx';

/** CLIP text encoder: token ids -> per-token hidden states (`last_hidden_state`). */
export class TextEncoderModel {
  readonly ids: TensorInfo;
  private readonly output: string;

  constructor(readonly session: ort.InferenceSession) {
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
  }

  /** One prompt's ids (already padded) -> hidden states [1, length, hidden]. */
  async encode(ids: readonly number[], clock: RunClock): Promise<{ data: Float32Array; dims: number[] }> {
    const feeds = { input_ids: intTensor(ids, [1, ids.length], this.ids.type) };
    const result = await clock.run(this.session, feeds, [this.output]);
    const tensor = result[this.output] as ort.Tensor;
    return { data: readFloats(tensor, this.output).slice(), dims: tensor.dims.slice() };
  }
}
