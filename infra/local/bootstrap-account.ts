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
  const keyResponse = await call(`${baseUrl}/admin/v1/accounts/${account.id}/keys`, adminToken, {
    method: 'POST',
    // Live: the local stack shows the whole metered path (holds, charges, usage, the outbox). A
    // test key would be free and leave `GET /v1/usage` empty (DESIGN decision 4).
    body: JSON.stringify({ mode: 'live', name: 'npm start' }),
  });
  if (!keyResponse.ok) throw new Error(`creating the local API key failed: HTTP ${keyResponse.status}`);
  const { key } = (await keyResponse.json()) as { key: string };
  return { accountId: account.id, apiKey: key };
}
