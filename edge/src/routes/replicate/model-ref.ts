import type { ModelInfo } from '@ldm/shared';
import type { Context } from 'hono';
import { compatConfigFor } from '../../compat/compat-config';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';

/** The platform model a Replicate `owner/name` names; the owner is COMPAT_MODEL_OWNER (`ldm`). */
export function modelByName(c: Context<AppEnv>, owner: string, name: string): ModelInfo {
  const model = owner === compatConfigFor(c.env).modelOwner ? c.get('config').models.get(name) : undefined;
  if (!model) throw new ApiError('not_found', `No model ${owner}/${name}.`);
  return model;
}

/** The model whose catalog version is `version` (versions are the catalog's model versions). */
export function modelByVersion(c: Context<AppEnv>, version: string): ModelInfo {
  // `owner/name:version` is accepted too, as the client's identifiers are written.
  const id = version.includes(':') ? version.slice(version.lastIndexOf(':') + 1) : version;
  for (const model of c.get('config').models.values()) if (model.version === id) return model;
  throw new ApiError('validation_error', `version: no model has version ${JSON.stringify(id)}`, [
    { field: 'version', message: `no model has version ${JSON.stringify(id)}` },
  ]);
}

export const modelRef = (c: Context<AppEnv>, model: ModelInfo) =>
  `${compatConfigFor(c.env).modelOwner}/${model.name}`;
