import type * as ort from 'onnxruntime-node';
import { type BatchRun, batchSlice, planBatches } from './batch-plan';
import { ModelFolderError } from './model-folder-error';
import { asFloatType, type FloatType, floatTensor, readFloats } from './onnx-tensors';
import type { RunClock } from './run-clock';
import { fixedDim, pickOutput, type TensorInfo, tensorInfo } from './session-metadata';
import { timestepTensor } from './timestep-tensor';

export const UNET_FILE = 'unet/model.onnx';

/** SDXL's added conditioning (pooled text, micro-conditioning) and LCM's guidance embedding. */
export const ADDED_INPUTS = ['text_embeds', 'time_ids', 'timestep_cond'] as const;
export type AddedInputName = (typeof ADDED_INPUTS)[number];

const KNOWN_INPUTS = new Set<string>(['sample', 'timestep', 'encoder_hidden_states', ...ADDED_INPUTS]);

/** Per-row values of an added input: `width` floats for each of the batch's rows, row after row. */
export type AddedInputs = Partial<Record<AddedInputName, { data: Float32Array; width: number }>>;

/** The noise-prediction UNet, with whatever timestep and float types the export chose. */
export class UnetModel {
  readonly sample: TensorInfo;
  readonly timestep: TensorInfo;
  readonly states: TensorInfo;
  private readonly sampleType: FloatType;
  private readonly statesType: FloatType;
  private readonly output: string;
  private statesCache?: { source: Float32Array; key: string; tensors: ort.Tensor[] };
  /** 4 for text-to-image UNets, 9 for inpainting ones (latents + mask + masked-image latents). */
  readonly inChannels: number;
  /** Set when the export fixed the batch dimension. */
  readonly fixedBatch?: number;
  /** Set when the export fixed the latent height/width. */
  readonly fixedLatentSize?: { height: number; width: number };
  /** The SDXL/LCM inputs this export has, with their float types. */
  readonly added: Partial<Record<AddedInputName, TensorInfo & { floatType: FloatType }>> = {};

  constructor(
    readonly session: ort.InferenceSession,
    /** The channel count found by detectUnetChannels, for exports with a symbolic channel axis. */
    detectedChannels?: number,
  ) {
    const extra = session.inputNames.filter((n) => !KNOWN_INPUTS.has(n));
    if (extra.length > 0) {
      throw new ModelFolderError(
        UNET_FILE,
        `needs inputs this pipeline does not provide: ${extra.join(', ')} (SD 1.x/2.x and SDXL-style UNets are supported)`,
      );
    }
    this.sample = tensorInfo(session, 'input', 'sample', UNET_FILE);
    this.timestep = tensorInfo(session, 'input', 'timestep', UNET_FILE);
    this.states = tensorInfo(session, 'input', 'encoder_hidden_states', UNET_FILE);
    this.sampleType = asFloatType(this.sample.type, `${UNET_FILE} sample`);
    this.statesType = asFloatType(this.states.type, `${UNET_FILE} encoder_hidden_states`);
    if (!['int64', 'int32', 'float32', 'float16'].includes(this.timestep.type)) {
      throw new ModelFolderError(UNET_FILE, `timestep has unsupported type ${this.timestep.type}`);
    }
    if (this.timestep.shape.length > 1) {
      throw new ModelFolderError(
        UNET_FILE,
        `timestep must be 0-d or 1-d, has shape [${this.timestep.shape}]`,
      );
    }
    for (const name of ADDED_INPUTS) {
      if (!session.inputNames.includes(name)) continue;
      const info = tensorInfo(session, 'input', name, UNET_FILE);
      this.added[name] = { ...info, floatType: asFloatType(info.type, `${UNET_FILE} ${name}`) };
    }
    this.output = pickOutput(session, ['out_sample']);
    const channels = fixedDim(this.sample, 1) ?? detectedChannels ?? 4;
    if (channels !== 4 && channels !== 9) {
      throw new ModelFolderError(UNET_FILE, `sample has ${channels} channels; expected 4 or 9 (inpainting)`);
    }
    this.inChannels = channels;
    this.fixedBatch = fixedDim(this.sample, 0);
    const h = fixedDim(this.sample, 2);
    const w = fixedDim(this.sample, 3);
    if (h && w) this.fixedLatentSize = { height: h, width: w };
  }

  /**
   * Noise prediction for `batch` samples at one timestep. `limit` caps the items per call
   * (the benchmark uses 1 to compare against classifier-free guidance as one batch of 2).
   */
  async predict(
    sample: Float32Array,
    dims: readonly [number, number, number, number],
    timestep: number,
    states: Float32Array,
    statesDims: readonly [number, number, number],
    clock: RunClock,
    limit?: number,
    added: AddedInputs = {},
  ): Promise<Float32Array> {
    const [batch, channels, height, width] = dims;
    const itemIn = channels * height * width;
    let out: Float32Array | undefined;
    let itemOut = 0;
    const runs = planBatches(batch, this.fixedBatch, limit);
    const statesTensors = this.statesTensors(states, statesDims, runs);
    for (const [r, run] of runs.entries()) {
      const feeds = {
        sample: floatTensor(
          batchSlice(sample, itemIn, run),
          [run.size, channels, height, width],
          this.sampleType,
        ),
        timestep: timestepTensor(this.timestep, timestep, run.size),
        encoder_hidden_states: statesTensors[r],
        ...this.addedTensors(added, run),
      };
      const result = await clock.run(this.session, feeds, [this.output]);
      const noise = readFloats(result[this.output], `${UNET_FILE} ${this.output}`);
      itemOut = noise.length / run.size;
      out ??= new Float32Array(batch * itemOut);
      out.set(noise.subarray(0, run.count * itemOut), run.start * itemOut);
    }
    if (!out) throw new Error('empty batch');
    return out;
  }

  private addedTensors(added: AddedInputs, run: BatchRun): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of ADDED_INPUTS) {
      const info = this.added[name];
      if (!info) continue;
      const values = added[name];
      if (!values) throw new Error(`${UNET_FILE} needs ${name}; the pipeline did not provide it`);
      feeds[name] = floatTensor(
        batchSlice(values.data, values.width, run),
        [run.size, values.width],
        info.floatType,
      );
    }
    return feeds;
  }

  /**
   * The text embeddings are the same at every step of a loop: their tensors (and, for fp16
   * exports, the float16 conversion) are built once per loop, not once per step.
   */
  private statesTensors(
    states: Float32Array,
    dims: readonly [number, number, number],
    runs: BatchRun[],
  ): ort.Tensor[] {
    const key = runs.map((r) => `${r.start}:${r.size}`).join(',');
    if (this.statesCache?.source === states && this.statesCache.key === key) return this.statesCache.tensors;
    const item = dims[1] * dims[2];
    const tensors = runs.map((run) =>
      floatTensor(batchSlice(states, item, run), [run.size, dims[1], dims[2]], this.statesType),
    );
    this.statesCache = { source: states, key, tensors };
    return tensors;
  }
}
