import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Finished results on local disk until the edge accepts them. A result is written as its image
 * files first and then `result.json` by rename, so a crash leaves either a whole result (re-sent
 * on the next start) or a folder without `result.json` (a job that never finished: removed, its
 * lease expires and the edge hands it out again).
 */
export const SpooledOutput = z.object({
  index: z.int().min(0),
  file: z.string(),
  content_type: z.string(),
  width: z.int(),
  height: z.int(),
  seed: z.int(),
  /** The safety checker's verdict; absent when no check ran. */
  nsfw: z.boolean().optional(),
});
export type SpooledOutput = z.infer<typeof SpooledOutput>;

export const SpooledResult = z.object({
  job_id: z.string(),
  lease_token: z.string(),
  model: z.string(),
  inference_ms: z.int().min(0),
  /** Heartbeat period the lease was held with, reused when the result is re-sent after a restart. */
  heartbeat_ms: z.int().min(1).optional(),
  outputs: z.array(SpooledOutput).min(1),
  spooled_at: z.int(),
});
export type SpooledResult = z.infer<typeof SpooledResult>;

export interface OutputToSpool {
  index: number;
  bytes: Uint8Array;
  contentType: string;
  extension: string;
  width: number;
  height: number;
  seed: number;
  nsfw?: boolean;
}

const RESULT_FILE = 'result.json';

export class Spool {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async save(
    result: Omit<SpooledResult, 'outputs' | 'spooled_at'>,
    outputs: OutputToSpool[],
  ): Promise<SpooledResult> {
    const dir = this.jobDir(result.job_id);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const spooled: SpooledOutput[] = [];
    for (const o of outputs) {
      const file = `${o.index}.${o.extension}`;
      await writeFile(join(dir, file), o.bytes);
      spooled.push({
        index: o.index,
        file,
        content_type: o.contentType,
        width: o.width,
        height: o.height,
        seed: o.seed,
        ...(o.nsfw === undefined ? {} : { nsfw: o.nsfw }),
      });
    }
    const record: SpooledResult = { ...result, outputs: spooled, spooled_at: Date.now() };
    const tmp = join(dir, `${RESULT_FILE}.tmp`);
    await writeFile(tmp, JSON.stringify(record));
    // rename is atomic on one filesystem: result.json exists only once every image is on disk.
    await rename(tmp, join(dir, RESULT_FILE));
    return record;
  }

  readOutput(jobId: string, output: SpooledOutput): Promise<Buffer> {
    return readFile(join(this.jobDir(jobId), output.file));
  }

  async remove(jobId: string): Promise<void> {
    await rm(this.jobDir(jobId), { recursive: true, force: true });
  }

  /** Complete results left by an earlier run; half-written folders are deleted on the way. */
  async recover(): Promise<{ results: SpooledResult[]; discarded: string[] }> {
    const results: SpooledResult[] = [];
    const discarded: string[] = [];
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(this.dir, entry.name);
      try {
        results.push(SpooledResult.parse(JSON.parse(await readFile(join(dir, RESULT_FILE), 'utf8'))));
      } catch {
        discarded.push(entry.name);
        await rm(dir, { recursive: true, force: true });
      }
    }
    return { results: results.sort((a, b) => a.spooled_at - b.spooled_at), discarded };
  }

  private jobDir(jobId: string): string {
    // Job ids come from the edge; never let one name a path outside the spool.
    return join(this.dir, encodeURIComponent(jobId).replace(/\./g, '%2E'));
  }
}
