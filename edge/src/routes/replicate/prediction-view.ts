import type { Generation } from '@ldm/shared';
import type { Context } from 'hono';
import { compatConfigFor } from '../../compat/compat-config';
import { type PredictionOptions, predictionOf, signedStreamUrl } from '../../compat/replicate-prediction';
import type { AppEnv } from '../../context';
import { requestOrigin } from '../../generations/load-generation';

/** predictionOf for an API answer: links on the request's origin, `urls.stream` signed. */
export async function predictionView(
  c: Context<AppEnv>,
  generation: Generation,
  version: string,
  options: Pick<PredictionOptions, 'output' | 'statusOverride'> = {},
) {
  const baseUrl = requestOrigin(c);
  const config = c.get('config');
  return predictionOf(generation, {
    baseUrl,
    owner: compatConfigFor(c.env).modelOwner,
    version,
    streamUrl: await signedStreamUrl(
      baseUrl,
      generation.id,
      config.urlSigningSecret,
      config.outputUrlTtlSeconds,
    ),
    ...options,
  });
}
