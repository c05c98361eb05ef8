import { GENERATION_STATUSES, type Generation, TERMINAL_STATUSES } from '@ldm/shared';
import type { SseEvent } from './sse-parser';

export type GenerationStatus = Generation['status'];

/** What one event of `GET /v1/generations/{id}/events` says about the generation. */
export interface GenerationEvent {
  /** The SSE event name, e.g. `status` or `progress`. */
  type: string;
  status?: GenerationStatus;
  progress?: { step: number; total: number } | null;
  /** Present when the event carried the whole generation object. */
  generation?: Generation;
  /** The server said the stream is over (a terminal status, or a `done`/`end` event). */
  final: boolean;
  raw: SseEvent;
}

const FINAL_EVENT_NAMES = new Set(['done', 'end', 'complete', 'completed', 'close']);

const isStatus = (value: unknown): value is GenerationStatus =>
  typeof value === 'string' && (GENERATION_STATUSES as readonly string[]).includes(value);

export const isTerminal = (status: GenerationStatus): boolean =>
  (TERMINAL_STATUSES as readonly string[]).includes(status);

function asProgress(value: unknown): { step: number; total: number } | null | undefined {
  if (value === null) return null;
  if (value && typeof value === 'object') {
    const { step, total } = value as { step?: unknown; total?: unknown };
    if (typeof step === 'number' && typeof total === 'number') return { step, total };
  }
  return undefined;
}

function looksLikeGeneration(value: unknown): value is Generation {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && isStatus(v.status) && Array.isArray(v.outputs);
}

/**
 * Reads one event leniently: the data may be a whole generation, `{status, progress}`,
 * `{step, total}` or a bare status word. Whatever it is, the waiter fetches the generation once
 * the stream says it is over, so nothing here has to carry the outputs.
 */
export function interpretEvent(raw: SseEvent): GenerationEvent {
  let data: unknown = raw.data;
  try {
    data = JSON.parse(raw.data);
  } catch {
    // A plain-text payload, e.g. `data: running`.
  }
  const event: GenerationEvent = { type: raw.event, final: FINAL_EVENT_NAMES.has(raw.event), raw };
  if (isStatus(data)) {
    event.status = data;
  } else if (data && typeof data === 'object') {
    const record = data as Record<string, unknown>;
    const nested = looksLikeGeneration(record.generation) ? record.generation : undefined;
    const generation = looksLikeGeneration(data) ? data : nested;
    if (generation) event.generation = generation;
    const status = isStatus(record.status) ? record.status : generation?.status;
    if (status) event.status = status;
    const progress = asProgress(record.progress) ?? asProgress(data) ?? generation?.progress;
    if (progress !== undefined) event.progress = progress;
  }
  if (event.status && isTerminal(event.status)) event.final = true;
  return event;
}
