import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  /** Step size; a schedule may change `optimizer.learningRate` between steps. Default 1e-3 (PyTorch's). */
  learningRate?: number;
  /** Default 0.9 and 0.999, eps 1e-8 (PyTorch defaults, as the reference). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (multiplies the learning rate). Reference train.py default 1e-2. */
  weightDecay?: number;
}

/** The optimizer state as plain arrays aligned with a list of variables (for checkpoints). */
export interface AdamWState {
  /** Completed update steps (the bias-correction counter). */
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** tfjs-core's NamedTensor (not re-exported from its main entry). */
interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

/**
 * AdamW (Loshchilov & Hutter; PyTorch `torch.optim.AdamW` semantics): p ← p − lr·wd·p, then the bias-corrected Adam
 * step p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). tfjs only ships Adam with L2 (coupled) decay, hence this one.
 *
 * A `tf.Optimizer`: it works with `minimize`, `MASRNet.trainStep`, `model.compile({ optimizer })` + `fit`, and
 * `applyGradients` takes the `NamedTensorMap` that `batchGradients` returns. A variable without a gradient in a step
 * keeps its moments (and is not decayed); the step counter counts updates, not variables. The moments are kept per
 * variable name; `getWeights`/`setWeights` (tfjs's optimizer-state format) or `getState`/`setState` (plain arrays
 * in a given variable order, as the trainer's checkpoints store them) save and restore them.
 */
export class AdamW extends tf.Optimizer {
  /** Registered with tf.serialization under this name (prefixed: tfjs-layers has its own 'Adam'). */
  static get className(): string {
    return 'MasrAdamW';
  }

  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private moments = new Map<string, Moments>();

  constructor(options: AdamWOptions = {}) {
    super();
    this.learningRate = options.learningRate ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
    for (const [name, v] of Object.entries({
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    })) {
      if (!Number.isFinite(v) || v < 0) throw new Error(`AdamW: ${name} must be a finite number >= 0, got ${v}`);
    }
    if (this.beta1 >= 1 || this.beta2 >= 1) throw new Error(`AdamW: beta1 and beta2 must be < 1`);
  }

  /** One update of the variables named in `variableGradients` (tfjs registered variables), at `learningRate`. */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const pairs: [string, tf.Tensor | null | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    for (const [name] of pairs) {
      if (!registered[name]) throw new Error(`AdamW.applyGradients: no variable named '${name}' is registered`);
    }
    // Bias corrections and the decay factor in float64 on the host, as before: the numbers must not change.
    const t = this.iterations + 1;
    const lr = this.learningRate;
    const bc1 = 1 - Math.pow(this.beta1, t);
    const bc2 = Math.sqrt(1 - Math.pow(this.beta2, t));
    for (const [name, g] of pairs) {
      if (g == null) continue;
      const p = registered[name]!;
      const { m, v } = this.momentsOf(name, p);
      tf.tidy(() => {
        const m1 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v1 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const denom = tf.add(tf.div(tf.sqrt(v1), bc2), this.epsilon);
        const decayed = tf.mul(p, 1 - lr * this.weightDecay);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), lr / bc1)));
        m.assign(m1);
        v.assign(v1);
      });
    }
    this.incrementIterations();
  }

  /** The moments of a variable, zero until its first gradient. */
  private momentsOf(name: string, like: tf.Tensor): Moments {
    let entry = this.moments.get(name);
    if (!entry) {
      // tidy frees the zero tensors; the variables survive it.
      entry = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(like), false), v: tf.variable(tf.zerosLike(like), false) }));
      this.moments.set(name, entry);
    }
    return entry;
  }

  /**
   * Whether the given variables and all moments hold only finite values: x·0 is NaN for NaN and ±Inf, so one summed
   * scalar answers for all of them.
   */
  allFinite(variables: tf.Variable[]): boolean {
    const all = [...variables, ...[...this.moments.values()].flatMap((e) => [e.m, e.v])];
    if (all.length === 0) return true;
    const probe = tf.tidy(() => tf.addN(all.map((x) => tf.sum(tf.mul(x, 0)))));
    const value = probe.dataSync()[0]!;
    probe.dispose();
    return Number.isFinite(value);
  }

  /** The state aligned with `variables` (moments of a variable not updated yet are zeros). */
  getState(variables: tf.Variable[]): AdamWState {
    const read = (x: tf.Variable | undefined, like: tf.Variable) =>
      x ? Float32Array.from(x.dataSync() as Float32Array) : new Float32Array(like.size);
    return {
      t: this.iterations,
      m: variables.map((x) => read(this.moments.get(x.name)?.m, x)),
      v: variables.map((x) => read(this.moments.get(x.name)?.v, x)),
    };
  }

  /** Restore a state saved for `variables`; throws if the number or sizes of the moment arrays do not match. */
  setState(state: AdamWState, variables: tf.Variable[]): void {
    if (state.m.length !== variables.length || state.v.length !== variables.length) {
      throw new Error(
        `AdamW.setState: state has ${state.m.length} moments, the model has ${variables.length} variables`,
      );
    }
    variables.forEach((x, i) => {
      if (state.m[i]!.length !== x.size || state.v[i]!.length !== x.size) {
        throw new Error(
          `AdamW.setState: moment ${i} has ${state.m[i]!.length} values, variable '${x.name}' has ${x.size}`,
        );
      }
    });
    variables.forEach((x, i) => {
      const { m, v } = this.momentsOf(x.name, x);
      tf.tidy(() => {
        m.assign(tf.tensor(state.m[i]!, x.shape, 'float32'));
        v.assign(tf.tensor(state.v[i]!, x.shape, 'float32'));
      });
    });
    this.iterations_ = state.t;
  }

  /** tfjs's optimizer-state format: the step counter ('iter'), then `NAME/m` and `NAME/v` per variable. */
  override async getWeights(): Promise<NamedTensor[]> {
    const moments = [...this.moments].flatMap(([name, e]) => [
      { name: `${name}/m`, tensor: e.m },
      { name: `${name}/v`, tensor: e.v },
    ]);
    return [await this.saveIterations(), ...moments];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    for (const { name, tensor } of rest) {
      const match = /^(.*)\/([mv])$/.exec(name);
      if (!match)
        throw new Error(`AdamW.setWeights: '${name}' is not a moment (expected 'VARIABLE/m' or 'VARIABLE/v')`);
      const entry = this.momentsOf(match[1]!, tensor);
      const target = match[2] === 'm' ? entry.m : entry.v;
      if (!tf.util.arraysEqual(target.shape, tensor.shape)) {
        throw new Error(`AdamW.setWeights: '${name}' has shape [${tensor.shape}], the moment has [${target.shape}]`);
      }
      tf.tidy(() => target.assign(tf.cast(tensor, 'float32')));
    }
  }

  override dispose(): void {
    tf.dispose([...this.moments.values()].flatMap((e) => [e.m, e.v]));
    this.moments.clear();
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config as AdamWOptions);
  }
}

tf.serialization.registerClass(AdamW);
