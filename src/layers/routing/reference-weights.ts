import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { entryToFloat32, type SafetensorsFile } from '../../io/safetensors';
import type { ReferenceWeight } from '../basic/common';

/**
 * Local weight names that are PyTorch `nn.Linear` weights, stored [out, in] in a state_dict and [in, out] here.
 * Everything else in the routing layers (w_gate [d, E], stacked experts [E, in, out], pos_bias [P, k]) is stored
 * the same way in both.
 */
const TORCH_LINEAR_WEIGHT = /(^|\.)(k_proj|v_proj)\.weight$/;

/**
 * The one key mapping of the routing layers (MixtureOfExperts, MixtureOfAttention): each weight is named like its
 * reference state_dict key relative to the module ('experts.layers.0.weight', 'q_proj.moe.w_gate'); tfjs-layers adds
 * name scopes in front, which are dropped. Keys get `prefix.` in front (none for ''). Used by the model's checkpoint
 * import/export and by `loadReferenceWeights`.
 */
export function routingReferenceWeights(layer: tfl.layers.Layer, prefix = ''): ReferenceWeight[] {
  return layer.weights.map((variable) => {
    const local = variable.originalName.split('/').pop()!;
    return {
      key: prefix ? `${prefix}.${local}` : local,
      variable,
      layout: TORCH_LINEAR_WEIGHT.test(local) ? 'linear' : 'same',
    };
  });
}

export interface ReferenceLoadResult {
  /** State-dict keys that were loaded. */
  loaded: string[];
  /** Keys under `prefix.` that no weight of the layer asked for (e.g. w_atten_gate when referenceCompat is off). */
  unused: string[];
}

/**
 * Loads reference (PyTorch state_dict) tensors into a built MixtureOfExperts / MixtureOfAttention: the weight named
 * `w` is read from key `${prefix}.${w}` (e.g. prefix 'moe_1' -> 'moe_1.experts.layers.0.weight'; prefix '' -> 'w').
 * PyTorch Linear weights (k_proj / v_proj) are transposed [out, in] -> [in, out]. Throws naming every missing key
 * or mismatched shape; writes nothing unless all weights are present and match.
 */
export function loadReferenceWeights(
  layer: tfl.layers.Layer,
  prefix: string,
  tensors: Map<string, tf.Tensor>,
): ReferenceLoadResult {
  if (!layer.built)
    throw new Error(`loadReferenceWeights: layer '${layer.name}' is not built; call it once (or build it) first`);
  const weights = routingReferenceWeights(layer, prefix);
  const problems: string[] = [];
  const writes: [tfl.LayerVariable, tf.Tensor][] = [];
  for (const { key, variable: v, layout } of weights) {
    const src = tensors.get(key);
    if (!src) {
      problems.push(`missing '${key}' [${v.shape}]`);
      continue;
    }
    const value = layout === 'linear' && src.rank === 2 ? tf.transpose(src) : tf.clone(src);
    if (!tf.util.arraysEqual(value.shape, v.shape as number[])) {
      problems.push(
        `'${key}' has shape [${src.shape}], expected [${v.shape}]${layout === 'linear' ? ' after [out,in] -> [in,out]' : ''}`,
      );
      value.dispose();
      continue;
    }
    writes.push([v, value]);
  }
  if (problems.length > 0) {
    tf.dispose(writes.map(([, t]) => t));
    throw new Error(`loadReferenceWeights(${layer.name}, '${prefix}'): ${problems.join('; ')}`);
  }
  for (const [v, t] of writes) {
    v.write(t);
    t.dispose();
  }
  const loaded = weights.map((w) => w.key);
  const unused = [...tensors.keys()].filter((k) => (prefix ? k.startsWith(`${prefix}.`) : true) && !loaded.includes(k));
  return { loaded, unused };
}

/**
 * The float32 tensors of a safetensors state_dict whose keys start with `prefix.` (all keys when prefix is ''), as
 * the Map `loadReferenceWeights` reads. The caller owns (disposes) the tensors.
 */
export function referenceTensors(file: SafetensorsFile, prefix = ''): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, entry] of file.tensors) {
    if (prefix && !name.startsWith(`${prefix}.`)) continue;
    out.set(name, tf.tensor(entryToFloat32(entry), entry.shape, 'float32'));
  }
  return out;
}
