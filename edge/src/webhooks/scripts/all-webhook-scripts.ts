import type { LuaScript } from '../../store/scripts/run-script';
import { CLAIM_WEBHOOKS } from './claim-webhooks';
import { RECORD_WEBHOOK_ATTEMPT } from './record-webhook-attempt';
import { ROTATE_WEBHOOK_SECRET } from './rotate-webhook-secret';

/** The webhook scripts, for the hash pin test. */
export const WEBHOOK_SCRIPTS: readonly LuaScript[] = [
  CLAIM_WEBHOOKS,
  RECORD_WEBHOOK_ATTEMPT,
  ROTATE_WEBHOOK_SECRET,
];
