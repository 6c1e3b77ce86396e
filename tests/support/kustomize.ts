import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";

/**
 * An offline renderer of the part of kustomize that k8s/ uses, so CI can validate rendered manifests without a
 * kustomize binary: `resources` (files and kustomization folders), `namespace`, `labels` (metadata only, or
 * selectors too with includeSelectors), `images` (newName/newTag on containers and initContainers) and `patches`
 * with inline JSON 6902 operations selected by kind and/or name. Anything else in a kustomization is refused, so
 * the renderer cannot silently fall behind the tree. tests/deploy-schemas.test.ts compares it with
 * `kubectl kustomize` where kubectl is installed.
 */

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ target?: { kind?: string; name?: string }; patch: string }>;
}

const SUPPORTED = new Set(["apiVersion", "kind", "namespace", "resources", "labels", "images", "patches"]);
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"]);

export async function renderKustomization(dir: string): Promise<Manifest[]> {
  const k = parse(await readFile(path.join(dir, "kustomization.yaml"), "utf8")) as Kustomization;
  const unknown = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unknown.length > 0) throw new Error(`${dir}: kustomization fields not supported here: ${unknown.join(", ")}`);
  let resources: Manifest[] = [];
  for (const entry of k.resources ?? []) {
    const target = path.join(dir, entry);
    if ((await stat(target)).isDirectory()) resources.push(...(await renderKustomization(target)));
    else {
      for (const doc of parseAllDocuments(await readFile(target, "utf8"))) {
        if (doc.errors.length > 0) throw new Error(`${target}: ${doc.errors[0]?.message}`);
        const value = doc.toJS() as Manifest | null;
        if (value) resources.push(value);
      }
    }
  }
  for (const p of k.patches ?? []) {
    const ops = parse(p.patch) as JsonPatchOp[];
    const matches = resources.filter(
      (r) =>
        (p.target?.kind === undefined || r.kind === p.target.kind) &&
        (p.target?.name === undefined || r.metadata.name === p.target.name),
    );
    if (matches.length === 0) throw new Error(`${dir}: patch target ${JSON.stringify(p.target)} matches nothing`);
    resources = resources.map((r) => (matches.includes(r) ? applyJsonPatch(r, ops) : r));
  }
  if (k.namespace !== undefined) {
    for (const r of resources) if (!CLUSTER_SCOPED.has(r.kind)) r.metadata.namespace = k.namespace;
  }
  for (const label of k.labels ?? []) {
    for (const r of resources) {
      r.metadata.labels = { ...r.metadata.labels, ...label.pairs };
      if (label.includeSelectors) throw new Error(`${dir}: labels with includeSelectors are not supported here`);
    }
  }
  for (const image of k.images ?? []) for (const r of resources) setImages(r, image);
  return resources;
}

type JsonPatchOp = { op: "add" | "replace"; path: string; value: unknown } | { op: "remove"; path: string };

function applyJsonPatch<T>(document: T, ops: readonly JsonPatchOp[]): T {
  const copy = structuredClone(document) as unknown;
  for (const op of ops) {
    const keys = op.path
      .split("/")
      .slice(1)
      .map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = keys.pop();
    if (last === undefined) throw new Error(`bad patch path ${op.path}`);
    let parent = copy as Record<string, unknown> | unknown[];
    for (const key of keys) {
      const next = (parent as Record<string, unknown>)[key];
      if (next === null || typeof next !== "object") throw new Error(`patch path ${op.path}: ${key} does not exist`);
      parent = next as Record<string, unknown> | unknown[];
    }
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new Error(`bad index in ${op.path}`);
      if (op.op === "add") parent.splice(index, 0, op.value);
      else if (op.op === "replace") {
        if (index >= parent.length) throw new Error(`patch path ${op.path} does not exist`);
        parent[index] = op.value;
      } else parent.splice(index, 1);
    } else {
      if (op.op !== "add" && !(last in parent)) throw new Error(`patch path ${op.path} does not exist`);
      if (op.op === "remove") delete parent[last];
      else parent[last] = op.value;
    }
  }
  return copy as T;
}

function setImages(resource: Manifest, image: { name: string; newName?: string; newTag?: string }): void {
  const spec = resource["spec"] as {
    template?: { spec?: PodSpec };
    jobTemplate?: { spec?: { template?: { spec?: PodSpec } } };
  };
  const pod = spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
  for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
    const [, name = "", tag] = /^([^:@]+(?::\d+\/[^:@]+)?)(?::([^@]+))?/.exec(container.image) ?? [];
    if (name !== image.name) continue;
    container.image = `${image.newName ?? name}${image.newTag !== undefined ? `:${image.newTag}` : tag ? `:${tag}` : ""}`;
  }
}

interface PodSpec {
  containers?: Array<{ image: string }>;
  initContainers?: Array<{ image: string }>;
}
