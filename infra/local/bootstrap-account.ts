/**
 * Creates the local demo account and an API key on first run, and reuses them afterwards
 * (idempotent): a key in stack.json that still authenticates is kept.
 */
export interface BootstrapOptions {
  baseUrl: string;
  adminToken: string;
  previous?: { account_id: string; api_key: string };
  credits?: number;
}

/** Test-key generations per UTC day for the local account (the plans' default is 100). */
const LOCAL_TEST_GENERATIONS_PER_DAY = 100_000;

async function call(url: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
}

export async function ensureAccountAndKey(
  options: BootstrapOptions,
): Promise<{ accountId: string; apiKey: string }> {
  const { baseUrl, adminToken, previous } = options;
  if (previous) {
    const check = await call(`${baseUrl}/v1/account`, previous.api_key);
    if (check.ok) return { accountId: previous.account_id, apiKey: previous.api_key };
  }
  const created = await call(`${baseUrl}/admin/v1/accounts`, adminToken, {
    method: 'POST',
    body: JSON.stringify({ name: 'local', credits: options.credits ?? 1_000_000 }),
  });
  if (!created.ok)
    throw new Error(`creating the local account failed: HTTP ${created.status} ${await created.text()}`);
  const account = (await created.json()) as { id: string };
  // The local key is a test key: free (no credits, no metering) but limited per day. On one's own
  // machine the plan's 100 a day would only get in the way.
  const quota = await call(`${baseUrl}/admin/v1/accounts/${account.id}`, adminToken, {
    method: 'PATCH',
    body: JSON.stringify({ limits: { test_generations_per_day: LOCAL_TEST_GENERATIONS_PER_DAY } }),
  });
  if (!quota.ok) throw new Error(`setting the local test quota failed: HTTP ${quota.status}`);
  const keyResponse = await call(`${baseUrl}/admin/v1/accounts/${account.id}/keys`, adminToken, {
    method: 'POST',
    body: JSON.stringify({ mode: 'test', name: 'npm start' }),
  });
  if (!keyResponse.ok) throw new Error(`creating the local API key failed: HTTP ${keyResponse.status}`);
  const { key } = (await keyResponse.json()) as { key: string };
  return { accountId: account.id, apiKey: key };
}
