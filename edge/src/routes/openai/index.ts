import { LIMITS } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { apiKeyAuth } from '../../middleware/api-key-auth';
import { bodyLimit } from '../../middleware/body-limit';
import type { KeyRateLimit } from '../../middleware/rate-limit';
import { imagesEdit } from './images-edit';
import { imagesGenerate } from './images-generate';
import { onOpenAIError, onOpenAINotFound } from './openai-error';

/**
 * `/openai/v1`: the OpenAI Images API over the same engine, for `new OpenAI({ baseURL })`. Same
 * keys, credits, limits and workers as `/v1`; errors in OpenAI's `{error: {message, type, param,
 * code}}` shape.
 */
export function openaiApi(rateLimit: KeyRateLimit) {
  const app = new Hono<AppEnv>()
    .use(apiKeyAuth({ rateLimit }))
    .use(bodyLimit({ maxBytes: LIMITS.bodyMaxBytes }))
    .route('/images', imagesGenerate)
    .route('/images', imagesEdit);
  app.all('*', onOpenAINotFound);
  app.onError(onOpenAIError);
  return app;
}
