import type { WorkerCatalog } from '@ldm/shared';

export interface CatalogCheck {
  /** Model name -> folder, for the folders the edge's catalog names. */
  served: Record<string, string>;
  /** Folders the catalog does not know: not loaded, not leased for. */
  unknown: Record<string, string>;
}

/**
 * Splits the worker's model folders by the edge's catalog. The edge refuses a whole lease call that
 * names an unknown model, so one stray folder under MODELS_ROOT (a model not yet in MODELS_JSON, a
 * typo) would otherwise stop the worker from serving any model at all.
 */
export function checkAgainstCatalog(dirs: Record<string, string>, catalog: WorkerCatalog): CatalogCheck {
  const known = new Set(catalog.models.map((m) => m.name));
  const served: Record<string, string> = {};
  const unknown: Record<string, string> = {};
  for (const [name, dir] of Object.entries(dirs)) (known.has(name) ? served : unknown)[name] = dir;
  return { served, unknown };
}
