import type { Account, PLANS, SAFETY_MODES } from '@ldm/shared';
import { type FetchLike, HttpClient } from '../http-client';
import { DEFAULT_RETRY } from '../retry-policy';

// The request bodies of shared/src/account.ts, as callers write them (defaults left out).
export type Plan = (typeof PLANS)[number];
export interface CreateAccountInput {
  name: string;
  credits?: number;
  plan?: Plan;
}
export interface CreateKeyInput {
  mode?: 'live' | 'test';
  name?: string;
}
export interface CreatedKeyOutput {
  id: string;
  /** Shown only once. */
  key: string;
}
export interface AddCreditsInput {
  amount: number;
  reason?: string;
}
export interface UpdateAccountInput {
  plan?: Plan;
  stripe_customer?: string | null;
  name?: string;
  safety_checker?: (typeof SAFETY_MODES)[number] | null;
}

export interface LdmAdminClientOptions {
  baseUrl: string;
  /** The edge's ADMIN_TOKEN. */
  adminToken: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

/**
 * The operator API (`/admin/v1`, ADMIN_TOKEN). Reads are retried like LdmClient's; writes are
 * sent once: the admin API takes no Idempotency-Key, so a retried "create account" or "add
 * credits" after a lost answer would do it twice.
 */
export class LdmAdminClient {
  private readonly http: HttpClient;

  constructor(options: LdmAdminClientOptions) {
    if (!options.baseUrl) throw new TypeError('LdmAdminClient: baseUrl is required');
    if (!options.adminToken) throw new TypeError('LdmAdminClient: adminToken is required');
    this.http = new HttpClient({
      baseUrl: options.baseUrl,
      apiKey: options.adminToken,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: DEFAULT_RETRY,
    });
  }

  createAccount(request: CreateAccountInput): Promise<Account> {
    return this.http.json({ method: 'POST', path: '/admin/v1/accounts', body: request, maxRetries: 0 });
  }

  getAccount(id: string): Promise<Account> {
    return this.http.json({ method: 'GET', path: `/admin/v1/accounts/${encodeURIComponent(id)}` });
  }

  updateAccount(id: string, request: UpdateAccountInput): Promise<Account> {
    return this.http.json({
      method: 'PATCH',
      path: `/admin/v1/accounts/${encodeURIComponent(id)}`,
      body: request,
      maxRetries: 0,
    });
  }

  createKey(accountId: string, request: CreateKeyInput = {}): Promise<CreatedKeyOutput> {
    return this.http.json({
      method: 'POST',
      path: `/admin/v1/accounts/${encodeURIComponent(accountId)}/keys`,
      body: request,
      maxRetries: 0,
    });
  }

  async revokeKey(keyId: string): Promise<void> {
    // Revoking twice is harmless (the second answers not_found), so this one may be retried.
    await this.http.send({ method: 'DELETE', path: `/admin/v1/keys/${encodeURIComponent(keyId)}` });
  }

  addCredits(accountId: string, request: AddCreditsInput): Promise<Account> {
    return this.http.json({
      method: 'POST',
      path: `/admin/v1/accounts/${encodeURIComponent(accountId)}/credits`,
      body: request,
      maxRetries: 0,
    });
  }
}
