import { readFileSync } from 'node:fs';
import type { MiniflareOptions } from 'miniflare';
import { describe, expect, it } from 'vitest';
import { edgeMiniflareOptions } from './edge-runtime';
import { WRANGLER_TOML } from './wrangler-config';

const base = { bundlePath: '/tmp/edge/index.js', bindings: {}, port: 8787 };

describe('edgeMiniflareOptions', () => {
  it('takes the compatibility date and flags from wrangler.toml', () => {
    const toml = readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8');
    const options = edgeMiniflareOptions(base) as {
      compatibilityDate?: string;
      compatibilityFlags?: string[];
    };
    expect(toml).toContain(`compatibility_date = "${options.compatibilityDate}"`);
    for (const flag of options.compatibilityFlags ?? []) expect(toml).toContain(`"${flag}"`);
  });

  it('takes the name, vars, R2 buckets, Durable Objects and module rules from wrangler.toml', () => {
    const toml = readFileSync(WRANGLER_TOML, 'utf8');
    const options = edgeMiniflareOptions({
      ...base,
      bindings: { DEPLOY_MODE: 'local', ADMIN_TOKEN: 't' },
    }) as {
      name?: string;
      bindings?: Record<string, string>;
      r2Buckets?: string[];
      durableObjects?: Record<string, string>;
      modulesRules?: MiniflareOptions['modulesRules'];
    };
    expect(options.name).toBe('ldm-edge');
    expect(toml).toContain(`name = "${options.name}"`);
    expect(options.r2Buckets).toEqual(['OUTPUTS']);
    expect(options.durableObjects).toEqual({ QUEUE_WAKER: 'QueueWaker' });
    expect(options.modulesRules).toEqual([{ type: 'Text', include: ['**/*.lua'], fallthrough: false }]);
    // wrangler.toml's vars, then the caller's (a local stack runs DEPLOY_MODE=local).
    expect(options.bindings).toMatchObject({ DEFAULT_MODEL: 'demo-shapes', MAX_ATTEMPTS: '3' });
    expect(options.bindings?.DEPLOY_MODE).toBe('local');
    expect(options.bindings?.ADMIN_TOKEN).toBe('t');
    expect(toml).toContain('DEPLOY_MODE = "production"');
  });

  // Miniflare's default would run every subrequest through a second Worker (edge-runtime.ts says
  // why the edge does not need it); bench:edge can still ask for it to measure the difference.
  it('sends subrequests directly unless the outbound shim is asked for', () => {
    const shimOf = (o: object) => (o as { stripCfConnectingIp?: boolean }).stripCfConnectingIp;
    expect(shimOf(edgeMiniflareOptions(base))).toBe(false);
    expect(shimOf(edgeMiniflareOptions({ ...base, stripCfConnectingIp: true }))).toBe(true);
  });
});
