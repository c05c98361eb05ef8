import { Hono } from 'hono';
import type { AppEnv } from './context';
import { onError, onNotFound } from './errors/error-handler';
import { apiKeyAuth } from './middleware/api-key-auth';
import { DEFAULT_MAX_DRAIN_BYTES } from './middleware/body-limit';
import { KeyRateLimit } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { services } from './middleware/services';
import { drainUnreadBody } from './middleware/unread-body';
import { adminApi } from './routes/admin';
import { stripeWebhook } from './routes/billing/stripe-webhook';
import { generations } from './routes/generations';
import { openaiApi } from './routes/openai';
import { outputs } from './routes/outputs';
import { playground } from './routes/playground';
import { account } from './routes/public/account';
import { usage } from './routes/public/usage';
import { replicateApi } from './routes/replicate';
import { health } from './routes/system/health';
import { models } from './routes/system/models';
import { reference } from './routes/system/reference';
import { webhookDeliveries } from './routes/webhooks/deliveries';
import { webhookSecret } from './routes/webhooks/secret';
import { workerApi } from './routes/worker';

/**
 * The whole edge as one Hono app. Mount points, in the order they match:
 *   /healthz, /v1/models, /openapi.json, /docs   public
 *   /v1/outputs                          a signed URL or the owner's API key
 *   /v1/...                              API key (+ per-key rate limit in the same round trip)
 *   /admin/v1                            ADMIN_TOKEN
 *   /worker/v1                           WORKER_TOKEN: the sub-app exported by routes/worker/index.ts
 *   /stripe/webhook                      a Stripe-Signature over the body (STRIPE_WEBHOOK_SECRET)
 *   /openai/v1, /replicate/v1            API key: the OpenAI Images and Replicate predictions surfaces
 */
export function createApp(): Hono<AppEnv> {
  const rateLimit = new KeyRateLimit();

  const publicApi = new Hono<AppEnv>()
    .use(apiKeyAuth({ rateLimit }))
    .route('/account', account)
    .route('/usage', usage)
    .route('/generations', generations)
    .route('/generations', webhookDeliveries)
    .route('/webhooks', webhookSecret);

  const app = new Hono<AppEnv>()
    // Outermost: whatever answered, a body nobody read is read to its end (no reset connections).
    .use(drainUnreadBody({ maxDrainBytes: DEFAULT_MAX_DRAIN_BYTES }))
    .use(requestId())
    .use(services())
    .route('/healthz', health)
    .route('/', reference)
    .route('/', playground)
    .route('/v1/models', models)
    .route('/v1/outputs', outputs(rateLimit))
    .route('/admin/v1', adminApi)
    .route('/worker/v1', workerApi)
    .route('/stripe/webhook', stripeWebhook)
    .route('/openai/v1', openaiApi(rateLimit))
    .route('/replicate/v1', replicateApi(rateLimit))
    .route('/v1', publicApi);

  app.notFound(onNotFound);
  app.onError(onError);
  return app;
}
