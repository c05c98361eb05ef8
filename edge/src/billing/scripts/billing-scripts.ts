import type { LuaScript } from '../../store/scripts/run-script';
import { BEGIN_FLUSH, END_FLUSH } from './flush-lock';
import { ACK_USAGE_EVENTS, CLAIM_USAGE_EVENTS, HOLD_USAGE_EVENTS, REPLAY_HELD_USAGE } from './outbox-scripts';
import { APPLY_STRIPE_EVENT, LINK_STRIPE_CUSTOMER } from './stripe-link-scripts';

/** Every billing script, for the hash pin test. */
export const BILLING_SCRIPTS: readonly LuaScript[] = [
  BEGIN_FLUSH,
  END_FLUSH,
  CLAIM_USAGE_EVENTS,
  ACK_USAGE_EVENTS,
  HOLD_USAGE_EVENTS,
  REPLAY_HELD_USAGE,
  APPLY_STRIPE_EVENT,
  LINK_STRIPE_CUSTOMER,
];
