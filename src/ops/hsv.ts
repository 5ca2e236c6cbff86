import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from './gradient';

const EPS = 1e-8;

function channels(x: tf.Tensor, fn: string): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (x.rank < 1 || x.shape[x.rank - 1] !== 3) {
    throw new Error(`${fn}: expected 3 channels on the last axis, got shape [${x.shape}]`);
  }
  const [a, b, c] = tf.split(x, 3, -1);
  return [a!, b!, c!];
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
  return tf.tidy(() => {
    const [r, g, b] = channels(rgb, 'rgbToHsv');
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
    return tf.concat([h, s, v], -1) as T;
  });
}

/** HSV (hue in radians) -> RGB as kornia 0.8 `hsv_to_rgb`, channel last. */
export function hsvToRgb<T extends tf.Tensor>(hsv: T): T {
  return tf.tidy(() => {
    const [h0, s, v] = channels(hsv, 'hsvToRgb');
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
    return tf.concat([red, green, blue], -1) as T;
  });
}
