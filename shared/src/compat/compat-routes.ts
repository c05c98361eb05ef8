import type { ApiRoute } from '../api-route';

/**
 * The compatibility surfaces in the OpenAPI document (DESIGN.md decision 13). Their errors have
 * their own shapes (`OpenAIError`, `ReplicateError`); the statuses listed are the ones answered.
 */
const OPENAI = { tag: 'OpenAI Images', auth: 'api_key', errorSchema: 'OpenAIError' } as const;
const REPLICATE = { tag: 'Replicate', auth: 'api_key', errorSchema: 'ReplicateError' } as const;

const HOLD =
  'The request is held until the images exist (up to 540 s); answers carry `x-should-retry: false` once work was queued, so the `openai` client never re-POSTs it. Invalid fields are 400 with `param` naming the field.';

/** What each OpenAI image route answers: the images, or one of these errors (in OpenAI's shape). */
const OPENAI_IMAGES_ANSWER: Pick<ApiRoute, 'response' | 'errors'> = {
  response: { status: 200, schema: 'OpenAIImagesResponse' },
  errors: [
    'invalid_json',
    'unauthorized',
    'insufficient_credits',
    'not_found',
    'rate_limited',
    'internal_error',
  ],
};

/** What both prediction-creating routes of a named model answer (the model and deployment routes). */
const REPLICATE_CREATED_ANSWER: Pick<ApiRoute, 'response' | 'errors'> = {
  response: { status: 201, schema: 'ReplicatePrediction' },
  errors: [
    'invalid_json',
    'validation_error',
    'unauthorized',
    'not_found',
    'insufficient_credits',
    'rate_limited',
  ],
};

/** One prediction as the answer (reading or canceling it). */
const REPLICATE_PREDICTION_ANSWER: Pick<ApiRoute, 'response' | 'errors'> = {
  response: { status: 200, schema: 'ReplicatePrediction' },
  errors: ['unauthorized', 'not_found', 'rate_limited'],
};

/** Reading the catalog as Replicate models and versions (answers without a schema of ours). */
const REPLICATE_MODEL_READ = {
  ...REPLICATE,
  method: 'get',
  response: { status: 200 },
  errors: ['unauthorized', 'not_found'],
} satisfies Partial<ApiRoute>;

