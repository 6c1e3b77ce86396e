// Uploading a teacher, a TF.js model or shard, or a dataset archive from the browser: the file's sha256 is computed
// here (Web Crypto) and sent with it, so the API refuses bytes that changed on the way; the stored sha256 is shown
// with where a training config uses it. Runner binaries (admin only) go in with the CLI.
import { sha256Hex, uploadArtifact } from "./api.js";
import { bytes, h, replace } from "./dom.js";
import { showProblem } from "./editor.js";
import { submitButton } from "./session.js";

/** Upload kinds offered here: [kind, what it is, how a training config names it]. */
const KINDS = [
  ["teacher-weights", "Teacher weights (RRDBNet safetensors)", "teacher: { kind: rrdbnet, weights: <sha256> }"],
  ["dataset", "Dataset (tar or tar.gz of PNG/JPEG images)", 'data: { train: "artifact:<sha256>", ... }'],
  ["tfjs-shard", "TF.js weight shard", "a path of a model.json's weightsManifest"],
  ["tfjs-model", "TF.js model.json (its shards uploaded first)", "teacher: { kind: tfjs-layers, artifact: <sha256> }"],
];

/** The upload form, its button disabled with the reason for a key without the submit scope. */
export function uploadForm() {
  const kind = h(
    "select",
    { name: "kind" },
    KINDS.map(([value, label]) => h("option", { value }, label)),
  );
  const file = h("input", { type: "file", name: "file" });
  const outcome = h("div", { class: "outcome", id: "upload-outcome", "aria-live": "polite" });
  const { element: submit, button } = submitButton("Upload", "submit");
  const form = h(
    "form",
    { class: "upload-form" },
    h("label", {}, "Kind ", kind),
    h("label", {}, "File ", file),
    h("div", { class: "form-actions" }, submit),
    outcome,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      replace(outcome, h("p", { class: "error", role: "alert" }, "Choose a file to upload first."));
      return;
    }
    const chosenKind = kind.value;
    button.disabled = true;
    const send = async () => {
      replace(outcome, h("p", { class: "muted" }, `Computing the sha256 of ${chosen.name} (${bytes(chosen.size)})…`));
      const sha = await sha256Hex(chosen);
      replace(outcome, h("p", { class: "muted" }, `Uploading ${chosen.name}…`));
      const stored = await uploadArtifact(chosenKind, chosen, sha);
      const use = KINDS.find(([value]) => value === chosenKind)?.[2] ?? "<sha256>";
      replace(
        outcome,
        h(
          "p",
          { class: "ok" },
          `${chosen.name}: ${stored.created ? "stored" : "already stored"} as `,
          h("code", { class: "mono uploaded-sha256" }, stored.sha256),
        ),
        h("p", { class: "muted small" }, `In a training config: ${use.replace("<sha256>", stored.sha256)}`),
      );
    };
    void send()
      .catch((e) => showProblem(outcome, e))
      .finally(() => {
        button.disabled = false;
      });
  });
  return form;
}
