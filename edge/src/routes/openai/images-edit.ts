import { type GenerationRequestInput, OpenAIImageEditFields, OpenAIImageVariationFields } from '@ldm/shared';
import { type Context, Hono } from 'hono';
import { nearestSupportedSize } from '../../compat/nearest-size';
import { base64Of } from '../../compat/output-bytes';
import { maskFromAlpha, readPngAlpha } from '../../compat/png-alpha';
import type { AppEnv } from '../../context';
import { decodeImageInput } from '../../lib/image-input';
import { answerWithImages } from './image-answer';
import { OpenAIApiError } from './openai-error';
import { baseRequest, parseFields } from './request-mapping';

/** How much of the image an edit without a mask, or a variation, repaints (img2img strength). */
const EDIT_STRENGTH = 0.8;
const VARIATION_STRENGTH = 0.7;

type Form = Record<string, string | File | (string | File)[]>;

async function readForm(c: Context<AppEnv>): Promise<Form> {
  if (!/^multipart\/form-data/i.test(c.req.header('content-type') ?? '')) {
    throw new OpenAIApiError(
      400,
      'Send the request as multipart/form-data (image files and fields).',
      null,
      'invalid_request',
    );
  }
  try {
    return (await c.req.parseBody({ all: true })) as Form;
  } catch {
    throw new OpenAIApiError(400, 'The multipart body could not be parsed.', null, 'invalid_request');
  }
}

/** The files sent under `name` or `name[]` (how the client sends arrays). */
function filesOf(form: Form, name: string): File[] {
  return [form[name], form[`${name}[]`]].flat().filter((v): v is File => v instanceof File);
}

/** The string fields only, for the zod check. */
function fieldsOf(form: Form): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) if (typeof value === 'string') out[key] = value;
  return out;
}

async function oneImage(form: Form, name: 'image' | 'mask', required: boolean): Promise<Uint8Array | null> {
  const files = filesOf(form, name);
  if (files.length === 0) {
    if (required)
      throw new OpenAIApiError(400, `${name}: a file is required.`, name, 'missing_required_parameter');
    return null;
  }
  if (files.length > 1) {
    throw new OpenAIApiError(
      400,
      `${name}: send one file; this platform edits one image per request.`,
      name,
      'invalid_value',
    );
  }
  return new Uint8Array(await files[0].arrayBuffer());
}

/** Output size: the requested one mapped to the model, or (auto) the input image's own, fitted. */
function sizeFor(
  c: Context<AppEnv>,
  request: GenerationRequestInput,
  image: { width: number; height: number },
) {
  if (request.width !== undefined) return {};
  const model = c.get('config').models.get(request.model as string);
  return model ? nearestSupportedSize(model, image.width, image.height) : {};
}

/**
 * POST /openai/v1/images/edits (`images.edit`), multipart. A `mask` marks with fully transparent
 * pixels the area to repaint (OpenAI's convention, turned into the pipeline's white-means-repaint
 * mask): inpaint, and every other pixel comes back exactly as it was. Without a mask the image's
 * own transparent pixels are the mask; an image with none is edited as a whole (img2img).
 */
export const imagesEdit = new Hono<AppEnv>()
  .post('/edits', async (c) => {
    const form = await readForm(c);
    const fields = parseFields(OpenAIImageEditFields, fieldsOf(form));
    const imageBytes = (await oneImage(form, 'image', true)) as Uint8Array;
    const maskBytes = await oneImage(form, 'mask', false);
    const image = decodeImageInput('image', base64Of(imageBytes));
    const base = baseRequest(c, fields);
    let mask: Uint8Array | null = null;
    if (maskBytes) {
      const converted = await maskFromAlpha(await readPngAlpha(maskBytes, 'mask'));
      if (!converted) {
        throw new OpenAIApiError(
          400,
          'mask: has no fully transparent pixels; transparent pixels mark the area to edit.',
          'mask',
          'invalid_value',
        );
      }
      mask = converted.png;
    } else if (image.type === 'png') {
      mask = (await maskFromAlpha(await readPngAlpha(imageBytes, 'image')))?.png ?? null;
    }
    const request: GenerationRequestInput = {
      ...base,
      ...sizeFor(c, base, image),
      prompt: fields.prompt,
      image: base64Of(imageBytes),
      // The masked area is painted anew (full strength); the rest is kept pixel for pixel.
      ...(mask
        ? { task: 'inpaint', mask: base64Of(mask), strength: 1 }
        : { task: 'img2img', strength: EDIT_STRENGTH }),
    };
    return answerWithImages(c, request, fields.response_format);
  })
  /** POST /openai/v1/images/variations (`images.createVariation`): img2img of the image, no prompt. */
  .post('/variations', async (c) => {
    const form = await readForm(c);
    const fields = parseFields(OpenAIImageVariationFields, fieldsOf(form));
    const imageBytes = (await oneImage(form, 'image', true)) as Uint8Array;
    const image = decodeImageInput('image', base64Of(imageBytes));
    const base = baseRequest(c, fields);
    const request: GenerationRequestInput = {
      ...base,
      ...sizeFor(c, base, image),
      task: 'img2img',
      // The pipeline needs a prompt; a variation has none, so it is steered by the image alone.
      prompt: 'a variation of the image',
      image: base64Of(imageBytes),
      strength: VARIATION_STRENGTH,
    };
    return answerWithImages(c, request, fields.response_format);
  });
