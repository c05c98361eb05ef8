import { AddCreditsRequest, CreateAccountRequest, CreateKeyRequest, UpdateAccountRequest } from '@ldm/shared';
import { Hono } from 'hono';
import { linkStripeCustomer } from '../../billing/scripts/stripe-link-scripts';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { sha256Hex } from '../../lib/crypto';
import { newAccountId, newApiKey, newKeyId } from '../../lib/ids';
import { parseJsonBody } from '../../lib/json-body';
import { accountView } from '../../store/accounts/account-view';
import { readAccount } from '../../store/accounts/read-account';
import { keys } from '../../store/keys';
import { createApiKey } from '../../store/scripts/create-api-key';
import { updateAccount } from '../../store/scripts/update-account';

const noAccount = (id: string) => new ApiError('not_found', `No account ${id}.`);

/** Operator endpoints on accounts: create, read, change plan/limits/customer, credits, keys. */
export const adminAccounts = new Hono<AppEnv>()
  .post('/', async (c) => {
    const { data } = await parseJsonBody(c, CreateAccountRequest);
    const id = newAccountId();
    const now = Date.now();
    const hash = {
      id,
      name: data.name,
      plan: data.plan,
      credits: String(data.credits),
      reserved: '0',
      created_at: String(now),
    };
    const tx = c.get('redis').multi();
    tx.hset(keys.account(id), hash);
    tx.sadd(keys.accounts(), id);
    await tx.exec();
    c.header('Location', `/admin/v1/accounts/${id}`);
    return c.json(accountView(hash, c.get('config')), 201);
  })
  .get('/:id', async (c) => {
    const id = c.req.param('id');
    const hash = await readAccount(c.get('redis'), id);
    if (!hash) throw noAccount(id);
    return c.json(accountView(hash, c.get('config')));
  })
  .patch('/:id', async (c) => {
    const id = c.req.param('id');
    const { data } = await parseJsonBody(c, UpdateAccountRequest);
    const fields: Record<string, string> = {};
    if (data.plan !== undefined) fields.plan = data.plan;
    if (data.name !== undefined) fields.name = data.name;
    if (data.safety_checker !== undefined) fields.safety_checker = data.safety_checker ?? '';
    const limits = data.limits;
    if (limits?.requests_per_minute !== undefined)
      fields.rpm_limit = String(limits.requests_per_minute ?? '');
    if (limits?.concurrent_jobs !== undefined)
      fields.concurrency_limit = String(limits.concurrent_jobs ?? '');
    if (limits?.test_generations_per_day !== undefined)
      fields.test_quota = String(limits.test_generations_per_day ?? '');
    if (data.stripe_customer !== undefined) {
      // Linked in both directions in one script (webhooks find the account by customer), and
      // first, so a refused link changes no other field either.
      const link = await linkStripeCustomer(c.get('redis'), id, data.stripe_customer ?? '');
      if (link.outcome === 'not_found') throw noAccount(id);
      if (link.outcome === 'conflict') {
        throw new ApiError(
          'invalid_state',
          `Stripe customer ${data.stripe_customer} is linked to another account.`,
          [{ field: 'stripe_customer', message: `already linked to account ${link.account_id}` }],
        );
      }
    }
    if (!(await updateAccount(c.get('redis'), id, { fields }))) throw noAccount(id);
    const hash = await readAccount(c.get('redis'), id);
    if (!hash) throw noAccount(id);
    return c.json(accountView(hash, c.get('config')));
  })
  .post('/:id/credits', async (c) => {
    const id = c.req.param('id');
    const { data } = await parseJsonBody(c, AddCreditsRequest);
    if (!(await updateAccount(c.get('redis'), id, { creditsDelta: data.amount }))) throw noAccount(id);
    const hash = await readAccount(c.get('redis'), id);
    if (!hash) throw noAccount(id);
    return c.json(accountView(hash, c.get('config')));
  })
  .post('/:id/keys', async (c) => {
    const accountId = c.req.param('id');
    const { data } = await parseJsonBody(c, CreateKeyRequest, { optional: true });
    const key = newApiKey(data.mode);
    const keyId = newKeyId();
    const created = await createApiKey(c.get('redis'), {
      accountId,
      keyId,
      keyHash: await sha256Hex(key),
      mode: data.mode,
      name: data.name ?? '',
      createdAt: Date.now(),
    });
    if (!created) throw noAccount(accountId);
    // The only time the key is ever shown: only its hash was stored.
    return c.json({ id: keyId, key }, 201);
  });
