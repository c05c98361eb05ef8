import { LIMITS } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { apiKeyAuth } from '../../middleware/api-key-auth';
import { bodyLimit } from '../../middleware/body-limit';
import type { KeyRateLimit } from '../../middleware/rate-limit';
import { replicateModels } from './models';
import { predictionStream } from './prediction-stream';
import { predictionsCreate } from './predictions-create';
import { predictionsRead } from './predictions-read';
import { onReplicateError, onReplicateNotFound } from './replicate-error';
import { replicateWebhookSecret } from './webhook-secret';

/**
 * `/replicate/v1`: Replicate's predictions API over the same engine, for
 * `new Replicate({ auth, baseUrl })`. Models are `ldm/<name>` (COMPAT_MODEL_OWNER), versions the
 * catalog's model versions; errors in Replicate's `{title, detail, status}` shape.
 */
export function replicateApi(rateLimit: KeyRateLimit) {
  const app = new Hono<AppEnv>()
    // Before the key check: a signed stream URL opens without the key (the route checks either).
    .route('/', predictionStream(rateLimit))
    .use(apiKeyAuth({ rateLimit }))
    .use(bodyLimit({ maxBytes: LIMITS.bodyMaxBytes }))
    .route('/', predictionsCreate)
    .route('/', predictionsRead)
    .route('/', replicateModels)
    .route('/', replicateWebhookSecret);
  app.all('*', onReplicateNotFound);
  app.onError(onReplicateError);
  return app;
}
