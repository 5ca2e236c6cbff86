import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  /** Default 0.9 and 0.999, eps 1e-8 (PyTorch defaults, as the reference). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (multiplies the learning rate). Reference train.py default 1e-2. */
  weightDecay?: number;
}

/** The optimizer state as plain arrays (for checkpoints). */
export interface AdamWState {
  /** Completed update steps (the bias-correction counter). */
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

/**
 * AdamW (Loshchilov & Hutter; PyTorch `torch.optim.AdamW` semantics): p ← p − lr·wd·p, then the bias-corrected Adam
 * step p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). tfjs only ships Adam with L2 (coupled) decay, and its state is not
 * easy to save, hence this one. The learning rate is passed per step so any schedule can drive it.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private t = 0;
  private m: tf.Variable[];
  private v: tf.Variable[];

  constructor(
    readonly variables: tf.Variable[],
    options: AdamWOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
    // tidy frees the zero tensors; the variables survive it.
    this.m = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
    this.v = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
  }

  /** Completed steps. */
  get iterations(): number {
    return this.t;
  }

  /** One update with gradients aligned with `variables` (a null gradient leaves that variable's moments as they are). */
  step(grads: (tf.Tensor | null)[], lr: number): void {
    if (grads.length !== this.variables.length) {
      throw new Error(`AdamW.step: got ${grads.length} gradients for ${this.variables.length} variables`);
    }
    this.t += 1;
    const bc1 = 1 - Math.pow(this.beta1, this.t);
    const bc2 = Math.sqrt(1 - Math.pow(this.beta2, this.t));
    grads.forEach((g, i) => {
      if (!g) return;
      const p = this.variables[i]!;
      const m = this.m[i]!;
      const v = this.v[i]!;
      tf.tidy(() => {
        const m1 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v1 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const denom = tf.add(tf.div(tf.sqrt(v1), bc2), this.epsilon);
        const decayed = tf.mul(p, 1 - lr * this.weightDecay);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), lr / bc1)));
        m.assign(m1);
        v.assign(v1);
      });
    });
  }

  /**
   * Whether the variables and both moments hold only finite values: x·0 is NaN for NaN and ±Inf, so one summed
   * scalar answers for all of them.
   */
  allFinite(): boolean {
    const all = [...this.variables, ...this.m, ...this.v];
    const probe = tf.tidy(() => tf.addN(all.map((x) => tf.sum(tf.mul(x, 0)))));
    const value = probe.dataSync()[0]!;
    probe.dispose();
    return Number.isFinite(value);
  }

  getState(): AdamWState {
    return {
      t: this.t,
      m: this.m.map((x) => Float32Array.from(x.dataSync() as Float32Array)),
      v: this.v.map((x) => Float32Array.from(x.dataSync() as Float32Array)),
    };
  }

  /** Restore a saved state; throws if the number or sizes of the moment arrays do not match the variables. */
  setState(state: AdamWState): void {
    if (state.m.length !== this.variables.length || state.v.length !== this.variables.length) {
      throw new Error(
        `AdamW.setState: state has ${state.m.length} moments, the model has ${this.variables.length} variables`,
      );
    }
    this.variables.forEach((x, i) => {
      if (state.m[i]!.length !== x.size || state.v[i]!.length !== x.size) {
        throw new Error(
          `AdamW.setState: moment ${i} has ${state.m[i]!.length} values, variable '${x.name}' has ${x.size}`,
        );
      }
      tf.tidy(() => {
        this.m[i]!.assign(tf.tensor(state.m[i]!, x.shape, 'float32'));
        this.v[i]!.assign(tf.tensor(state.v[i]!, x.shape, 'float32'));
      });
    });
    this.t = state.t;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
