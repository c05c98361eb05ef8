import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderKustomization } from '../render-kustomization';

// biome-ignore lint/suspicious/noExplicitAny: untyped YAML.
type Resource = Record<string, any>;
const load = (file: string): Resource => {
  const [doc, ...rest] = parseAllDocuments(readFileSync(join(import.meta.dirname, file), 'utf8'));
  expect(rest).toEqual([]);
  expect(doc.errors).toEqual([]);
  return doc.toJS() as Resource;
};

const worker = renderKustomization(join(import.meta.dirname, '..')).find((r) => r.kind === 'Deployment');
const workerModels = ((worker?.spec.template.spec.volumes ?? []) as Resource[]).find(
  (v) => v.persistentVolumeClaim,
);
const pvc = load('models-pvc.yaml');
const job = load('models-fill-job.yaml');
const pod = job.spec.template.spec;
const rclone = pod.containers[0];

describe('example models volume and its fill Job (infra/k8s/examples)', () => {
  it('are examples only: the kustomization does not apply them', () => {
    const kustomization = load('../kustomization.yaml');
    expect(readdirSync(import.meta.dirname).filter((f) => f.endsWith('.yaml'))).toHaveLength(2);
    for (const resource of kustomization.resources as string[]) expect(resource).not.toMatch(/examples/);
  });

  it('the claim is the one the workers mount read-only, and may be mounted ReadOnlyMany', () => {
    expect(pvc.kind).toBe('PersistentVolumeClaim');
    expect(pvc.metadata.name).toBe(workerModels?.persistentVolumeClaim.claimName);
    expect(workerModels?.persistentVolumeClaim.readOnly).toBe(true);
    expect(pvc.spec.accessModes).toContain('ReadOnlyMany');
    // The Job writes it once from one node.
    expect(pvc.spec.accessModes).toContain('ReadWriteOnce');
    expect(pvc.spec.resources.requests.storage).toMatch(/^\d+Gi$/);
  });

  it('the Job syncs the object store into that claim at the path it mounts, writable', () => {
    expect(job.kind).toBe('Job');
    const volume = (pod.volumes as Resource[]).find(
      (v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name,
    );
    expect(volume).toBeDefined();
    const mount = (rclone.volumeMounts as Resource[]).find((m) => m.name === volume?.name);
    expect(mount?.readOnly ?? false).toBe(false);
    expect(rclone.args[0]).toBe('sync');
    expect(rclone.args[2]).toBe(mount?.mountPath);
    // The remote named in the source path is the one configured from the environment.
    const remote = String(rclone.args[1]).split(':')[0];
    const env = new Map((rclone.env as Resource[]).map((e) => [e.name, e]));
    expect(env.get(`RCLONE_CONFIG_${remote.toUpperCase()}_TYPE`)?.value).toBe('s3');
  });

  it('object store credentials come from a Secret, never inline', () => {
    for (const e of rclone.env as Resource[]) {
      if (/KEY|SECRET|TOKEN|PASSWORD/.test(e.name)) {
        expect(e.value, e.name).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef?.name, e.name).toBeTypeOf('string');
      }
    }
  });

  it('writes as the worker image user, with an exact image tag', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 });
    expect(worker?.spec.template.spec.securityContext.runAsUser).toBe(10001);
    expect(rclone.image).toMatch(/^rclone\/rclone:\d+\.\d+\.\d+$/);
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
  });
});
