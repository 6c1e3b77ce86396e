/**
 * VGG19 feature extractor for the perceptual loss (ESRGAN: L1 between VGG19 conv5_4 features, before the ReLU, of
 * the SR output and of the HR image). Parameter names are torchvision's `features.{i}.weight/bias`, so a
 * safetensors export of torchvision's `vgg19(weights=IMAGENET1K_V1).features` loads through `loadWeights`
 * (PyTorch OIHW layout; the classifier's tensors, if present, are ignored).
 */
import { MfnasError } from "@mfnas/core";
import { ParamStore } from "../nets/params.ts";
import { loadWeights } from "../nets/safetensors-weights.ts";
import type { Scalar, Tensor4D, Tf } from "../tf.ts";
import { l1Loss } from "./pixel.ts";

/** torchvision's VGG19 `features`: conv widths and "M" for the 2x2 max pools, in order. */
const VGG19_LAYOUT: readonly (number | "M")[] = [
  64,
  64,
  "M",
  128,
  128,
  "M",
  256,
  256,
  256,
  256,
  "M",
  512,
  512,
  512,
  512,
  "M",
  512,
  512,
  512,
  512,
  "M",
];
/** ImageNet normalisation torchvision's weights expect. */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

type VggModule = { index: number; kind: "conv"; cin: number; cout: number } | { index: number; kind: "relu" | "pool" };

function modules(): VggModule[] {
  const out: VggModule[] = [];
  let cin = 3;
  for (const item of VGG19_LAYOUT) {
    if (item === "M") out.push({ index: out.length, kind: "pool" });
    else {
      out.push({ index: out.length, kind: "conv", cin, cout: item });
      out.push({ index: out.length, kind: "relu" });
      cin = item;
    }
  }
  return out;
}

export interface Vgg19FeaturesOptions {
  /**
   * Index into torchvision's `features` of the last module run; the output is that module's output. Default 34
   * (conv5_4 before its ReLU, ESRGAN's choice). Lower indices make a cheaper extractor (e.g. 7: conv2_2).
   */
  upTo?: number;
  /** Seed of the random weights used until `load` is called (tests). Default 0. */
  seed?: number;
}

export class Vgg19Features {
  readonly params: ParamStore;
  readonly upTo: number;
  readonly #modules: VggModule[];

  constructor(tf: Tf, options: Vgg19FeaturesOptions = {}) {
    const all = modules();
    this.upTo = options.upTo ?? 34;
    if (!Number.isInteger(this.upTo) || this.upTo < 0 || this.upTo >= all.length) {
      throw new MfnasError("invalid_input", `upTo: must be an integer in 0..${all.length - 1}, got ${this.upTo}`, {
        path: "upTo",
      });
    }
    this.#modules = all.slice(0, this.upTo + 1);
    this.params = new ParamStore(tf, { seed: options.seed ?? 0 });
    for (const m of this.#modules) {
      if (m.kind === "conv")
        this.params.conv(`features.${m.index}`, 3, m.cin, m.cout, { kind: "kaiming-normal", scale: 1 });
    }
  }

  /** Loads torchvision weights (safetensors, PyTorch layout); tensors past `upTo` and the classifier are ignored. */
  load(tf: Tf, bytes: Uint8Array): void {
    loadWeights(tf, this.params, bytes, { layout: "pytorch", allowExtra: true });
  }

  /** Features of RGB images in [0, 1], [N, H, W, 3]. */
  forward(tf: Tf, images: Tensor4D): Tensor4D {
    return tf.tidy(() => {
      let x: Tensor4D = tf.div(tf.sub(images, tf.tensor1d(MEAN)), tf.tensor1d(STD));
      for (const m of this.#modules) {
        if (m.kind === "conv") {
          const weight = this.params.get(`features.${m.index}.weight`) as Tensor4D;
          x = tf.add(tf.conv2d(x, weight, 1, "same"), this.params.get(`features.${m.index}.bias`));
        } else if (m.kind === "relu") x = tf.relu(x);
        else x = tf.maxPool(x, 2, 2, "valid");
      }
      return x;
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** L1 between the VGG features of the SR output and of the HR image (the latter a constant). */
export function perceptualLoss(tf: Tf, vgg: Vgg19Features, sr: Tensor4D, hr: Tensor4D): Scalar {
  return l1Loss(tf, vgg.forward(tf, sr), vgg.forward(tf, hr));
}
