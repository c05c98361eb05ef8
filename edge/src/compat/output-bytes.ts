import type { Context } from 'hono';
import type { AppEnv } from '../context';
import { ApiError } from '../errors/api-error';
import { hmget } from '../store/hash-reply';
import { keys } from '../store/keys';

export interface OutputFile {
  bytes: Uint8Array;
  contentType: string;
}

/**
 * A finished job's images from R2 (for OpenAI's `b64_json` and Replicate's data-URL outputs).
 * The job was loaded for the caller's account just before, so the account check is already done.
 */
export async function outputFiles(c: Context<AppEnv>, jobId: string): Promise<OutputFile[]> {
  const [stored] = await hmget(c.get('redis'), keys.job(jobId), 'outputs');
  const list = stored ? (JSON.parse(stored) as { key: string; content_type: string }[]) : [];
  return Promise.all(
    list.map(async (output) => {
      const object = await c.env.OUTPUTS.get(output.key);
      if (!object) throw new ApiError('not_found', 'An output of this job is no longer stored.');
      return { bytes: new Uint8Array(await object.arrayBuffer()), contentType: output.content_type };
    }),
  );
}

/** Base64 in slices: one String.fromCharCode over megabytes would overflow the argument list. */
export function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export const dataUrlOf = (file: OutputFile) => `data:${file.contentType};base64,${base64Of(file.bytes)}`;
