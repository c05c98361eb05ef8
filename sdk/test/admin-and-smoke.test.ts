import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getFreePort } from '@ldm/infra/local/free-port';
import { type LocalStack, startLocalStack } from '@ldm/infra/local/local-stack';
import { writeSlowFixtureModel } from '@ldm/test/e2e/support/fixture-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL_DIR } from './support/live-stack';
import { type LdmRun, runLdm } from './support/run-ldm';

// `ldm admin ...` and `npm run smoke` against the whole local stack: redis-server, the Upstash
// bridge, the edge in workerd and one real gpu-worker, all started here.
let stack: LocalStack;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldm-admin-'));
  const demo = existsSync(join(DEMO_MODEL_DIR, 'unet/model.onnx'));
  const modelDir = demo ? DEMO_MODEL_DIR : await writeSlowFixtureModel(join(dir, 'models', 'demo-shapes'));
  stack = await startLocalStack({
    dataDir: join(dir, '.data'),
    port: 0,
    workers: 1,
    modelDir,
    quiet: process.env.LDM_TEST_VERBOSE !== '1',
  });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const admin = (...args: string[]) => runLdm(['admin', ...args], { cwd: dir });
const lines = (run: LdmRun) => run.stdout.trim().split('\n');

describe('ldm admin (admin token from .data/stack.json)', () => {
  it('creates an account, gives it a test key that works, adds and removes credits, links Stripe', async () => {
    const created = await admin('accounts', 'create', '--name', 'Acme', '--credits', '500', '--plan', 'pro');
    expect(created.stderr).toContain('plan pro, 500 credits');
    expect(created.code).toBe(0);
    const [accountId] = lines(created);
    expect(lines(created)).toHaveLength(1);
    expect(accountId).toMatch(/^acct_/);

    const read = await admin('accounts', 'get', accountId, '--json');
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({ id: accountId, name: 'Acme', plan: 'pro', credits: 500 });

    const key = await admin('keys', 'create', accountId, '--mode', 'test', '--key-name', 'ci', '--json');
    expect(key.code).toBe(0);
    const { id: keyId, key: apiKey } = JSON.parse(key.stdout) as { id: string; key: string };
    expect(apiKey).toMatch(/^ldm_test_/);
    const asCustomer = await runLdm(['account', '--api-key', apiKey], { cwd: dir });
    expect(asCustomer.stdout).toContain(`Acme (${accountId}), plan pro`);

    const added = await admin('credits', 'add', accountId, '250', '--reason', 'welcome');
    expect(added.stdout).toBe(`${accountId}: 750 credits available\n`);
    const removed = await admin('credits', 'add', accountId, '--', '-100');
    expect(removed.stdout).toBe(`${accountId}: 650 credits available\n`);

    const linked = await admin('accounts', 'update', accountId, '--stripe-customer', 'cus_Smoke123');
    expect(linked.stdout).toContain('stripe customer cus_Smoke123');
    const unlinked = await admin('accounts', 'update', accountId, '--stripe-customer', 'none');
    expect(unlinked.stdout).toContain('stripe customer none');

    const revoked = await admin('keys', 'revoke', keyId);
    expect(revoked.stdout).toBe(`${keyId} revoked\n`);
    const refused = await runLdm(['account', '--api-key', apiKey], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: unauthorized/);
  }, 120_000);

  it('the live key of `keys create` (default mode) prints alone on stdout, for $(...)', async () => {
    const [accountId] = lines(await admin('accounts', 'create', '--name', 'Scripted', '-q'));
    const key = await admin('keys', 'create', accountId, '-q');
    expect(key.stderr).toBe('');
    expect(key.stdout).toMatch(/^ldm_live_\S+\n$/);
  }, 60_000);

  it('API refusals are one error line naming the field or the id, exit 1', async () => {
    const missing = await admin('credits', 'add', 'acc_doesnotexist', '5');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: not_found/);
    const negative = await admin('accounts', 'create', '--name', 'x', '--credits=-5');
    expect(negative.code).toBe(1);
    expect(negative.stderr).toMatch(/^error: validation_error: credits/);
    const badCustomer = await admin('accounts', 'update', stack.info.account_id, '--stripe-customer', 'bob');
    expect(badCustomer.code).toBe(1);
    expect(badCustomer.stderr).toMatch(/stripe_customer/);
    const wrongToken = await admin(
      'accounts',
      'get',
      stack.info.account_id,
      '--admin-token',
      'adm_wrong_0123456789',
    );
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/^error: unauthorized/);
    expect(wrongToken.stderr).not.toContain(stack.info.admin_token);
  }, 60_000);

  it('usage mistakes exit 2 without a call; the stack admin token is not sent to another server', async () => {
    for (const args of [
      ['accounts', 'create'],
      ['accounts', 'create', '--name', 'x', '--plan', 'gold'],
      ['credits', 'add', 'acc_x', 'ten'],
      ['keys', 'create'],
      ['keys', 'create', 'acc_x', '--mode', 'prod'],
      ['accounts', 'update', 'acc_x'],
      ['accounts', 'delete', 'acc_x'],
      [],
    ]) {
      const run = await admin(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^error: /);
    }
    const elsewhere = await admin('accounts', 'get', 'acc_x', '--base-url', 'https://api.example.com');
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('no admin token for https://api.example.com');
  }, 60_000);
});

