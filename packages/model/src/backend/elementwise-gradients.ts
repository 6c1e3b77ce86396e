import type { ClipByValueAttrs, GradConfig, LeakyReluAttrs, Tensor } from "@tensorflow/tfjs-core";
import type { Tf } from "../tf.ts";
import { savedAt, singleOutputGrad, sumToShape } from "./grad-utils.ts";
import type { NamedGradientMap } from "./grad-utils.ts";

type BinaryRule = (dy: Tensor, a: Tensor, b: Tensor, y: Tensor | undefined) => Tensor;

/**
 * Gradients of the elementwise kernels a GAN step uses (arithmetic, activations, GAN and pixel losses).
 * The Node build of tfjs-core registers no gradients at all (only `@tensorflow/tfjs` and tfjs-node bundle them),
 * so without these `tf.variableGrads` fails at the loss's first op.
 */
export function elementwiseGradients(tf: Tf): GradConfig[] {
  // Each side is computed on its own: tfjs runs every input's gradient in its own tidy, so sharing work between
  // the two would hand the second a tensor the first tidy already disposed.
  const binary = (kernelName: string, da: BinaryRule, db: BinaryRule, saveOutput = false): GradConfig =>
    singleOutputGrad(
      kernelName,
      { inputsToSave: ["a", "b"], ...(saveOutput ? { outputsToSave: [true] } : {}) },
      (dy, saved) => {
        const a = savedAt(saved, 0, kernelName);
        const b = savedAt(saved, 1, kernelName);
        const y = saveOutput ? savedAt(saved, 2, kernelName) : undefined;
        return { a: () => sumToShape(tf, da(dy, a, b, y), a.shape), b: () => sumToShape(tf, db(dy, a, b, y), b.shape) };
      },
    );
  const unary = (kernelName: string, rule: (dy: Tensor, x: Tensor) => Tensor): GradConfig =>
    singleOutputGrad(kernelName, { inputsToSave: ["x"] }, (dy, saved) => ({
      x: () => rule(dy, savedAt(saved, 0, kernelName)),
    }));
  // Rules that read the op's output (y) rather than its input avoid recomputing the activation.
  const fromOutput = (kernelName: string, rule: (dy: Tensor, y: Tensor) => Tensor): GradConfig =>
    singleOutputGrad(kernelName, { outputsToSave: [true] }, (dy, saved) => ({
      x: () => rule(dy, savedAt(saved, 0, kernelName)),
    }));
  // Piecewise-constant ops and comparisons: zero gradient, but the tape still asks for one whenever their input
  // depends on a variable (e.g. the `greater(x, 0)` inside a where()).
  const zero = (kernelName: string, inputs: readonly string[]): GradConfig => ({
    kernelName,
    inputsToSave: [...inputs],
    gradFunc: (_dy, saved) => {
      const grads: NamedGradientMap = {};
      inputs.forEach((name, i) => {
        grads[name] = () => tf.zeros(savedAt(saved, i, kernelName).shape);
      });
      return grads;
    },
  });

  return [
    binary(
      "Add",
      (dy) => dy,
      (dy) => dy,
    ),
    binary(
      "Sub",
      (dy) => dy,
      (dy) => tf.neg(dy),
    ),
    binary(
      "Multiply",
      (dy, _a, b) => tf.mul(dy, b),
      (dy, a) => tf.mul(dy, a),
    ),
    binary(
      "RealDiv",
      (dy, _a, b) => tf.div(dy, b),
      (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
    ),
    // Ties send the gradient to a (as tfjs does), never to both.
    binary(
      "Maximum",
      (dy, a, b) => tf.mul(dy, tf.cast(tf.greaterEqual(a, b), "float32")),
      (dy, a, b) => tf.mul(dy, tf.cast(tf.less(a, b), "float32")),
    ),
    binary(
      "Minimum",
      (dy, a, b) => tf.mul(dy, tf.cast(tf.lessEqual(a, b), "float32")),
      (dy, a, b) => tf.mul(dy, tf.cast(tf.greater(a, b), "float32")),
    ),
    binary(
      "SquaredDifference",
      (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(a, b), 2)),
      (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(b, a), 2)),
    ),
    binary(
      "Pow",
      (dy, a, b) => tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1)))),
      // d/db a^b = a^b ln a, taken as 0 where a <= 0 (as tfjs does) instead of NaN.
      (dy, a, _b, y) => {
        const logBase = tf.where(tf.greater(a, 0), tf.log(tf.maximum(a, 1e-30)), tf.zerosLike(a));
        return tf.mul(dy, tf.mul(y ?? tf.zerosLike(a), logBase));
      },
      true,
    ),
    {
      kernelName: "AddN",
      saveAllInputs: true,
      gradFunc: (dy, saved) => {
        const grads: NamedGradientMap = {};
        saved.forEach((_, i) => {
          grads[i] = () => tf.clone(dy as Tensor);
        });
        return grads;
      },
    },
    unary("Neg", (dy) => tf.neg(dy)),
    // sign(x): 0 at x = 0, as PyTorch does (tfjs-core would give -1 there).
    unary("Abs", (dy, x) => tf.mul(dy, tf.sign(x))),
    unary("Square", (dy, x) => tf.mul(dy, tf.mul(x, 2))),
    unary("Sqrt", (dy, x) => tf.div(dy, tf.mul(tf.sqrt(x), 2))),
    unary("Log", (dy, x) => tf.div(dy, x)),
    unary("Log1p", (dy, x) => tf.div(dy, tf.add(x, 1))),
    unary("Reciprocal", (dy, x) => tf.neg(tf.div(dy, tf.square(x)))),
    unary("Softplus", (dy, x) => tf.mul(dy, tf.sigmoid(x))),
    unary("Relu", (dy, x) => tf.mul(dy, tf.step(x))),
    unary("Cast", (dy) => tf.clone(dy)),
    unary("Identity", (dy) => tf.clone(dy)),
    fromOutput("Exp", (dy, y) => tf.mul(dy, y)),
    fromOutput("Sigmoid", (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
    fromOutput("Tanh", (dy, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
    singleOutputGrad<LeakyReluAttrs>("LeakyRelu", { inputsToSave: ["x"] }, (dy, saved, { alpha }) => ({
      x: () => leakyReluGrad(tf, dy, savedAt(saved, 0, "LeakyRelu"), alpha),
    })),
    singleOutputGrad<ClipByValueAttrs>("ClipByValue", { inputsToSave: ["x"] }, (dy, saved, attrs) => ({
      x: () => {
        const x = savedAt(saved, 0, "ClipByValue");
        const inside = tf.logicalAnd(tf.greaterEqual(x, attrs.clipValueMin), tf.lessEqual(x, attrs.clipValueMax));
        return tf.where(inside, dy, tf.zerosLike(dy));
      },
    })),
    singleOutputGrad("Select", { inputsToSave: ["condition"] }, (dy, saved) => {
      const condition = savedAt(saved, 0, "Select");
      return {
        condition: () => tf.zeros(condition.shape),
        t: () => tf.mul(dy, tf.cast(condition, "float32")),
        e: () => tf.mul(dy, tf.cast(tf.logicalNot(condition), "float32")),
      };
    }),
    ...["Sign", "Step", "Floor", "Ceil", "Round", "OnesLike", "ZerosLike", "LogicalNot"].map((k) => zero(k, ["x"])),
    ...["Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual", "LogicalAnd", "LogicalOr"].map((k) =>
      zero(k, ["a", "b"]),
    ),
  ];
}

/**
 * dx = dy where x > 0, alpha * dy elsewhere: step(x, alpha) is exactly that slope, so this is two elementwise
 * kernels instead of tfjs's where(greater(x, 0), dy, dy * alpha), which makes a boolean tensor and a select.
 */
export function leakyReluGrad(tf: Tf, dy: Tensor, x: Tensor, alpha: number): Tensor {
  return tf.mul(dy, tf.step(x, alpha));
}