export const COMPAT_ROUTES: ApiRoute[] = [
  {
    ...OPENAI,
    method: 'post',
    path: '/openai/v1/images/generations',
    operationId: 'openaiImagesGenerate',
    summary: `OpenAI \`images.generate\`. \`size\` maps to the model's nearest supported size (same aspect ratio, scaled down to its limits, multiples of 8). ${HOLD}`,
    body: 'OpenAIImageGenerateRequest',
    ...OPENAI_IMAGES_ANSWER,
  },
  {
    ...OPENAI,
    method: 'post',
    path: '/openai/v1/images/edits',
    operationId: 'openaiImagesEdit',
    summary: `OpenAI \`images.edit\` (multipart: \`image\` or \`image[]\`, optional \`mask\` PNG whose fully transparent pixels mark the area to repaint; without a mask the image's own transparency, else img2img of the whole image). Pixels outside the mask come back unchanged. ${HOLD}`,
    body: 'OpenAIImageEditFields',
    bodyMediaType: 'multipart/form-data',
    ...OPENAI_IMAGES_ANSWER,
  },
  {
    ...OPENAI,
    method: 'post',
    path: '/openai/v1/images/variations',
    operationId: 'openaiImagesVariation',
    summary: `OpenAI \`images.createVariation\` (multipart \`image\`): img2img of the image at strength 0.7. ${HOLD}`,
    body: 'OpenAIImageVariationFields',
    bodyMediaType: 'multipart/form-data',
    ...OPENAI_IMAGES_ANSWER,
  },
  {
    ...REPLICATE,
    method: 'post',
    path: '/replicate/v1/models/{owner}/{name}/predictions',
    operationId: 'replicateCreateModelPrediction',
    summary:
      'Create a prediction on `ldm/<model>`. `Prefer: wait[=N]` holds the answer up to N s (max 60): finished, its `output` are data URLs (so `replicate.run()` returns FileOutput objects on any stack); not finished, the status says `starting` (the client then polls). Webhooks carry this prediction object, signed per Standard Webhooks (`Replicate.validateWebhook`); filters `start`, `output`, `logs`, `completed` (output arrives with completed, logs with start).',
    body: 'ReplicateModelPredictionRequest',
    ...REPLICATE_CREATED_ANSWER,
  },
  {
    ...REPLICATE,
    method: 'post',
    path: '/replicate/v1/deployments/{owner}/{name}/predictions',
    operationId: 'replicateCreateDeploymentPrediction',
    summary: 'Alias of the model route: a deployment here is the model itself.',
    body: 'ReplicateModelPredictionRequest',
    ...REPLICATE_CREATED_ANSWER,
  },
  {
    ...REPLICATE,
    method: 'post',
    path: '/replicate/v1/predictions',
    operationId: 'replicateCreatePrediction',
    summary: 'Create a prediction by `version` (the catalog model version, or `owner/name:version`).',
    body: 'ReplicateVersionPredictionRequest',
    response: { status: 201, schema: 'ReplicatePrediction' },
    errors: ['invalid_json', 'validation_error', 'unauthorized', 'insufficient_credits', 'rate_limited'],
  },
  {
    ...REPLICATE,
    method: 'get',
    path: '/replicate/v1/predictions',
    operationId: 'replicateListPredictions',
    summary:
      "The account's predictions, newest first; `next` is an absolute URL (`previous` is always null).",
    query: {
      cursor: { type: 'string', description: 'From `next`.' },
      limit: { type: 'integer', description: 'Page size, default 100.' },
    },
    response: { status: 200, schema: 'ReplicatePredictionPage' },
    errors: ['unauthorized', 'validation_error', 'rate_limited'],
  },
  {
    ...REPLICATE,
    method: 'get',
    path: '/replicate/v1/predictions/{id}',
    operationId: 'replicateGetPrediction',
    summary: 'One prediction.',
    ...REPLICATE_PREDICTION_ANSWER,
  },
  {
    ...REPLICATE,
    method: 'post',
    path: '/replicate/v1/predictions/{id}/cancel',
    operationId: 'replicateCancelPrediction',
    summary: 'Cancel; a finished prediction is returned as it is.',
    ...REPLICATE_PREDICTION_ANSWER,
  },
  {
    tag: 'Replicate',
    auth: 'api_key_or_signature',
    errorSchema: 'ReplicateError',
    method: 'get',
    path: '/replicate/v1/predictions/{id}/stream',
    operationId: 'replicateStreamPrediction',
    summary:
      'Server-sent events as `replicate.stream()` reads them: `logs` (one progress line per step), `output` (each image URL), `done` (`{}` or `{"reason":"canceled"}`), `error`. Opened by the signed `urls.stream` or the API key.',
    response: { status: 200, mediaType: 'text/event-stream' },
    errors: ['unauthorized', 'forbidden', 'not_found'],
  },
  {
    ...REPLICATE_MODEL_READ,
    path: '/replicate/v1/models/{owner}/{name}',
    operationId: 'replicateGetModel',
    summary: "A model with its `latest_version` (and that version's `openapi_schema`).",
  },
  {
    ...REPLICATE_MODEL_READ,
    path: '/replicate/v1/models/{owner}/{name}/versions',
    operationId: 'replicateListModelVersions',
    summary: "The model's versions as a Replicate page (`{previous, next, results}`): its catalog version.",
  },
  {
    ...REPLICATE_MODEL_READ,
    path: '/replicate/v1/models/{owner}/{name}/versions/{id}',
    operationId: 'replicateGetModelVersion',
    summary:
      "A version; `openapi_schema.components.schemas.Input` describes the inputs with the model's limits.",
  },
  {
    ...REPLICATE,
    method: 'get',
    path: '/replicate/v1/webhooks/default/secret',
    operationId: 'replicateWebhookSecret',
    summary: "The account's webhook signing secret as `{key}` (`whsec_...`).",
    response: { status: 200 },
    errors: ['unauthorized'],
  },
];
