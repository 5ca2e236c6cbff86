import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from './gradient';

const EPS = 1e-8;

function channels(x: tf.Tensor, fn: string): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (x.rank < 1 || x.shape[x.rank - 1] !== 3) {
    throw new Error(`${fn}: expected 3 channels on the last axis, got shape [${x.shape}]`);
  }
  return splitChannels(x) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * The channels of a channel-last tensor as separate planes [..., 1]. On wasm, slicing or concatenating along the
 * last axis of a full-resolution image runs ~15x slower than a transpose to channel-first plus contiguous slices.
 */
export function splitChannels(x: tf.Tensor): tf.Tensor[] {
  const c = x.shape[x.rank - 1]!;
  const planeShape = [...x.shape.slice(0, -1), 1];
  const planes = tf.transpose(tf.reshape(x, [-1, c]));
  const n = planes.shape[1]!;
  // Contiguous row slices (tf.split's SplitV kernel is ~50x slower here on wasm).
  return Array.from({ length: c }, (_, i) => tf.reshape(tf.slice(planes, [i, 0], [1, n]), planeShape));
}

/** Inverse of splitChannels: planes [..., 1] -> [..., C]. */
export function mergeChannels(planes: tf.Tensor[]): tf.Tensor {
  const shape = [...planes[0]!.shape.slice(0, -1), planes.length];
  return tf.reshape(
    tf.transpose(
      tf.concat(
        planes.map((p) => tf.reshape(p, [1, -1])),
        0,
      ),
    ),
    shape,
  );
}

/** 1/0 float mask of a boolean condition; constant for autodiff. */
function maskOf(cond: tf.Tensor): tf.Tensor {
  return tf.cast(cond, 'float32');
}

/**
 * RGB -> HSV as kornia 0.8 `rgb_to_hsv` (channel last here): V = max, S = (max - min) / (max + 1e-8),
 * hue in radians [0, 2π) from the first maximal channel (R before G before B), 0 where max = min.
 */
export function rgbToHsv<T extends tf.Tensor>(rgb: T): T {
  return tf.tidy(() => mergeChannels(rgbToHsvPlanes(channels(rgb, 'rgbToHsv'))) as T);
}

/** rgbToHsv on separate R, G, B planes (any equal shapes) -> [H, S, V] planes. */
export function rgbToHsvPlanes([r, g, b]: tf.Tensor[]): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const [rc, gc, bc] = [stopGradient(r), stopGradient(g), stopGradient(b)];
    // First maximal / minimal channel, like torch's max/min over a dim: the gradient goes to that channel only.
    const isR = maskOf(tf.logicalAnd(tf.greaterEqual(rc, gc), tf.greaterEqual(rc, bc)));
    const isG = tf.mul(tf.sub(1, isR), maskOf(tf.greaterEqual(gc, bc)));
    const isB = tf.sub(tf.sub(1, isR), isG);
    const minR = maskOf(tf.logicalAnd(tf.lessEqual(rc, gc), tf.lessEqual(rc, bc)));
    const minG = tf.mul(tf.sub(1, minR), maskOf(tf.lessEqual(gc, bc)));
    const minB = tf.sub(tf.sub(1, minR), minG);
    const v = tf.addN([tf.mul(isR, r), tf.mul(isG, g), tf.mul(isB, b)]);
    const mn = tf.addN([tf.mul(minR, r), tf.mul(minG, g), tf.mul(minB, b)]);
    const delta = tf.sub(v, mn);
    const s = tf.div(delta, tf.add(v, EPS));
    const zero = maskOf(tf.equal(stopGradient(delta), 0));
    const d = tf.add(tf.mul(delta, tf.sub(1, zero)), zero);
    const dr = tf.sub(v, r);
    const dg = tf.sub(v, g);
    const db = tf.sub(v, b);
    const h1 = tf.sub(db, dg);
    const h2 = tf.add(tf.sub(dr, db), tf.mul(d, 2));
    const h3 = tf.add(tf.sub(dg, dr), tf.mul(d, 4));
    const hRaw = tf.div(tf.addN([tf.mul(isR, h1), tf.mul(isG, h2), tf.mul(isB, h3)]), d);
    const h = tf.mul(tf.mod(tf.div(hRaw, 6), 1), 2 * Math.PI);
    return [h, s, v] as [tf.Tensor, tf.Tensor, tf.Tensor];
  });
}

/** HSV (hue in radians) -> RGB as kornia 0.8 `hsv_to_rgb`, channel last. */
export function hsvToRgb<T extends tf.Tensor>(hsv: T): T {
  return tf.tidy(() => mergeChannels(hsvToRgbPlanes(channels(hsv, 'hsvToRgb'))) as T);
}

/** hsvToRgb on separate H, S, V planes -> [R, G, B] planes. */
export function hsvToRgbPlanes([h0, s, v]: tf.Tensor[]): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const h = tf.div(h0, 2 * Math.PI);
    const h6 = tf.mul(h, 6);
    const hi = tf.mod(tf.floor(h6), 6);
    const f = tf.sub(tf.mod(h6, 6), hi);
    const p = tf.mul(v, tf.sub(1, s));
    const q = tf.mul(v, tf.sub(1, tf.mul(f, s)));
    const t = tf.mul(v, tf.sub(1, tf.mul(tf.sub(1, f), s)));
    const hc = stopGradient(hi);
    const m = [0, 1, 2, 3, 4, 5].map((k) => maskOf(tf.equal(hc, k)));
    // Sector table (hi = 0..5): R = v q p p t v, G = t v v q p p, B = p p t v v q.
    const pick = (vals: tf.Tensor[]) => tf.addN(vals.map((val, k) => tf.mul(m[k]!, val)));
    const red = pick([v, q, p, p, t, v]);
    const green = pick([t, v, v, q, p, p]);
    const blue = pick([p, p, t, v, v, q]);
    return [red, green, blue] as [tf.Tensor, tf.Tensor, tf.Tensor];
  });
}
