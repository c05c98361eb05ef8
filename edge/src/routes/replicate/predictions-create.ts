import {
  type Generation,
  type ModelInfo,
  ReplicateModelPredictionRequest,
  ReplicateVersionPredictionRequest,
} from '@ldm/shared';
import { type Context, Hono } from 'hono';
import { compatConfigFor } from '../../compat/compat-config';
import { engineCall } from '../../compat/engine-call';
import { dataUrlOf, outputFiles } from '../../compat/output-bytes';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { isTerminal } from '../../generations/load-generation';
import { preferWaitSeconds } from '../../generations/prefer-wait';
import { modelByName, modelByVersion } from './model-ref';
import { generationRequestOf, parseOr422 } from './prediction-request';
import { predictionView } from './prediction-view';
import { fromEngine } from './replicate-error';

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ApiError('invalid_json', 'The body is not valid JSON.');
  }
}

/**
 * One create, whichever way the model was named. With `Prefer: wait[=N]` the answer is held (up to
 * N s, at most 60) like Replicate's blocking mode, and then:
 * - finished: outputs as data URLs, which the `replicate` client wraps in FileOutput on any stack
 *   (it wraps only https: and data: URLs, and the local stack is http);
 * - not finished: status `starting`, whatever the job's real state, because `replicate.run()`
 *   takes any other status in a `Prefer: wait` answer as final and would return no output.
 */
async function createPrediction(
  c: Context<AppEnv>,
  model: ModelInfo,
  body: Parameters<typeof generationRequestOf>[2],
): Promise<Response> {
  const request = await generationRequestOf(c, model, body);
  const prefer = c.req.header('prefer');
  const answer = await engineCall(c, '', {
    method: 'POST',
    body: request,
    headers: prefer ? { Prefer: prefer } : {},
    jobExtras: { webhook_format: 'replicate', compat_owner: compatConfigFor(c.env).modelOwner },
  });
  if (!answer.ok) return fromEngine(c, answer);
  const generation: Generation = answer.body;
  c.header('Location', `${new URL(c.req.url).origin}/replicate/v1/predictions/${generation.id}`);
  const waited = preferWaitSeconds(prefer) !== null;
  if (waited) c.header('Preference-Applied', answer.headers.get('preference-applied') ?? 'wait');
  if (waited && generation.status === 'succeeded') {
    const output = (await outputFiles(c, generation.id)).map(dataUrlOf);
    return c.json(await predictionView(c, generation, model.version, { output }), 201);
  }
  const statusOverride = waited && !isTerminal(generation.status) ? 'starting' : undefined;
  return c.json(await predictionView(c, generation, model.version, { statusOverride }), 201);
}

/**
 * POST /models/{owner}/{name}/predictions, POST /deployments/{owner}/{name}/predictions (a
 * deployment here is the model itself) and POST /predictions {version}.
 */
export const predictionsCreate = new Hono<AppEnv>()
  .post('/models/:owner/:name/predictions', async (c) => {
    const model = modelByName(c, c.req.param('owner'), c.req.param('name'));
    return createPrediction(c, model, parseOr422(ReplicateModelPredictionRequest, await jsonBody(c), ''));
  })
  .post('/deployments/:owner/:name/predictions', async (c) => {
    const model = modelByName(c, c.req.param('owner'), c.req.param('name'));
    return createPrediction(c, model, parseOr422(ReplicateModelPredictionRequest, await jsonBody(c), ''));
  })
  .post('/predictions', async (c) => {
    const body = parseOr422(ReplicateVersionPredictionRequest, await jsonBody(c), '');
    return createPrediction(c, modelByVersion(c, body.version), body);
  });
