import { OpenAIImageGenerateRequest } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { answerWithImages } from './image-answer';
import { OpenAIApiError } from './openai-error';
import { baseRequest, parseFields } from './request-mapping';

/** POST /openai/v1/images/generations: `images.generate`. */
export const imagesGenerate = new Hono<AppEnv>().post('/generations', async (c) => {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new OpenAIApiError(400, 'We could not parse the JSON body of your request.', null, 'invalid_json');
  }
  const fields = parseFields(OpenAIImageGenerateRequest, json);
  return answerWithImages(c, { ...baseRequest(c, fields), prompt: fields.prompt }, fields.response_format);
});
