import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether tfjs's fused kernels (`_FusedMatMul`, `FusedConv2D`) take `b` as their bias. wasm's check the rank of the
 * bias's *storage*, which keeps the shape the data was created with: a reshaped [1, n] slice is refused. Such biases
 * take the unfused path (expertSlice makes rank-1 storage).
 */
export function fusableBias(b: tf.Tensor1D): boolean {
  if (tf.getBackend() !== 'wasm') return true;
  const stored = (
    tf.backend() as unknown as { dataIdMap: { get(id: tf.DataId): { shape?: number[] } | undefined } }
  ).dataIdMap.get(b.dataId);
  return stored?.shape?.length === 1;
}
