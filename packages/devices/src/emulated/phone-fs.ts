import { mkdirSync } from "node:fs";
import path from "node:path";

/**
 * The emulated phone's filesystem: a directory on the host that stands for `/`. Every phone path is normalized
 * as an absolute POSIX path before it is joined to the root, so `..` can never leave the root.
 */
export class PhoneFs {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  /** The host path of a phone path, relative paths taken from `cwd`. */
  hostPath(phonePath: string, cwd = "/"): string {
    const absolute = path.posix.resolve(cwd, phonePath);
    return path.join(this.root, ...absolute.split("/").filter((part) => part !== ""));
  }

  /** The phone path of a host path inside the root. */
  phonePath(hostPath: string): string {
    const relative = path.relative(this.root, hostPath);
    return `/${relative.split(path.sep).join("/")}`;
  }
}
