import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerConfigSchema } from '@ldm/gpu-worker/daemon/config';
import { OPS_PATHS } from '@ldm/gpu-worker/daemon/ops-paths';
import { API_ROUTES, QueueStats } from '@ldm/shared';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML; each check names what it reads.
type Manifest = Record<string, any>;

const DIR = import.meta.dirname;
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

function load(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS() as Manifest).filter(Boolean);
}

const manifests: Manifest[] = files.flatMap((f) => load(f).map((m) => ({ file: f, ...m })));
const one = (kind: string): Manifest => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0];
};

const deployment = () => one('Deployment');
const container = () => deployment().spec.template.spec.containers[0];
const configData = () => one('ConfigMap').data as Record<string, string>;
const namedPort = (name: string) =>
  (container().ports as Manifest[]).find((p) => p.name === name)?.containerPort as number | undefined;

describe('kubernetes manifests', () => {
  it('every file parses and every document names its kind', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const m of manifests) {
      expect(m.apiVersion, m.file).toBeTypeOf('string');
      expect(m.kind, m.file).toBeTypeOf('string');
      if (m.kind !== 'Kustomization') expect(m.metadata?.name, m.file).toBeTypeOf('string');
    }
  });

  it('the kustomization lists exactly the other manifests', () => {
    const listed = [...one('Kustomization').resources].sort();
    expect(listed).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('the ConfigMap is a valid worker configuration that requires a GPU provider', () => {
    const parsed = WorkerConfigSchema.safeParse({
      ...configData(),
      WORKER_TOKEN: 'wrk_from_the_secret_0123',
    });
    expect(parsed.error?.issues ?? []).toEqual([]);
    // auto: CUDA where the image has its binaries, else WebGPU; REQUIRE_GPU: never the CPU.
    expect(parsed.data?.PROVIDER).toBe('auto');
    expect(parsed.data?.REQUIRE_GPU).toBe(true);
    expect(configData()).not.toHaveProperty('EXECUTION_PROVIDER');
    // Probes reach the ops server from outside the container.
    expect(parsed.data?.METRICS_HOST).toBe('0.0.0.0');
  });

  it('the worker requests a whole GPU and holds its token only by Secret reference', () => {
    const c = container();
    expect(Number(c.resources.limits['nvidia.com/gpu'])).toBeGreaterThanOrEqual(1);
    // Kubernetes requires extended resources' requests to equal their limits.
    expect(c.resources.requests['nvidia.com/gpu']).toBe(c.resources.limits['nvidia.com/gpu']);
    const token = (c.env as Manifest[]).find((e) => e.name === 'WORKER_TOKEN');
    expect(token?.value).toBeUndefined();
    expect(token?.valueFrom?.secretKeyRef).toMatchObject({
      name: expect.any(String),
      key: expect.any(String),
    });
    expect(configData()).not.toHaveProperty('WORKER_TOKEN');
    expect(c.envFrom[0].configMapRef.name).toBe(one('ConfigMap').metadata.name);
  });

  it('mounts models read-only at MODELS_ROOT and the spool at SPOOL_DIR', () => {
    const mounts = container().volumeMounts as Manifest[];
    const models = mounts.find((m) => m.mountPath === configData().MODELS_ROOT);
    expect(models?.readOnly).toBe(true);
    expect(mounts.some((m) => m.mountPath === configData().SPOOL_DIR && !m.readOnly)).toBe(true);
  });

  it('probes and the preStop hook hit the ops server paths on the metrics port', () => {
    const c = container();
    expect(namedPort('metrics')).toBe(Number(configData().METRICS_PORT));
    expect(c.readinessProbe.httpGet).toEqual({ path: OPS_PATHS.ready, port: 'metrics' });
    expect(c.livenessProbe.httpGet).toEqual({ path: OPS_PATHS.health, port: 'metrics' });
    // The startup probe waits for the models loaded and warmed, not for the process to answer.
    expect(c.startupProbe.httpGet).toEqual({ path: OPS_PATHS.startup, port: 'metrics' });
    // The drain is a POST from inside the container (a GET is refused) with the worker token as
    // bearer, read from the env the Secret fills: loopback alone is not trusted, and never a literal.
    const hook = (c.lifecycle.preStop.exec.command as string[]).join(' ');
    expect(hook).toContain(`http://127.0.0.1:${configData().METRICS_PORT}${OPS_PATHS.drain}`);
    expect(hook).toContain("method:'POST'");
    expect(hook).toContain("authorization:'Bearer '+process.env.WORKER_TOKEN");
    expect(hook).not.toMatch(/Bearer [^']/);
    expect(
      (c.env as Manifest[]).find((e) => e.name === 'WORKER_TOKEN')?.valueFrom?.secretKeyRef,
    ).toBeDefined();
  });

  it('the worker image tag is set once, in the kustomization, and is unique (not latest)', () => {
    const image = container().image as string;
    // The Deployment names the repository only; `images:` gives the one tag (or digest) per build.
    expect(image).not.toMatch(/[:@][^/]*$/);
    const entries = one('Kustomization').images as Manifest[];
    const entry = entries.find((e) => e.name === image);
    expect(entry, `kustomization images: entry for ${image}`).toBeDefined();
    if (entry?.digest) expect(entry.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    else expect(String(entry?.newTag)).toMatch(/^(?!latest$)[\w][\w.-]{0,127}$/);
    // IfNotPresent is right only with a tag that never moves.
    expect(container().imagePullPolicy).toBe('IfNotPresent');
  });

  it('the driver exposes its Vulkan ICD to the container (WebGPU provider)', () => {
    const env = (container().env as Manifest[]).find((e) => e.name === 'NVIDIA_DRIVER_CAPABILITIES');
    expect(env?.value?.split(',')).toEqual(expect.arrayContaining(['compute', 'utility', 'graphics']));
  });

  it('a NetworkPolicy lets only the monitoring namespace reach the ops port', () => {
    const policy = one('NetworkPolicy');
    expect(deployment().spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toHaveLength(1);
    const rule = policy.spec.ingress[0];
    expect(rule.ports).toEqual([{ protocol: 'TCP', port: 'metrics' }]);
    expect(rule.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
  });

  it('the termination grace period covers the drain plus a margin', () => {
    const graceSeconds = deployment().spec.template.spec.terminationGracePeriodSeconds as number;
    const drainSeconds = Number(configData().DRAIN_GRACE_MS) / 1000;
    expect(graceSeconds).toBeGreaterThanOrEqual(drainSeconds + 15);
    // Not absurdly longer either: a node drain waits for it.
    expect(graceSeconds).toBeLessThanOrEqual(drainSeconds + 120);
  });

  it('the PodDisruptionBudget and the metrics Service select the worker pods', () => {
    const podLabels = deployment().spec.template.metadata.labels;
    expect(podLabels).toMatchObject(deployment().spec.selector.matchLabels);
    expect(podLabels).toMatchObject(one('PodDisruptionBudget').spec.selector.matchLabels);
    expect(one('PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    const service = one('Service');
    expect(podLabels).toMatchObject(service.spec.selector);
    expect(service.spec.ports[0].targetPort).toBe('metrics');
  });
});

describe('KEDA autoscaling', () => {
  const scaled = () => one('ScaledObject');
  const trigger = () => scaled().spec.triggers[0];

  it('scales the worker Deployment from zero', () => {
    expect(scaled().spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: deployment().metadata.name,
    });
    expect(scaled().spec.minReplicaCount).toBe(0);
    expect(scaled().spec.maxReplicaCount).toBeGreaterThan(0);
    expect(trigger().metadata.activationTargetValue).toBe('0');
  });

  it("queries the edge's worker queue route on the configured edge", () => {
    expect(trigger().type).toBe('metrics-api');
    const url = new URL(trigger().metadata.url);
    expect(url.origin).toBe(new URL(configData().EDGE_URL).origin);
    const route = API_ROUTES.find((r) => r.path === url.pathname);
    expect(route).toMatchObject({ method: 'get', auth: 'worker', response: { schema: 'QueueStats' } });
  });

  it('reads a numeric field of the QueueStats schema', () => {
    const location = trigger().metadata.valueLocation as string;
    const field = (QueueStats.shape as Record<string, z.ZodType>)[location];
    expect(field, `QueueStats has no field ${location}`).toBeDefined();
    expect(field).toBeInstanceOf(z.ZodNumber);
  });

  it('asks no worker to carry more jobs than it can lease at once', () => {
    const target = Number(trigger().metadata.targetValue);
    expect(target).toBeGreaterThanOrEqual(1);
    expect(target).toBeLessThanOrEqual(Number(configData().CONCURRENCY) * Number(configData().MAX_BATCH));
  });

  it('authenticates with the worker token Secret as a bearer token', () => {
    expect(trigger().metadata.authMode).toBe('bearer');
    const auth = one('TriggerAuthentication');
    expect(trigger().authenticationRef.name).toBe(auth.metadata.name);
    const ref = (auth.spec.secretTargetRef as Manifest[]).find((r) => r.parameter === 'token');
    const workerSecret = (container().env as Manifest[]).find((e) => e.name === 'WORKER_TOKEN')?.valueFrom
      .secretKeyRef;
    expect({ name: ref?.name, key: ref?.key }).toEqual(workerSecret);
  });
});
