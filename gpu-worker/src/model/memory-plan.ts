import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from './read-config';

/** The network folders of an export (SDXL adds text_encoder_2). */
const NETWORKS = [
  'text_encoder',
  'text_encoder_2',
  'unet',
  'vae_decoder',
  'vae_encoder',
  'safety_checker',
] as const;

export interface MemoryPlan {
  /** Bytes of weights per network folder present: the graph and its external data (optimum's model.onnx_data, diffusers' weights.pb). */
  networks: Partial<Record<(typeof NETWORKS)[number], number>>;
  /** Their sum: what the sessions hold resident at least (onnxruntime copies initializers into its own buffers). */
  totalBytes: number;
}

/**
 * What loading a model costs in weights, before activations: read from the files, so an SDXL
 * export's second text encoder (~1.4 GB in fp16) and larger UNet (~5 GB) show up in the plan the
 * worker logs and serves on /models, next to the SD 1.x figures (~0.25 GB + ~1.7 GB).
 */
export async function memoryPlan(dir: string): Promise<MemoryPlan> {
  const networks: MemoryPlan['networks'] = {};
  let totalBytes = 0;
  for (const network of NETWORKS) {
    const folder = join(dir, network);
    if (!(await exists(folder))) continue;
    let bytes = 0;
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      // Everything but the JSON configs is weights or graph.
      if (entry.isFile() && !entry.name.endsWith('.json'))
        bytes += (await stat(join(folder, entry.name))).size;
    }
    networks[network] = bytes;
    totalBytes += bytes;
  }
  return { networks, totalBytes };
}
