import { execFileSync } from 'node:child_process';
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
// Global ARGs may name earlier ones (NODE_IMAGE names NODE_VERSION): resolve until nothing changes.
const resolve = (s: string): string => {
  const next = s.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');
  return next === s ? s : resolve(next);
};
const stages = instructions.filter((l) => l.startsWith('FROM ')).map((l) => resolve(l).split(/\s+/)[1]);
const runtimeStart = instructions.findIndex((l) => /^FROM .* AS runtime$/.test(l));
const runtime = instructions.slice(runtimeStart);

describe('GPU worker Dockerfile', () => {
  it('runs on a CUDA 12 + cuDNN 9 runtime image and checks for cuDNN 9', () => {
    // 12.3: the lowest CUDA 12 minor with a cuDNN 9 runtime image (infra/README.md, driver floor).
    expect(stages.at(-1)).toBe('nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04');
    expect(runtime.some((l) => /^RUN ldconfig -p \| grep -q 'libcudnn\.so\.9'/.test(l))).toBe(true);
  });

  it('carries an exact Node 24 LTS release (Node 20 is past end of life)', () => {
    expect(args.NODE_VERSION).toMatch(/^24\.\d+\.\d+$/);
    expect(stages[0]).toBe(`node:${args.NODE_VERSION}-bookworm-slim`);
    // The bundle targets the Node it runs on.
    expect(instructions.find((l) => l.includes('esbuild'))).toContain('--target=node24');
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

  describe('release builds refuse base images named by tag alone', () => {
    // The guard is the Dockerfile's own RUN line, run here by sh with the build arguments as env.
    const guard = runtime.find((l) => l.startsWith('RUN if [ "$RELEASE" = true ]'));
    const run = (env: Record<string, string>) => {
      try {
        execFileSync('sh', ['-c', (guard ?? 'exit 99').slice('RUN '.length)], {
          env: { PATH: process.env.PATH, ...env },
          stdio: 'pipe',
        });
        return { code: 0, stderr: '' };
      } catch (error) {
        const e = error as { status: number; stderr: Buffer };
        return { code: e.status, stderr: e.stderr.toString() };
      }
    };
    const digest = `@sha256:${'ab12'.repeat(16)}`;
    const cuda = 'nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04';
    const node = 'node:24.11.1-bookworm-slim';

    it('declares the arguments it checks inside the runtime stage, defaulting to a development build', () => {
      expect(guard).toBeDefined();
      expect(runtime).toContain('ARG RELEASE=false');
      expect(runtime).toContain('ARG CUDA_IMAGE');
      expect(runtime).toContain('ARG NODE_IMAGE');
      expect(runtime.indexOf('ARG RELEASE=false')).toBeLessThan(runtime.indexOf(guard as string));
    });

    it('a development build passes with tags', () => {
      expect(run({ RELEASE: 'false', CUDA_IMAGE: cuda, NODE_IMAGE: node }).code).toBe(0);
    });

    it('a release build with either image unpinned fails, naming it', () => {
      const noCuda = run({ RELEASE: 'true', CUDA_IMAGE: cuda, NODE_IMAGE: node + digest });
      expect(noCuda.code).toBe(1);
      expect(noCuda.stderr).toContain(`base image ${cuda} is not pinned by digest`);
      const noNode = run({ RELEASE: 'true', CUDA_IMAGE: cuda + digest, NODE_IMAGE: node });
      expect(noNode.code).toBe(1);
      expect(noNode.stderr).toContain(`base image ${node} is not pinned`);
      // An empty digest is no pin.
      expect(run({ RELEASE: 'true', CUDA_IMAGE: `${cuda}@sha256:`, NODE_IMAGE: node + digest }).code).toBe(1);
    });

    it('a release build with both images pinned by digest passes', () => {
      expect(run({ RELEASE: 'true', CUDA_IMAGE: cuda + digest, NODE_IMAGE: node + digest }).code).toBe(0);
    });
  });
});
