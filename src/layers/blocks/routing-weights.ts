import type * as tfl from '@tensorflow/tfjs-layers';
import type { ReferenceWeight } from './common';

/** Routing-layer weights that are PyTorch nn.Linear weights ([out, in] in a state_dict, [in, out] here). */
const TORCH_LINEAR = /(^|\.)(k_proj|v_proj)\.weight$/;

/**
 * The reference weights of a MixtureOfExperts / MixtureOfAttention: its weights are named like the reference's
 * state_dict keys relative to the module (e.g. 'experts.layers.0.weight', 'q_proj.moe.w_gate'); tfjs-layers adds
 * name scopes in front, which are dropped here.
 */
export function routingReferenceWeights(layer: tfl.layers.Layer): ReferenceWeight[] {
  return layer.weights.map((variable) => {
    const key = variable.originalName.split('/').pop()!;
    return { key, variable, layout: TORCH_LINEAR.test(key) ? 'linear' : 'same' };
  });
}
