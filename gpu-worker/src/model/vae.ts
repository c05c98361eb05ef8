import type * as ort from 'onnxruntime-node';
import { batchSlice, planBatches } from './batch-plan';
import { ModelFolderError } from './model-folder-error';
import { asFloatType, type FloatType, floatTensor, readFloats } from './onnx-tensors';
import type { RunClock } from './run-clock';
import { fixedDim, pickOutput, tensorInfo } from './session-metadata';

export const VAE_DECODER_FILE = 'vae_decoder/model.onnx';
export const VAE_ENCODER_FILE = 'vae_encoder/model.onnx';

type Dims4 = readonly [number, number, number, number];

/** Runs a single-input, single-output image network item by item (VAEs are memory hungry). */
async function runEach(
  session: ort.InferenceSession,
  input: { name: string; type: FloatType; fixedBatch?: number },
  output: string,
  data: Float32Array,
  dims: Dims4,
  clock: RunClock,
): Promise<{ data: Float32Array; dims: number[] }> {
  const [batch, c, h, w] = dims;
  const item = c * h * w;
  const parts: Float32Array[] = [];
  let outDims: number[] = [];
  for (const run of planBatches(batch, input.fixedBatch, 1)) {
    const feeds = { [input.name]: floatTensor(batchSlice(data, item, run), [run.size, c, h, w], input.type) };
    const result = await clock.run(session, feeds, [output]);
    const tensor = result[output] as ort.Tensor;
    const values = readFloats(tensor, output);
    parts.push(values.subarray(0, (values.length / run.size) * run.count));
    outDims = tensor.dims.slice();
  }
  // One run (every VAE call of the pipelines, which decode item by item): its output as it is.
  if (parts.length === 1) return { data: parts[0], dims: [batch, ...outDims.slice(1)] };
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { data: out, dims: [batch, ...outDims.slice(1)] };
}

/** Latents (already divided by the scaling factor) -> RGB in [-1, 1], NCHW. */
export class VaeDecoderModel {
  private readonly input: { name: string; type: FloatType; fixedBatch?: number };
  private readonly output: string;

  constructor(readonly session: ort.InferenceSession) {
    const info = tensorInfo(session, 'input', 'latent_sample', VAE_DECODER_FILE);
    this.input = {
      name: info.name,
      type: asFloatType(info.type, `${VAE_DECODER_FILE} latent_sample`),
      fixedBatch: fixedDim(info, 0),
    };
    this.output = pickOutput(session, ['sample']);
  }

  decode(latents: Float32Array, dims: Dims4, clock: RunClock) {
    return runEach(this.session, this.input, this.output, latents, dims, clock);
  }
}

/** What the VAE encoder export returns: a sample already drawn, or the posterior's mean and log-variance. */
export type VaeEncoding =
  | { kind: 'sample'; data: Float32Array; dims: number[] }
  | { kind: 'parameters'; data: Float32Array; dims: number[] };

/** RGB in [-1, 1] -> latent distribution (before the scaling factor). */
export class VaeEncoderModel {
  private readonly input: { name: string; type: FloatType; fixedBatch?: number };
  private readonly output: string;
  readonly kind: 'sample' | 'parameters';

  constructor(
    readonly session: ort.InferenceSession,
    latentChannels: number,
  ) {
    const info = tensorInfo(session, 'input', 'sample', VAE_ENCODER_FILE);
    this.input = {
      name: info.name,
      type: asFloatType(info.type, `${VAE_ENCODER_FILE} sample`),
      fixedBatch: fixedDim(info, 0),
    };
    this.output = pickOutput(session, ['latent_sample', 'latent_parameters']);
    if (this.output === 'latent_parameters') this.kind = 'parameters';
    else if (this.output === 'latent_sample') this.kind = 'sample';
    else {
      // An unnamed output: mean and logvar stacked have twice the latent channels.
      const channels = fixedDim(tensorInfo(session, 'output', this.output, VAE_ENCODER_FILE), 1);
      if (channels === undefined) {
        throw new ModelFolderError(
          VAE_ENCODER_FILE,
          `output "${this.output}" is neither latent_sample nor latent_parameters`,
        );
      }
      this.kind = channels === 2 * latentChannels ? 'parameters' : 'sample';
    }
  }

  async encode(image: Float32Array, dims: Dims4, clock: RunClock): Promise<VaeEncoding> {
    const out = await runEach(this.session, this.input, this.output, image, dims, clock);
    return { kind: this.kind, ...out };
  }
}
