import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPS_PATHS } from '@ldm/gpu-worker/daemon/ops-paths';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseImage, type Resource, renderKustomization } from './render-kustomization';

// What `kubectl apply -k infra/k8s` would send, checked as the cluster would see it.
const DIR = import.meta.dirname;
const rendered = renderKustomization(DIR);
const NAMESPACE = 'ldm';

const all = (kind: string) => rendered.filter((r) => r.kind === kind);
const one = (kind: string): Resource => {
  const found = all(kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0];
};
const deployment = () => one('Deployment');
const podTemplate = () => deployment().spec.template;
const container = () => podTemplate().spec.containers[0];

/** Why an image reference may not be deployed with IfNotPresent: no tag, `latest`, or a moving tag. */
function imageProblems(ref: string): string[] {
  const { tag, digest } = parseImage(ref);
  if (digest) return /^sha256:[0-9a-f]{64}$/.test(digest) ? [] : [`${ref}: malformed digest`];
  if (!tag) return [`${ref}: no tag (means latest)`];
  if (/^(latest|main|master|stable|edge|dev)$/i.test(tag)) return [`${ref}: moving tag ${tag}`];
  return [];
}

/** `kubectl kustomize` when installed (kubectl >= 1.21 embeds kustomize with `labels:`), else undefined. */
function realKustomize(dir: string): Resource[] | undefined {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 30_000 });
  if (run.error || run.status !== 0) return undefined;
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Resource);
}
const identity = (r: Resource) => `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
const byIdentity = (list: Resource[]) => [...list].sort((a, b) => identity(a).localeCompare(identity(b)));
const real = realKustomize(DIR);

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('the rendered kustomization', () => {
  it.skipIf(real === undefined)('equals what kubectl kustomize renders (kubectl installed)', () => {
    expect(byIdentity(rendered)).toEqual(byIdentity(real ?? []));
  });

  it.skipIf(real === undefined)('equals kubectl kustomize for a digest and a renamed image too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldm-kustomize-'));
    temps.push(dir);
    cpSync(DIR, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
    const file = join(dir, 'kustomization.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      text
        .replace(/newName: .*/, 'newName: registry.example.com:5000/team/worker')
        .replace(/newTag: .*/, `digest: sha256:${'0'.repeat(64)}`),
    );
    const ours = renderKustomization(dir);
    expect(container().image).not.toBe(
      ours.find((r) => r.kind === 'Deployment')?.spec.template.spec.containers[0].image,
    );
    expect(byIdentity(ours)).toEqual(byIdentity(realKustomize(dir) ?? []));
  });

  it('puts every namespaced resource in the ldm namespace, with the part-of label', () => {
    for (const r of rendered) {
      if (r.kind === 'Namespace') expect(r.metadata.name).toBe(NAMESPACE);
      else expect(r.metadata.namespace, identity(r)).toBe(NAMESPACE);
      expect(r.metadata.labels?.['app.kubernetes.io/part-of'], identity(r)).toBe('ldm');
    }
  });

  it('the worker image has a unique tag or a digest, never latest', () => {
    expect(imageProblems(container().image)).toEqual([]);
    expect(container().image).not.toBe('ghcr.io/example/ldm-gpu-worker');
    expect(container().imagePullPolicy).toBe('IfNotPresent');
    // The check itself refuses what it must.
    expect(imageProblems('ghcr.io/a/b')).toHaveLength(1);
    expect(imageProblems('ghcr.io/a/b:latest')).toHaveLength(1);
    expect(imageProblems('localhost:5000/b')).toHaveLength(1);
    expect(imageProblems('ghcr.io/a/b@sha256:abc')).toHaveLength(1);
    expect(imageProblems('localhost:5000/b:1.2.3')).toEqual([]);
  });

  it('probes reach the ops server on a port the container declares; startup allows a slow model load', () => {
    const c = container();
    const ports = new Set((c.ports as Resource[]).map((p) => p.name));
    for (const [probe, path] of [
      ['startupProbe', OPS_PATHS.startup],
      ['livenessProbe', OPS_PATHS.health],
      ['readinessProbe', OPS_PATHS.ready],
    ] as const) {
      expect(c[probe]?.httpGet?.path, probe).toBe(path);
      expect(ports.has(c[probe].httpGet.port), `${probe} port`).toBe(true);
    }
    // Models load and warm within this, or the pod restarts (a hung GPU init).
    const startupSeconds = c.startupProbe.periodSeconds * c.startupProbe.failureThreshold;
    expect(startupSeconds).toBeGreaterThanOrEqual(120);
    expect(startupSeconds).toBeLessThanOrEqual(900);
  });

  it('requests a whole GPU with CPU and memory sized, and a memory limit over the request', () => {
    const { requests, limits } = container().resources;
    expect(requests['nvidia.com/gpu']).toBe(1);
    expect(limits['nvidia.com/gpu']).toBe(1);
    expect(requests.cpu).toBeDefined();
    const gib = (q: string) => Number(/^(\d+)Gi$/.exec(q)?.[1] ?? Number.NaN);
    expect(gib(limits.memory)).toBeGreaterThanOrEqual(gib(requests.memory));
    expect(gib(requests.memory)).toBeGreaterThanOrEqual(4);
    for (const volume of podTemplate().spec.volumes as Resource[]) {
      if (volume.emptyDir) expect(volume.emptyDir.sizeLimit, volume.name).toBeDefined();
    }
  });

  it('the NetworkPolicy, in the pods’ namespace, admits only monitoring to the declared ops port', () => {
    const policy = one('NetworkPolicy');
    expect(policy.metadata.namespace).toBe(deployment().metadata.namespace);
    expect(podTemplate().metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const [rule, ...others] = policy.spec.ingress as Resource[];
    expect(others).toEqual([]);
    expect(rule.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
    const declared = (container().ports as Resource[]).map((p) => p.name);
    for (const port of rule.ports as Resource[]) expect(declared).toContain(port.port);
  });

  it('KEDA scales this Deployment with the TriggerAuthentication of its own namespace', () => {
    const scaled = one('ScaledObject');
    const auth = one('TriggerAuthentication');
    expect(scaled.metadata.namespace).toBe(deployment().metadata.namespace);
    expect(auth.metadata.namespace).toBe(deployment().metadata.namespace);
    expect(scaled.spec.scaleTargetRef.name).toBe(deployment().metadata.name);
    expect(scaled.spec.triggers[0].authenticationRef.name).toBe(auth.metadata.name);
    // A ClusterTriggerAuthentication would need `kind:`; this one is namespaced.
    expect(scaled.spec.triggers[0].authenticationRef.kind ?? 'TriggerAuthentication').toBe(
      'TriggerAuthentication',
    );
  });

  it('labels do not leak into selectors (a selector change would orphan running pods)', () => {
    expect(deployment().spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'ldm-gpu-worker' });
    expect(one('Service').spec.selector).toEqual({ 'app.kubernetes.io/name': 'ldm-gpu-worker' });
  });
});
