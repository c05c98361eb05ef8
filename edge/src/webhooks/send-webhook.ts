import { Webhook } from 'standardwebhooks';
import { parseRetryAfter } from './retry-schedule';

/** A receiver that has not answered in this long failed the attempt. */
export const SEND_TIMEOUT_MS = 15_000;

export interface SendRequest {
  url: string;
  webhookId: string;
  /** Event name, also sent as `ldm-event` so a receiver can route without parsing the body. */
  event: string;
  body: string;
  /** Every secret that signs: the current one, and the previous during a rotation. */
  secrets: string[];
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  retryAfterMs: number | null;
  /** 410 Gone: the receiver wants no more attempts. */
  gone: boolean;
}

/**
 * One delivery attempt, signed per the Standard Webhooks spec: `webhook-id` (the same on every
 * retry, receivers de-duplicate on it), `webhook-timestamp` (wall clock: receivers refuse stale
 * ones) and `webhook-signature`, one `v1,` signature per secret separated by spaces, so a receiver
 * holding either secret verifies during a rotation. 2xx is success; redirects are not followed
 * (a 3xx is a failure: following one would let a public host bounce us onto an internal address).
 */
export async function sendWebhook(r: SendRequest): Promise<SendResult> {
  const timestamp = new Date();
  const signature = r.secrets
    .map((secret) => new Webhook(secret).sign(r.webhookId, timestamp, r.body))
    .join(' ');
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await (r.fetch ?? fetch)(r.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(r.timeoutMs ?? SEND_TIMEOUT_MS),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'ldm-webhooks/1',
        'webhook-id': r.webhookId,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
        'ldm-event': r.event,
      },
      body: r.body,
    });
    // The body is not needed; reading it frees the connection.
    await res.body?.cancel().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return {
      ok,
      statusCode: res.status,
      latencyMs: elapsed(),
      error: ok
        ? null
        : res.status >= 300 && res.status < 400
          ? 'redirect not followed'
          : `HTTP ${res.status}`,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), Date.now()),
      gone: res.status === 410,
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const message =
      name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${duration(r.timeoutMs ?? SEND_TIMEOUT_MS)}`
        : `connection failed: ${error instanceof Error ? error.message : String(error)}`;
    return {
      ok: false,
      statusCode: null,
      latencyMs: elapsed(),
      error: message,
      retryAfterMs: null,
      gone: false,
    };
  }
}

const duration = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
