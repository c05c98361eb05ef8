import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { bodyLimit } from '../../middleware/body-limit';
import { tokenAuth } from '../../middleware/token-auth';
import { adminBilling } from '../billing/admin-billing';
import { adminAccounts } from './accounts';
import { adminGenerations } from './generations';
import { adminKeys } from './keys';

/** The operator API (`/admin/v1`), behind ADMIN_TOKEN. */
export const adminApi = new Hono<AppEnv>()
  .use(tokenAuth({ secret: (config) => config.adminToken, realm: 'admin' }))
  .use(bodyLimit({ maxBytes: 64 * 1024 }))
  .route('/accounts', adminAccounts)
  .route('/keys', adminKeys)
  .route('/generations', adminGenerations)
  .route('/billing', adminBilling);
