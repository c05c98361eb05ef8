import { WORKER_LIMITS } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { bodyLimit } from '../../middleware/body-limit';
import { tokenAuth } from '../../middleware/token-auth';
import { completeRoute } from './complete';
import { failRoutes } from './fail';
import { heartbeatRoute } from './heartbeat';
import { inputsRoute } from './inputs';
import { leaseRoute } from './lease';
import { modelsRoute } from './models';
import { outputsRoute } from './outputs';
import { queueRoute } from './queue';

const jsonBodies = bodyLimit({ maxBytes: WORKER_LIMITS.jsonBodyMaxBytes });

/**
 * The worker protocol (`/worker/v1`, WORKER_TOKEN). Every state change is one fenced Lua script
 * (store/scripts/); a stale lease token is answered 409 lease_lost and changes nothing. Output
 * uploads bypass the JSON body limit: they stream to R2 under their own limit.
 */
export const workerApi = new Hono<AppEnv>()
  .use(tokenAuth({ secret: (config) => config.workerToken, realm: 'worker' }))
  .use('/lease', jsonBodies)
  .use('/jobs/:id/heartbeat', jsonBodies)
  .use('/jobs/:id/complete', jsonBodies)
  .use('/jobs/:id/fail', jsonBodies)
  .use('/jobs/:id/release', jsonBodies)
  .use('/models/:name/export', jsonBodies)
  .route('/lease', leaseRoute)
  .route('/queue', queueRoute)
  .route('/models', modelsRoute)
  .route('/jobs', heartbeatRoute)
  .route('/jobs', outputsRoute)
  .route('/jobs', completeRoute)
  .route('/jobs', failRoutes)
  .route('/jobs', inputsRoute);
