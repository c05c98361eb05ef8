/**
 * Paths of the worker's operations server. Kubernetes probes, the preStop hook and the
 * Dockerfile's HEALTHCHECK name these; the manifest test checks they agree.
 */
export const OPS_PATHS = {
  metrics: '/metrics',
  /** Alive: the process and its event loop answer. */
  health: '/healthz',
  /** Ready for work: models loaded, edge reached recently, not draining. */
  ready: '/readyz',
  /** Starts the drain and answers once it is over (the preStop hook). GET because preStop can only GET. */
  drain: '/drain',
  /** The models loaded, with what the worker read from each export (its scheduler class and whether it has it). */
  models: '/models',
} as const;
