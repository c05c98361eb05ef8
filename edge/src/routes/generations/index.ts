import { LIMITS } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { bodyLimit } from '../../middleware/body-limit';
import { cancelGenerationRoute } from './cancel';
import { createGeneration } from './create';
import { generationEvents } from './events';
import { readGenerations } from './read';

/** `/v1/generations`: create, read, list, cancel, events. Auth and rate limit run before (app.ts). */
export const generations = new Hono<AppEnv>()
  .use(bodyLimit({ maxBytes: LIMITS.bodyMaxBytes }))
  .route('/', createGeneration)
  .route('/', cancelGenerationRoute)
  .route('/', generationEvents)
  .route('/', readGenerations);
