import type * as ort from 'onnxruntime-node';
import { ModelFolderError } from '../model/model-folder-error';
import { asFloatType, type FloatType, floatTensor, intTensor, readFloats } from '../model/onnx-tensors';
import type { RunClock } from '../model/run-clock';
import { fixedDim, pickOutput, type TensorInfo, tensorInfo } from '../model/session-metadata';
import { timestepTensor } from '../model/timestep-tensor';

export const UPSCALE_UNET_FILE = 'unet/model.onnx';

/**
 * The x4 upscaler's UNet (diffusers' StableDiffusionUpscalePipeline): `sample` holds the latents
 * and the noised low-resolution image concatenated on channels, `class_labels` the noise level the
 * image was noised at. Types and shapes are read from the session.
 */
export class UpscaleUnetModel {
  readonly sample: TensorInfo;
  readonly timestep: TensorInfo;
  readonly classLabels: TensorInfo;
  readonly inChannels: number;
  private readonly sampleType: FloatType;
  private readonly statesType: FloatType;
  private readonly output: string;

  constructor(
    readonly session: ort.InferenceSession,
    configChannels?: number,
  ) {
    this.sample = tensorInfo(session, 'input', 'sample', UPSCALE_UNET_FILE);
    this.timestep = tensorInfo(session, 'input', 'timestep', UPSCALE_UNET_FILE);
    this.classLabels = tensorInfo(session, 'input', 'class_labels', UPSCALE_UNET_FILE);
    const states = tensorInfo(session, 'input', 'encoder_hidden_states', UPSCALE_UNET_FILE);
    this.sampleType = asFloatType(this.sample.type, `${UPSCALE_UNET_FILE} sample`);
    this.statesType = asFloatType(states.type, `${UPSCALE_UNET_FILE} encoder_hidden_states`);
    if (this.classLabels.type !== 'int64' && this.classLabels.type !== 'int32') {
      throw new ModelFolderError(
        UPSCALE_UNET_FILE,
        `class_labels has type ${this.classLabels.type}; expected int64`,
      );
    }
    this.inChannels = fixedDim(this.sample, 1) ?? configChannels ?? 7;
    this.output = pickOutput(session, ['out_sample']);
  }

  /** One call for all rows ([uncond, cond] per image): the prediction, 4 channels per row. */
  async predict(
    sample: Float32Array,
    dims: readonly [number, number, number, number],
    timestep: number,
    states: ort.Tensor,
    noiseLevels: readonly number[],
    clock: RunClock,
  ): Promise<Float32Array> {
    const feeds = {
      sample: floatTensor(sample, dims, this.sampleType),
      timestep: timestepTensor(this.timestep, timestep, dims[0]),
      encoder_hidden_states: states,
      class_labels: intTensor(noiseLevels, [noiseLevels.length], this.classLabels.type),
    };
    const result = await clock.run(this.session, feeds, [this.output]);
    return readFloats(result[this.output], `${UPSCALE_UNET_FILE} ${this.output}`);
  }

  statesTensor(states: Float32Array, dims: readonly [number, number, number]): ort.Tensor {
    return floatTensor(states, dims, this.statesType);
  }
}
