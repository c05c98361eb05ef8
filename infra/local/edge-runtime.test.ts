import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { edgeMiniflareOptions } from './edge-runtime';

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

  // Miniflare's default would run every subrequest through a second Worker (edge-runtime.ts says
  // why the edge does not need it); bench:edge can still ask for it to measure the difference.
  it('sends subrequests directly unless the outbound shim is asked for', () => {
    const shimOf = (o: object) => (o as { stripCfConnectingIp?: boolean }).stripCfConnectingIp;
    expect(shimOf(edgeMiniflareOptions(base))).toBe(false);
    expect(shimOf(edgeMiniflareOptions({ ...base, stripCfConnectingIp: true }))).toBe(true);
  });
});
