/**
 * Paths of the worker's operations server. Kubernetes probes, the preStop hook and the
 * Dockerfile's HEALTHCHECK name these; the manifest test checks they agree.
 */
export const OPS_PATHS = {
  metrics: '/metrics',
  /** Alive: the process and its event loop answer (liveness). Also says which provider runs. */
  health: '/healthz',
  /** Started: every model loaded and warmed (the startup probe: a hung GPU init never gets here). */
  startup: '/startupz',
  /** Ready for work: models loaded, edge reached recently and accepting this worker, not draining. */
  ready: '/readyz',
  /**
   * POST: starts the drain, answers once it is over, then the process exits (the preStop hook).
   * Only with the worker token, from loopback too: a stray or cross-site request must not park a GPU pod.
   */
  drain: '/drain',
  /** The models loaded, with what the worker read from each export (its scheduler class and whether it has it). */
  models: '/models',
} as const;
