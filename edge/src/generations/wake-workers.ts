/**
 * Tells lease calls parked on the model's queue waker (a Durable Object, DESIGN decision 2) to
 * look now. Best effort: Redis is the truth and the waiting calls poll slowly anyway, so a
 * failure here only delays dispatch.
 */
export async function wakeWorkers(env: Env, model: string): Promise<void> {
  const namespace = (env as unknown as { QUEUE_WAKER?: DurableObjectNamespace }).QUEUE_WAKER;
  if (!namespace) return;
  try {
    const stub = namespace.get(namespace.idFromName(model));
    await stub.fetch('https://queue-waker/wake', { method: 'POST' });
  } catch (error) {
    console.error(`waking workers for ${model} failed: ${(error as Error).message}`);
  }
}
