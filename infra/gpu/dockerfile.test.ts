import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPS_PATHS } from '@ldm/gpu-worker/daemon/ops-paths';
import { describe, expect, it } from 'vitest';

const text = readFileSync(join(import.meta.dirname, 'Dockerfile'), 'utf8');
// Continuation lines joined, comments dropped: one instruction per entry.
const instructions = text
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const args = Object.fromEntries(
  instructions.flatMap((l) => {
    const m = /^ARG (\w+)=(\S+)/.exec(l);
    return m ? [[m[1], m[2]]] : [];
  }),
);
const resolve = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');
const stages = instructions.filter((l) => l.startsWith('FROM ')).map((l) => resolve(l).split(/\s+/)[1]);
const runtimeStart = instructions.findIndex((l) => /^FROM .* AS runtime$/.test(l));
const runtime = instructions.slice(runtimeStart);

describe('GPU worker Dockerfile', () => {
  it('runs on a CUDA 12 + cuDNN runtime image and checks for cuDNN 9', () => {
    expect(stages.at(-1)).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/);
    expect(runtime.some((l) => /^RUN ldconfig -p \| grep -q 'libcudnn\.so\.9'/.test(l))).toBe(true);
  });

  it('carries Node 20', () => {
    expect(args.NODE_VERSION).toMatch(/^20\./);
    expect(runtime).toContain('COPY --from=node /usr/local/bin/node /usr/local/bin/node');
  });

  it('installs onnxruntime-node with its CUDA 12 provider (unless built WebGPU-only), no other install script', () => {
    expect(args.ONNXRUNTIME_NODE_INSTALL).toBe('cuda12');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build argument, not a JS template.
    const env = runtime.indexOf('ENV ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL}');
    const ci = runtime.findIndex((l) => l.startsWith('RUN npm ci'));
    expect(env).toBeGreaterThan(0);
    expect(ci).toBeGreaterThan(env);
    expect(runtime[ci]).toContain('--omit=dev');
    // package.json's allowScripts denies every install script (npm 11); npm 10 needs the flag.
    expect(runtime[ci]).toContain('--ignore-scripts');
    expect(runtime[ci]).toMatch(/require\.resolve\('onnxruntime-node\/package\.json'\).*\/script\/install/);
  });

  it('copies every workspace manifest the lockfile names, so npm ci accepts the tree', () => {
    const lock = JSON.parse(readFileSync(join(import.meta.dirname, '../../package-lock.json'), 'utf8')) as {
      packages: Record<string, { name?: string }>;
    };
    const workspaces = Object.keys(lock.packages).filter((p) => p !== '' && !p.includes('node_modules'));
    for (const stage of [instructions.slice(0, runtimeStart), runtime]) {
      for (const ws of workspaces) expect(stage).toContain(`COPY ${ws}/package.json ${ws}/`);
    }
  });

  it('can run the WebGPU provider: the Vulkan loader installed, graphics among the driver capabilities', () => {
    expect(
      runtime.some((l) =>
        /^RUN apt-get update .*apt-get install -y --no-install-recommends libvulkan1/.test(l),
      ),
    ).toBe(true);
    const env = runtime.find((l) => l.includes('NVIDIA_DRIVER_CAPABILITIES='));
    expect(env).toMatch(/NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/);
  });

  it('chooses the provider at start and refuses to fall back to the CPU', () => {
    const env = runtime.filter((l) => l.startsWith('ENV ')).join(' ');
    expect(env).toContain('PROVIDER=auto');
    expect(env).toContain('REQUIRE_GPU=true');
    expect(env).not.toContain('EXECUTION_PROVIDER');
  });

  it('runs as a non-root user with models at /models and a health check on /healthz', () => {
    const user = runtime.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
    expect(runtime.some((l) => l.includes('MODELS_ROOT=/models'))).toBe(true);
    const health = runtime.find((l) => l.startsWith('HEALTHCHECK'));
    expect(health).toContain(OPS_PATHS.health);
    expect(runtime.at(-1)).toBe('CMD ["node", "gpu-worker/dist/worker.mjs"]');
  });
});
