const DAY_S = 24 * 3600;

/**
 * How long a stored image (R2 `outputs/`, `inputs/`) must outlive its upload, given the job
 * retention. A job record lives JOB_RETENTION after its submit, but it is not the only reader of its
 * images: a result-cache answer copies the source job's output keys into a new job record (and can
 * be made until the source record expires), and a coalesced follower shows its leader's outputs.
 * So an image can still be shown up to 2 x JOB_RETENTION after it was made; one day more covers a
 * job that ran long after its submit and the lifecycle rule's day granularity.
 */
export function objectRetentionFor(jobRetentionSeconds: number): number {
  return 2 * jobRetentionSeconds + DAY_S;
}

/** The same in whole days (R2 lifecycle rules count days), rounded up. */
export function objectRetentionDays(objectRetentionSeconds: number): number {
  return Math.ceil(objectRetentionSeconds / DAY_S);
}
