import { ACK_CANCEL_JOB } from './ack-cancel-job';
import { COMPLETE_JOB } from './complete-job';
import { FAIL_JOB } from './fail-job';
import { HEARTBEAT_JOB } from './heartbeat-job';
import { LEASE_JOBS } from './lease-jobs';
import { QUEUE_STATS } from './queue-stats';
import { REAP_EXPIRED_LEASES } from './reap-expired-leases';
import { RELEASE_JOB } from './release-job';
import type { LuaScript } from './run-script';

/** The worker-protocol scripts, for the hash pin test and for preloading (SCRIPT LOAD). */
export const WORKER_SCRIPTS: readonly LuaScript[] = [
  LEASE_JOBS,
  HEARTBEAT_JOB,
  COMPLETE_JOB,
  FAIL_JOB,
  ACK_CANCEL_JOB,
  RELEASE_JOB,
  REAP_EXPIRED_LEASES,
  QUEUE_STATS,
];
