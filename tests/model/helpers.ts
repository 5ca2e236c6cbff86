import * as tf from '@tensorflow/tfjs-core';
import { float32Entry, writeSafetensors, type SafetensorsEntry } from '../../src/io/safetensors';
import { ROUTING_LAYER_NAMES, type MASRNet } from '../../src/models/index';

/** Stages the reference stores channel-first ([B, C, H, W]). */
const CHANNEL_FIRST = /^(enhanced|input|loss_target|mod\.param_smoother\.call\d|mod\.boundary_smoother\.call\d)$/;

function int64(values: ArrayLike<number>, shape: number[]): SafetensorsEntry {
  const data = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  return { dtype: 'I64', shape, bytes: new Uint8Array(data.buffer) };
}

/**
 * An activations file in the layout of the reference fixtures, recorded from this port (self-consistency fixture for
 * the parity tool): every stage, the routing of the seven layers (`gate.*.idx`, moe_1's `slot_expert`), aux losses
 * and the grid size.
 */
export function recordActivations(model: MASRNet, input: tf.Tensor4D): Uint8Array {
  const entries: [string, SafetensorsEntry][] = [];
  const add = (name: string, t: tf.Tensor) => {
    const ref = CHANNEL_FIRST.test(name) ? tf.transpose(t, [0, 3, 1, 2]) : t;
    entries.push([name, float32Entry(ref.dataSync() as Float32Array, ref.shape)]);
    if (ref !== t) ref.dispose();
  };
  add('input', input);
  const out = model.network.forward(input, { record: add });
  const win = model.config.patchSize * model.config.windowSize;
  entries.push(['grid_hw', int64([input.shape[1] / win, input.shape[2] / win], [2])]);
  const layers = model.network.routingLayers();
  for (const name of ROUTING_LAYER_NAMES) {
    const r = layers[name].lastRouting!;
    entries.push([`gate.${name}.idx`, int64(r.indices.dataSync(), r.indices.shape)]);
    add(`gate.${name}.gates`, r.gates);
    if (name === 'moe_1') entries.push([`gate.${name}.slot_expert`, int64(r.indices.dataSync(), r.indices.shape)]);
    add(`aux.${name}`, layers[name].lastAux!.total);
  }
  tf.dispose([out.enhanced, out.aux, ...Object.values(out.maps ?? {})]);
  return writeSafetensors(entries);
}

/** Rewrites one float tensor of a safetensors file (returns a new file). */
export function tamper(
  file: Uint8Array,
  key: string,
  edit: (values: Float32Array) => void,
  read: (f: Uint8Array) => Map<string, SafetensorsEntry>,
): Uint8Array {
  const tensors = read(file);
  const e = tensors.get(key)!;
  if (e.dtype === 'F32') {
    const v = new Float32Array(e.bytes.slice().buffer);
    edit(v);
    tensors.set(key, { ...e, bytes: new Uint8Array(v.buffer) });
  } else {
    const v = new BigInt64Array(e.bytes.slice().buffer);
    const f = Float32Array.from(v, Number);
    edit(f);
    tensors.set(key, int64(f, e.shape));
  }
  return writeSafetensors(tensors);
}
