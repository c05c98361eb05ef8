import { createApp } from './app';
import { runScheduled } from './scheduled';

export { QueueWaker } from './durable/queue-waker';

const app = createApp();

/** The Worker: the Hono app for HTTP, the cron trigger for housekeeping. */
export default {
  fetch: app.fetch,
  scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(env, controller.cron, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
