import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFolderError } from './model-folder-error';

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads a JSON object from `dir/file`; missing -> undefined when optional, else a ModelFolderError. */
export async function readJsonObject(
  dir: string,
  file: string,
  optional = false,
): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch {
    if (optional) return undefined;
    throw new ModelFolderError(file, 'missing');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelFolderError(file, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelFolderError(file, 'must contain a JSON object');
  }
  return value as Record<string, unknown>;
}

export function numberField(
  config: Record<string, unknown> | undefined,
  key: string,
  file: string,
): number | undefined {
  const value = config?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ModelFolderError(file, `${key} must be a number`);
  }
  return value;
}
