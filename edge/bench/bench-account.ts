import type { Agent } from 'node:http';
import { call, type HttpCall } from './load';

/**
 * An account the load cannot exhaust (credits, rate limit, concurrency cap all far out of
 * reach) with one API key, made through the admin API; and the submit the benchmarks send:
 * no seed, so every submit is new work (no cache, no coalescing), the full path.
 */
export async function benchSubmit(agent: Agent, edgeUrl: URL, adminToken: string): Promise<HttpCall> {
  const json = { 'content-type': 'application/json' };
  const admin = { ...json, authorization: `Bearer ${adminToken}` };
  const created = await call(agent, edgeUrl, {
    method: 'POST',
    path: '/admin/v1/accounts',
    headers: admin,
    body: JSON.stringify({ name: 'bench', credits: 1e11, plan: 'enterprise' }),
  });
  const accountId = (JSON.parse(created.text) as { id: string }).id;
  await call(agent, edgeUrl, {
    method: 'PATCH',
    path: `/admin/v1/accounts/${accountId}`,
    headers: admin,
    body: JSON.stringify({ limits: { requests_per_minute: 1_000_000, concurrent_jobs: 100_000 } }),
  });
  const keyReply = await call(agent, edgeUrl, {
    method: 'POST',
    path: `/admin/v1/accounts/${accountId}/keys`,
    headers: admin,
    body: '{}',
  });
  const apiKey = (JSON.parse(keyReply.text) as { key: string }).key;
  return {
    method: 'POST',
    path: '/v1/generations',
    headers: { ...json, authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ prompt: 'a red circle on a blue square', steps: 20 }),
  };
}
