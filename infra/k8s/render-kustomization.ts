import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML.
export type Resource = Record<string, any>;

/**
 * Renders a kustomization the way `kubectl kustomize` does, for the features this repository's
 * kustomization uses: `resources` (local files), `namespace`, `labels` (pairs, without selectors
 * or templates) and `images`. Any other field, or an option of these it does not implement,
 * throws instead of rendering something kustomize would not: the render test must then learn the
 * new feature (and is compared with the real kustomize wherever `kubectl` is installed).
 */
export function renderKustomization(dir: string): Resource[] {
  const kustomization = loadYaml(join(dir, 'kustomization.yaml'))[0] as Resource;
  const known = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'images']);
  for (const field of Object.keys(kustomization)) {
    if (!known.has(field)) throw new Error(`kustomization field ${field} is not implemented by this render`);
  }
  const resources = (kustomization.resources as string[]).flatMap((file) => {
    if (!/^[\w.-]+\.ya?ml$/.test(file)) throw new Error(`resource ${file}: only local files are rendered`);
    return loadYaml(join(dir, file));
  });
  for (const resource of resources) {
    if (kustomization.namespace) setNamespace(resource, kustomization.namespace);
    for (const entry of (kustomization.labels ?? []) as Resource[]) addLabels(resource, entry);
    for (const image of (kustomization.images ?? []) as Resource[]) setImage(resource, image);
  }
  return resources;
}

function loadYaml(path: string): Resource[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS() as Resource).filter(Boolean);
}

/** Kinds that live outside namespaces; kustomize leaves them without one (and CRDs are namespaced). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ClusterTriggerAuthentication',
]);

function setNamespace(resource: Resource, namespace: string): void {
  if (resource.kind === 'Namespace') {
    // kustomize renames a listed Namespace to the kustomization's; not implemented here.
    if (resource.metadata.name !== namespace)
      throw new Error(`Namespace ${resource.metadata.name} differs from the kustomization's ${namespace}`);
    return;
  }
  if (resource.kind.endsWith('Binding') && resource.subjects)
    throw new Error(`${resource.kind} subjects: namespace rewriting is not implemented by this render`);
  if (!CLUSTER_SCOPED.has(resource.kind)) resource.metadata.namespace = namespace;
}

function addLabels(resource: Resource, entry: Resource): void {
  if (entry.includeSelectors || entry.includeTemplates)
    throw new Error('labels with includeSelectors/includeTemplates are not implemented by this render');
  resource.metadata.labels = { ...(resource.metadata.labels ?? {}), ...entry.pairs };
}

/** `name[:tag][@digest]`, where a registry host may carry a port (`host:5000/app:1`). */
export function parseImage(ref: string): { name: string; tag?: string; digest?: string } {
  const [withTag, digest] = ref.split('@', 2) as [string, string | undefined];
  const colon = withTag.lastIndexOf(':');
  const tagged = colon > withTag.lastIndexOf('/');
  return {
    name: tagged ? withTag.slice(0, colon) : withTag,
    tag: tagged ? withTag.slice(colon + 1) : undefined,
    digest,
  };
}

/** The pod specs kustomize's image transformer reaches: a Pod, a workload's template, a CronJob's. */
function podSpecs(resource: Resource): Resource[] {
  const spec = resource.spec;
  if (!spec) return [];
  return [spec, spec.template?.spec, spec.jobTemplate?.spec?.template?.spec].filter(
    (s): s is Resource => Boolean(s) && typeof s === 'object',
  );
}

function setImage(resource: Resource, image: Resource): void {
  for (const spec of podSpecs(resource)) {
    for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as Resource[]) {
      if (typeof container.image !== 'string') continue;
      const current = parseImage(container.image);
      if (current.name !== image.name) continue;
      const name = image.newName ?? current.name;
      // A digest replaces both tag and digest; a new tag drops an old digest (as kustomize does).
      if (image.digest) container.image = `${name}@${image.digest}`;
      else if (image.newTag) container.image = `${name}:${image.newTag}`;
      else
        container.image = `${name}${current.tag ? `:${current.tag}` : ''}${current.digest ? `@${current.digest}` : ''}`;
    }
  }
}
