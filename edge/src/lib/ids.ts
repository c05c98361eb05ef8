import { randomBase62 } from './crypto';

/** Public ids carry a type prefix (Stripe style) so a pasted id says what it is. */
export const newJobId = () => `gen_${randomBase62(22)}`;
export const newAccountId = () => `acct_${randomBase62(16)}`;
/** What newAccountId makes: anything else named as an account (e.g. in Stripe metadata) is not one. */
export const ACCOUNT_ID_PATTERN = /^acct_[0-9A-Za-z]{16}$/;
export const newKeyId = () => `key_${randomBase62(16)}`;
export const newRequestId = () => `req_${randomBase62(20)}`;

/** An API key: mode prefix + 32 base62 characters (~190 bits). Only its SHA-256 is stored. */
export const newApiKey = (mode: 'live' | 'test') => `ldm_${mode}_${randomBase62(32)}`;
export const API_KEY_PATTERN = /^ldm_(live|test)_[0-9A-Za-z]{32}$/;
