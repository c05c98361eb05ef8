/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { playgroundUrl } from '@ldm/infra/local/playground-url';
import { type LiveStack, startLiveStack } from '@ldm/sdk/test/support/live-stack';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './chromium';

// The playground in a real browser against the local stack (edge in workerd, Redis, one
// gpu-worker): key and prompt in, live step progress, the image out. Artifacts in test-results/.
const RESULTS = resolve(import.meta.dirname, '../../test-results');

let live: LiveStack;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  if (!chromiumAvailable())
    throw new Error('no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)');
  mkdirSync(RESULTS, { recursive: true });
  // Started together; whichever started is kept for afterAll to stop even if the other failed.
  const [stack, chromium] = await Promise.allSettled([startLiveStack(), launchChromium()]);
  if (stack.status === 'fulfilled') live = stack.value;
  if (chromium.status === 'fulfilled') browser = chromium.value;
  for (const r of [stack, chromium]) if (r.status === 'rejected') throw r.reason;
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await live?.stop();
});

/** Problems the page reports: script errors, failed CSP checks, console errors. */
function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

describe('playground', () => {
  it('generates an image with live progress from a key and a prompt', async () => {
    const page = await browser.context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${live.stack.info.base_url}/`);
    await expect.poll(() => page.locator('#scheduler option').count()).toBeGreaterThan(0);

    await page.getByLabel('API key').fill(live.stack.info.api_key);
    await page.getByLabel('Prompt', { exact: false }).first().fill('a red circle on a blue background');
    const job = live.slowJob;
    await page.getByLabel('Width').fill(String(job.width));
    await page.getByLabel('Height').fill(String(job.height));
    await page.getByLabel('Steps').fill(String(job.steps));
    await page.getByLabel('Seed').fill('21');
    // This test follows a long job at the calibrated size: without the default x4 upscale.
    await page.getByRole('checkbox', { name: /Upscale x4/ }).uncheck();
    // Every step value the page shows, recorded in the page as it changes.
    await page.evaluate(() => {
      const bar = document.getElementById('progress') as HTMLProgressElement;
      const seen: string[] = [];
      (window as unknown as { seenSteps: string[] }).seenSteps = seen;
      new MutationObserver(() => seen.push(bar.getAttribute('data-step') ?? '')).observe(bar, {
        attributes: true,
        attributeFilter: ['data-step'],
      });
    });
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Generate' }).isDisabled()).toBe(true);

    const image = page.locator('#images figure img').first();
    await image.waitFor({ state: 'visible', timeout: 120_000 });
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#images img');
      return img?.complete && img.naturalWidth > 0;
    });
    const naturalWidth = await image.evaluate((img: HTMLImageElement) => img.naturalWidth);
    expect(naturalWidth).toBe(job.width);
    const steps = await page.evaluate(() => (window as unknown as { seenSteps: string[] }).seenSteps);
    const moving = new Set(steps.filter((s) => Number(s) > 0));
    expect(moving.size, `steps seen: ${steps.join(',')}`).toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Done.');

    // Download link, cost of the job, credits, and the job in the recent list.
    const download = page.getByRole('link', { name: 'Download image 1' });
    expect(await download.getAttribute('download')).toMatch(/^gen_\w+-1\.png$/);
    expect(Number(await page.locator('#job-meta').getAttribute('data-units'))).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#credits').textContent()).toMatch(/^Credits: [\d,.]+ units/);
    await expect.poll(() => page.locator('#recent-list li').count()).toBeGreaterThanOrEqual(1);
    const newest = await page.locator('#recent-list li').first().textContent();
    expect(newest).toContain('succeeded');
    expect(newest).toContain('a red circle on a blue background');

    await page.screenshot({ path: join(RESULTS, 'playground.png'), fullPage: true });
    expect(errors).toEqual([]);

    // The key survives a reload (localStorage), so the next visit starts ready.
    await page.reload();
    expect(await page.getByLabel('API key').inputValue()).toBe(live.stack.info.api_key);
    await page.close();
  }, 180_000);

  it('submits from the keyboard (Ctrl+Enter), cancels a running job, reopens a recent one', async () => {
    const page = await browser.context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${live.stack.info.base_url}/`);
    // The key typed in the first test was kept in localStorage.
    expect(await page.getByLabel('API key').inputValue()).toBe(live.stack.info.api_key);
    await expect.poll(() => page.locator('#scheduler option').count()).toBeGreaterThan(0);
    await page.getByLabel('Width').fill(String(live.slowJob.width));
    await page.getByLabel('Height').fill(String(live.slowJob.height));
    await page.getByLabel('Steps').fill(String(live.slowJob.steps));
    await page.getByRole('checkbox', { name: /Upscale x4/ }).uncheck();
    // Four images make the job long enough to be still running when Cancel lands.
    await page.getByLabel('Images').selectOption('4');
    await page.getByLabel('Prompt', { exact: false }).first().fill('a job to cancel');
    await page.getByLabel('Prompt', { exact: false }).first().press('Control+Enter');
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 60_000 })
      .toMatch(/^Running: step [1-9]/);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 30_000 }).toBe('Canceled.');
    await expect.poll(() => page.getByRole('button', { name: 'Generate' }).isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Cancel', exact: true }).isHidden()).toBe(true);
    await expect.poll(() => page.locator('#recent-list li').first().textContent()).toContain('canceled');

    // A recent generation opens again with its image, from the keyboard.
    const earlier = page.getByRole('button', { name: /^Show succeeded generation: a red circle/ });
    await earlier.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#status').textContent()).toBe('Done.');
    await page.waitForFunction(
      () => (document.querySelector<HTMLImageElement>('#images img')?.naturalWidth ?? 0) > 0,
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('upscales x4 by default on the demo model, and offers "Upscale x4" on a result', async () => {
    const page = await browser.context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${live.stack.info.base_url}/`);
    await expect.poll(() => page.locator('#scheduler option').count()).toBeGreaterThan(0);
    // The model list holds what generates from a prompt; the upscaler is reached through the box.
    expect(await page.locator('#model option').allTextContents()).not.toContain('demo-upscaler');
    const box = page.getByRole('checkbox', { name: /Upscale x4/ });
    expect(await box.isChecked()).toBe(true);
    await page.getByLabel('API key').fill(live.stack.info.api_key);
    await page.getByLabel('Width').fill('64');
    await page.getByLabel('Height').fill('64');
    await page.getByLabel('Steps').fill('3');
    await page.getByLabel('Seed').fill('5');
    const naturalWidth = () =>
      page.evaluate(() => document.querySelector<HTMLImageElement>('#images img')?.naturalWidth ?? 0);
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(naturalWidth, { timeout: 120_000 }).toBe(256);
    expect(await page.locator('#job-meta').textContent()).toMatch(/64×64/);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Done.');

    // Unticked: a 64 px image, then its "Upscale x4" button makes it 256 px as a task upscale.
    await box.uncheck();
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(naturalWidth, { timeout: 120_000 }).toBe(64);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Done.');
    await page.getByRole('button', { name: 'Upscale x4 image 1' }).click();
    await expect.poll(naturalWidth, { timeout: 120_000 }).toBe(256);
    await expect.poll(() => page.locator('#job-meta').textContent()).toMatch(/256×256/);
    await expect.poll(() => page.locator('#recent-list li').first().textContent()).toContain('succeeded');
    await page.screenshot({ path: join(RESULTS, 'playground-upscale.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('shows a validation error naming the field, and fits a phone-width screen', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 375, height: 800 });
    const errors = watchForErrors(page);
    await page.goto(`${live.stack.info.base_url}/`);
    await page.getByLabel('API key').fill(live.stack.info.api_key);
    await page.getByLabel('Width').fill('65');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('validation_error: width must be a multiple of 8 (limit 8)');
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(RESULTS, 'playground-narrow.png'), fullPage: true });
    // The 422 itself is logged by the browser as a failed resource; nothing else may be.
    expect(errors.filter((e) => !e.includes('422'))).toEqual([]);
    await page.close();
  }, 60_000);

  it("opens npm start's printed URL signed in and generates without typing a key", async () => {
    const base = live.stack.info.base_url;
    const key = live.stack.info.api_key;
    const page = await browser.context.newPage();
    const errors = watchForErrors(page);
    // A newcomer's browser: nothing stored for this origin yet.
    await page.goto(`${base}/`);
    await page.evaluate(() => localStorage.clear());
    await page.goto('about:blank');
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));

    // The same function start.ts prints the URL with.
    const printed = playgroundUrl(base, key);
    expect(printed).toBe(`${base}/#key=${key}`);
    await page.goto(printed);
    await expect.poll(() => page.locator('#scheduler option').count()).toBeGreaterThan(0);

    // Signed in: the key is in the field and in this browser's storage, gone from the address bar
    // (replaceState: no history entry keeps it) and from every URL the page requested.
    expect(await page.getByLabel('API key').inputValue()).toBe(key);
    expect(await page.evaluate(() => localStorage.getItem('ldm.apiKey'))).toBe(key);
    expect(page.url()).toBe(`${base}/`);
    expect(await page.evaluate(() => location.hash)).toBe('');
    expect(requested.length).toBeGreaterThan(1);
    expect(requested.filter((url) => url.includes(key))).toEqual([]);
    await expect.poll(() => page.locator('#credits').textContent()).toMatch(/^Credits: [\d,.]+ units/);

    const job = live.slowJob;
    await page.getByLabel('Prompt', { exact: false }).first().fill('a blue square on a red background');
    await page.getByLabel('Width').fill(String(job.width));
    await page.getByLabel('Height').fill(String(job.height));
    await page.getByLabel('Steps').fill(String(job.steps));
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.waitForFunction(
      () => (document.querySelector<HTMLImageElement>('#images img')?.naturalWidth ?? 0) > 0,
      undefined,
      { timeout: 120_000 },
    );
    await expect.poll(() => page.locator('#status').textContent()).toBe('Done.');
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
