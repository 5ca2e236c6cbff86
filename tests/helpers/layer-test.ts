// One test of the standard contract of an exported layer, as keras-hub's `run_layer_test`: serialisation (getConfig /
// fromConfig and a tf.model's JSON topology), weight counts, an exact computeOutputShape, eager calls without tensor
// leaks, and a `fit` step inside tf.model that trains every trainable weight and no other. The layer's own tests keep
// checking what it computes; this checks that it behaves as a tfjs-layers Layer.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import { maxAbsDiff, randomTensor } from './gradcheck';

export interface LayerTestCase {
  /** A fresh, unbuilt layer (called more than once). */
  make: () => tfl.layers.Layer;
  /** The input shapes, batch axis first (several for a layer taking a list). */
  inputShapes: number[][];
  /** Expected weight counts (tensors, not parameters) once built. */
  trainableWeights: number;
  nonTrainableWeights: number;
  /** Expected output shape(s), batch axis first; default: only checked against computeOutputShape. */
  outputShape?: number[] | number[][];
  /** Local names of trainable weights a fit step may leave unchanged, each for a reason the caller states. */
  unchangedByFit?: string[];
  /** Input values for the shapes; default uniform in [-1, 1], seeded. */
  inputs?: (shapes: number[][]) => tf.Tensor[];
}

type Shapes = number[][];

const localName = (w: tfl.LayerVariable) => w.originalName.split('/').pop()!;
const one = <T>(list: T[]): T | T[] => (list.length === 1 ? list[0]! : list);
const asList = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** The layer's output shapes as a list, whether it returns one shape or several. */
function shapeList(shape: tfl.Shape | tfl.Shape[]): (number | null)[][] {
  return Array.isArray(shape[0]) ? (shape as (number | null)[][]) : [shape as (number | null)[]];
}

function apply(layer: tfl.layers.Layer, xs: tf.Tensor[], training = false): tf.Tensor[] {
  return asList(layer.apply(one(xs), { training }) as tf.Tensor | tf.Tensor[]);
}

/** Builds `layer` into a tf.model over symbolic inputs with a free batch axis. */
function modelOf(layer: tfl.layers.Layer, shapes: Shapes): tfl.LayersModel {
  const inputs = shapes.map((s) => tfl.input({ batchShape: [null, ...s.slice(1)] }));
  const outputs = asList(layer.apply(one(inputs)) as tfl.SymbolicTensor | tfl.SymbolicTensor[]);
  return tfl.model({ inputs, outputs });
}

export async function runLayerTest(c: LayerTestCase): Promise<void> {
  const shapes = c.inputShapes;
  const xs = c.inputs ? c.inputs(shapes) : shapes.map((s, i) => randomTensor(s, 11 + i));
  const layer = c.make();
  const className = layer.getClassName();
  expect(className, 'className is prefixed').toMatch(/^Masr/);

  // Eager call: outputs match computeOutputShape (and the expected shapes), weights as expected.
  const outs = apply(layer, xs);
  const predicted = shapeList(layer.computeOutputShape(one(shapes)));
  expect(predicted, `${className}: computeOutputShape`).toEqual(outs.map((o) => o.shape));
  if (c.outputShape) expect(outs.map((o) => o.shape)).toEqual(shapeList(c.outputShape));
  const freeBatch = shapeList(layer.computeOutputShape(one(shapes.map((s) => [null, ...s.slice(1)]) as tfl.Shape[])));
  expect(freeBatch, `${className}: computeOutputShape with a free batch`).toEqual(
    outs.map((o) => [null, ...o.shape.slice(1)]),
  );
  expect(layer.trainableWeights.length, `${className}: trainable weights`).toBe(c.trainableWeights);
  expect(layer.nonTrainableWeights.length, `${className}: non-trainable weights`).toBe(c.nonTrainableWeights);
  const names = layer.weights.map((w) => w.originalName);
  expect(new Set(names).size, `${className}: weight names are unique`).toBe(names.length);

  // Eager calls, inference and training, leave no tensors behind once their outputs are disposed.
  for (const training of [false, true]) {
    tf.dispose(apply(layer, xs, training)); // first calls may keep state (e.g. the last routing)
    const before = tf.memory().numTensors;
    tf.dispose(apply(layer, xs, training));
    expect(tf.memory().numTensors, `${className}: tensors leaked by an eager call (training ${training})`).toBe(before);
  }

  // getConfig is plain JSON and fromConfig rebuilds the same layer: same config and, given the weights, same output.
  const config = layer.getConfig();
  expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[className] ?? [];
  expect(cls, `${className} is registered for serialisation`).toBe(layer.constructor);
  const copy = fromConfig!(cls!, JSON.parse(JSON.stringify(config))) as tfl.layers.Layer;
  expect(copy.getConfig()).toEqual(config);
  tf.dispose(apply(copy, xs));
  copy.setWeights(layer.getWeights());
  const again = apply(copy, xs);
  outs.forEach((o, i) => expect(maxAbsDiff(o, again[i]!), `${className}: fromConfig copy's output`).toBe(0));
  tf.dispose(again);
  copy.dispose();

  // Inside tf.model: the JSON topology (tfjs's own deserialisation) rebuilds it, and one fit step trains it.
  const model = modelOf(c.make(), shapes);
  const loaded = await tfl.models.modelFromJSON({
    modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'],
  });
  loaded.setWeights(model.getWeights());
  const [p, q] = [
    asList(model.predict(one(xs)) as tf.Tensor | tf.Tensor[]),
    asList(loaded.predict(one(xs)) as tf.Tensor | tf.Tensor[]),
  ];
  p.forEach((t, i) => expect(maxAbsDiff(t, q[i]!), `${className}: model rebuilt from its JSON`).toBe(0));
  tf.dispose([p, q]);
  loaded.dispose();
  if (c.trainableWeights > 0) await fitChanges(model, xs, outs, c.unchangedByFit ?? [], className);
  model.dispose();

  tf.dispose([xs, outs]);
  layer.dispose();
}

/** One fit step changes every trainable weight (but the named exceptions) and no non-trainable one; a second leaks nothing. */
async function fitChanges(
  model: tfl.LayersModel,
  xs: tf.Tensor[],
  outs: tf.Tensor[],
  unchanged: string[],
  className: string,
): Promise<void> {
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  const ys = outs.map((o, i) => randomTensor(o.shape, 31 + i));
  const before = model.weights.map((w) => w.read().clone());
  const fit = () => model.fit(one(xs), one(ys), { epochs: 1, batchSize: xs[0]!.shape[0], verbose: 0, shuffle: false });
  const history = await fit();
  expect(Number.isFinite(history.history['loss']![0] as number), `${className}: fit loss is finite`).toBe(true);
  model.weights.forEach((w, i) => {
    const moved = maxAbsDiff(w.read(), before[i]!) > 0;
    if (!w.trainable) expect(moved, `${className}: fit changed non-trainable ${localName(w)}`).toBe(false);
    else if (!unchanged.includes(localName(w)))
      expect(moved, `${className}: fit left ${localName(w)} unchanged`).toBe(true);
  });
  const tensors = tf.memory().numTensors;
  await fit();
  expect(tf.memory().numTensors, `${className}: tensors leaked by a fit step`).toBe(tensors);
  tf.dispose([ys, before]);
}