const SMOKE = resolve(import.meta.dirname, '../src/smoke/main.ts');
function smoke(args: string[], env: Record<string, string> = {}): Promise<LdmRun> {
  // From the repository root, where `npm run smoke` runs (and tsx resolves).
  const child = spawn(process.execPath, ['--import', 'tsx', SMOKE, ...args], {
    cwd: resolve(import.meta.dirname, '../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: LdmRun = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => {
    run.stdout += d;
  });
  child.stderr.on('data', (d) => {
    run.stderr += d;
  });
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ ...run, code }));
  });
}

describe('npm run smoke against the local stack', () => {
  it('passes every step: health, account + key, models, generation, signed webhook, usage', async () => {
    const run = await smoke(['--base', stack.info.base_url, '--json'], {
      LDM_ADMIN_TOKEN: stack.info.admin_token,
    });
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      steps: { name: string; ok: boolean; detail: string }[];
    };
    expect(report.steps.map((s) => [s.name, s.ok])).toEqual([
      ['health', true],
      ['account', true],
      ['models', true],
      ['generate', true],
      ['webhook', true],
      ['usage', true],
    ]);
    expect(report.steps.find((s) => s.name === 'webhook')?.detail).toMatch(
      /signed deliveries received; delivery log: completed delivered/,
    );
    expect(report.ok).toBe(true);
    expect(run.code).toBe(0);
  }, 240_000);

  it('fails at the step that fails: a wrong admin token, a webhook nobody receives', async () => {
    const wrongToken = await smoke(['--base', stack.info.base_url, '--admin-token', 'adm_wrong_0123456789']);
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stdout).toMatch(/^ok {4}health .*\nFAIL {2}account +unauthorized/);
    expect(wrongToken.stdout).toContain('smoke test FAILED');

    const nobody = `http://127.0.0.1:${await getFreePort()}/hook`;
    const lost = await smoke(['--base', stack.info.base_url, '--webhook-url', nobody, '--timeout', '20'], {
      LDM_ADMIN_TOKEN: stack.info.admin_token,
    });
    expect(lost.code).toBe(1);
    expect(lost.stdout).toMatch(/ok {4}generate/);
    expect(lost.stdout).toMatch(/FAIL {2}webhook +completed webhook (pending|failed)/);
  }, 240_000);

  it('bad usage exits 2 before calling anything', async () => {
    const run = await smoke(['--admin-token', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--base is required');
  }, 60_000);
});
