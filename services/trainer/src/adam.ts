import type { Tensor, Tf, Variable } from "@mfnas/model";

export interface AdamOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/**
 * Adam over a fixed, named list of variables, with its moments and iteration counter exposed for checkpoints.
 * Written here rather than tf.train.adam because tfjs's Adam keys its moments by position in each step's gradient
 * list and hides its iteration count in a variable of its own: exact resume needs both under our control. Every
 * variable gets a gradient every step (zero where a sampled subnet did not touch it), as in PyTorch with
 * zero-filled grads, so the update sequence does not depend on which subnets were sampled in which order.
 */
export class Adam {
  iteration = 0;
  readonly #moments = new Map<string, { m: Variable; v: Variable }>();

  constructor(
    private readonly tf: Tf,
    readonly variables: ReadonlyMap<string, Variable>,
    private readonly options: AdamOptions,
  ) {
    for (const [name, variable] of variables) {
      this.#moments.set(name, {
        m: tf.variable(tf.zerosLike(variable), false),
        v: tf.variable(tf.zerosLike(variable), false),
      });
    }
  }

  /** One update with `grads` (by variable name; missing = zero) at learning rate `lr`. */
  step(grads: ReadonlyMap<string, Tensor>, lr: number): void {
    const { tf } = this;
    const { beta1, beta2, epsilon } = this.options;
    this.iteration += 1;
    const c1 = 1 - beta1 ** this.iteration;
    const c2 = 1 - beta2 ** this.iteration;
    tf.tidy(() => {
      for (const [name, variable] of this.variables) {
        const { m, v } = this.#moments.get(name) as { m: Variable; v: Variable };
        const g = grads.get(name) ?? tf.zerosLike(variable);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), epsilon));
        variable.assign(tf.sub(variable, tf.mul(update, lr)));
      }
    });
  }

  /** The moments as `[name/m, tensor]`, `[name/v, tensor]` pairs, for a checkpoint. */
  moments(): [string, Variable][] {
    return [...this.#moments].flatMap(([name, { m, v }]): [string, Variable][] => [
      [`${name}/m`, m],
      [`${name}/v`, v],
    ]);
  }

  dispose(): void {
    for (const { m, v } of this.#moments.values()) {
      m.dispose();
      v.dispose();
    }
  }
}
