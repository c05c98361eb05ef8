/// <reference types="node" />
import type { Generation } from '@ldm/shared';
import type { EdgeStack, TestAccount } from '@ldm/test/support/edge-stack';

// Test replies are arbitrary JSON, read field by field by the assertions.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = Record<string, any>;

/** A worker's and a customer's calls against the edge stack, as plain HTTP (what the daemon sends). */
export function workerClient(stack: EdgeStack) {
  const auth = { authorization: `Bearer ${stack.workerToken}` };
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const isBytes = body instanceof Uint8Array;
    const res = await stack.fetch(`/worker/v1${path}`, {
      method,
      headers: {
        ...auth,
        ...(body !== undefined && !isBytes ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body:
        body === undefined ? undefined : isBytes ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
    });
    const type = res.headers.get('content-type') ?? '';
    const payload = type.includes('json')
      ? ((await res.json()) as Json)
      : new Uint8Array(await res.arrayBuffer());
    return { status: res.status, body: payload as Json, headers: res.headers };
  }
  return {
    call,
    lease: (models: string[], options: { max_jobs?: number; wait_ms?: number; worker_id?: string } = {}) =>
      call('POST', '/lease', {
        worker_id: options.worker_id ?? 'w1',
        models,
        max_jobs: options.max_jobs ?? 1,
        wait_ms: options.wait_ms ?? 0,
      }),
  };
}

export async function submit(
  stack: EdgeStack,
  account: TestAccount,
  body: Record<string, unknown>,
): Promise<Generation> {
  const res = await stack.fetch('/v1/generations', {
    method: 'POST',
    headers: { ...account.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'a red circle', ...body }),
  });
  if (res.status !== 201) throw new Error(`submit: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Generation;
}

export async function getGeneration(stack: EdgeStack, account: TestAccount, id: string): Promise<Generation> {
  return (await (
    await stack.fetch(`/v1/generations/${id}`, { headers: account.headers })
  ).json()) as Generation;
}
