// Issue 17: the optional denoising stage. The reference presets are untouched by it; with it, the model starts as
// the ISP-only model, covers save/load/export/params/FLOPs, and trains only the denoiser when the base is frozen.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend, type BackendName } from '../../src/backend';
import { AdamW } from '../../src/train/index';
import { countFlops, DEFAULT_DENOISER, MASRNet, presetConfig, type MASRNetOverrides } from '../../src/models/index';
import { readSafetensors } from '../../src/io/safetensors';
import { maxAbsDiff, randomTensor } from '../helpers/gradcheck';

const home = tf.getBackend() as BackendName;
const deterministic: MASRNetOverrides = { sampleSecondExpert: 'never' };
const withDenoiser = (d: MASRNetOverrides['denoiser'] = {}) =>
  MASRNet.create('tiny', { ...deterministic, denoiser: d });

/** The tiny ISP-only model and the same weights in a model with a denoiser (its weights fresh). */
function pair(d: MASRNetOverrides['denoiser'] = {}): [MASRNet, MASRNet] {
  const base = MASRNet.create('tiny', deterministic);
  const den = withDenoiser(d);
  const { missing } = den.loadSafetensors(base.toSafetensors(), { allowMissing: ['denoiser.'] });
  expect(missing.length).toBe(den.network.denoiser!.weights.length);
  return [base, den];
}

/** An in-memory IO handler (save then load). */
function memoryHandler(): tf.io.IOHandler {
  let saved: tf.io.ModelArtifacts | undefined;
  return {
    save: async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
    load: async () => saved!,
  };
}

/** Random non-zero denoiser weights, so that it changes the output. */
function randomiseDenoiser(m: MASRNet, seed = 3): void {
  for (const [i, w] of m.network.denoiser!.weights.entries())
    w.write(randomTensor(w.shape as number[], seed + i, -0.05, 0.05));
}

const image = () => randomTensor([1, 16, 24, 3], 9, 0, 0.3) as tf.Tensor4D;

describe(`denoiser variant (${home})`, () => {
  it('leaves the reference presets as they are: no denoiser, same parameters and FLOPs', () => {
    for (const p of ['lolv1', 'lsrw', 'lolv2'] as const) expect(presetConfig(p).denoiser).toBeNull();
    const den = presetConfig('lolv1-denoise');
    expect(den.denoiser).toEqual(DEFAULT_DENOISER);
    const { denoiser: _d, preset: _p, ...rest } = den;
    const { denoiser: _d1, preset: _p1, ...lolv1 } = presetConfig('lolv1');
    expect(rest).toEqual(lolv1);
    expect(countFlops(presetConfig('lolv1'), 400, 600).modules['denoiser']).toBeUndefined();
  });

  it('builds lolv1-denoise-autoexposure as lolv1 with the pooled white point and a blind denoiser before the ISP', () => {
    const { denoiser, autoExposure, preset, ...rest } = presetConfig('lolv1-denoise-autoexposure');
    const { denoiser: _d, autoExposure: _a, preset: _p, ...lolv1 } = presetConfig('lolv1');
    expect(rest).toEqual(lolv1);
    expect(preset).toBe('lolv1-denoise-autoexposure');
    expect(autoExposure).toEqual({ quantile: 0.999, target: 0.929, maxGain: 64, pool: 4 });
    expect(denoiser).toEqual({ placement: 'before', conditioning: 'none', channels: 96, blocks: 4, scale: 4 });
    // scale 4: stem from 16*3 channels to 96, four blocks of two 96->96 convs, head 96 -> 16*3; each 3x3 with a bias.
    const params = 9 * 48 * 96 + 96 + 8 * (9 * 96 * 96 + 96) + 9 * 96 * 48 + 48;
    const m = MASRNet.create('lolv1-denoise-autoexposure');
    const plain = MASRNet.create('lolv1');
    expect(m.countParams().trainable - plain.countParams().trainable).toBe(params);
    m.dispose();
    plain.dispose();
  });

  it('counts its parameters and FLOPs exactly', () => {
    const [base, den] = pair({ channels: 8, blocks: 2 });
    // scale 2: stem 3x3 from 4*(3+1) channels to 8, two blocks of two 8->8 convs, head 8 -> 4*3; each with a bias.
    const params = 9 * 16 * 8 + 8 + 4 * (9 * 8 * 8 + 8) + 9 * 8 * 12 + 12;
    expect(den.countParams().trainable - base.countParams().trainable).toBe(params);
    const macsPerCell = 9 * (16 * 8 + 4 * 8 * 8 + 8 * 12);
    expect(countFlops(den.config, 64, 96).modules['denoiser']).toBe(2 * macsPerCell * (64 / 2) * (96 / 2));
    expect(den.flops(64, 96) - base.flops(64, 96)).toBe(2 * macsPerCell * 32 * 48);
    base.dispose();
    den.dispose();
  });

  for (const placement of ['after', 'before'] as const) {
    it(`starts as the ISP-only model (placement '${placement}'), and returns its intermediate image`, () => {
      const [base, den] = pair({ placement });
      const x = image();
      const a = base.enhance(x);
      const r = den.enhanceWithMaps(x);
      expect(maxAbsDiff(a, r.enhanced)).toBe(0);
      const stage = placement === 'after' ? r.ispOutput : r.denoisedInput;
      expect(placement === 'after' ? r.denoisedInput : r.ispOutput).toBeUndefined();
      expect(maxAbsDiff(stage!, placement === 'after' ? a : x)).toBe(0);
      randomiseDenoiser(den);
      const b = den.enhance(x);
      expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
      const lo = tf.min(b).dataSync()[0]!;
      const hi = tf.max(b).dataSync()[0]!;
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      tf.dispose([x, a, b, r.enhanced, stage!, ...Object.values(r.raw), ...Object.values(r.display)]);
      base.dispose();
      den.dispose();
    });
  }

  it('exports its weights under denoiser.* (PyTorch layout) and loads them back; refuses a file without them', () => {
    const den = withDenoiser({ channels: 6, blocks: 1 });
    randomiseDenoiser(den);
    const bytes = den.toSafetensors();
    const file = readSafetensors(bytes);
    const keys = [...file.tensors.keys()].filter((k) => k.startsWith('denoiser.'));
    expect(keys.sort()).toEqual(
      [
        'stem.weight',
        'stem.bias',
        'blocks.0.conv1.weight',
        'blocks.0.conv1.bias',
        'blocks.0.conv2.weight',
        'blocks.0.conv2.bias',
        'head.weight',
        'head.bias',
      ]
        .map((k) => `denoiser.${k}`)
        .sort(),
    );
    expect(file.tensors.get('denoiser.stem.weight')!.shape).toEqual([6, 16, 3, 3]); // [out, in, kh, kw]
    const copy = withDenoiser({ channels: 6, blocks: 1 });
    copy.loadSafetensors(bytes);
    const x = image();
    const [a, b] = [den.enhance(x), copy.enhance(x)];
    expect(maxAbsDiff(a, b)).toBe(0);
    const base = MASRNet.create('tiny', deterministic);
    expect(() => copy.loadSafetensors(base.toSafetensors())).toThrow(
      /nothing was loaded.*missing keys \(8\): denoiser\./,
    );
    tf.dispose([x, a, b]);
    [den, copy, base].forEach((m) => m.dispose());
  });

  it('saves and loads with its config and weights', async () => {
    const den = withDenoiser({ placement: 'before', conditioning: 'none', channels: 4, blocks: 1 });
    randomiseDenoiser(den);
    const handler = memoryHandler();
    await den.save(handler);
    const loaded = await MASRNet.load(handler);
    expect(loaded.config.denoiser).toEqual({
      placement: 'before',
      conditioning: 'none',
      channels: 4,
      blocks: 1,
      scale: 2,
    });
    const x = image();
    const [a, b] = [den.enhance(x), loaded.enhance(x)];
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose([x, a, b]);
    den.dispose();
    loaded.dispose();
  });

  it('names a bad denoiser field', () => {
    expect(() => withDenoiser({ placement: 'middle' as 'after' })).toThrow(
      /denoiser.placement must be 'after' or 'before'/,
    );
    expect(() => withDenoiser({ channels: 0 })).toThrow(/denoiser.channels must be a positive integer/);
    expect(() => withDenoiser({ size: 3 } as never)).toThrow(/unknown field 'denoiser.size'/);
    const plain = MASRNet.create('tiny');
    expect(() => plain.freezeBase()).toThrow(/no denoiser/);
    plain.dispose();
  });

  it('with the base frozen, a training step changes only the denoiser, the same on cpu', async () => {
    const step = (initial?: Float32Array[]) => {
      const den = withDenoiser({ channels: 4, blocks: 1 });
      if (initial)
        den.network
          .layers()
          .flatMap((l) => l.weights)
          .forEach((w, i) => w.write(tf.tensor(initial[i]!, w.shape as number[])));
      else randomiseDenoiser(den);
      den.freezeBase();
      const all = den.network.layers().flatMap((l) => l.weights);
      const start = all.map((w) => w.read().dataSync().slice() as Float32Array);
      expect(den.trainableVariables.length).toBe(8); // stem, two block convs, head: kernel + bias each
      const x = randomTensor([2, 16, 16, 3], 21, 0, 0.2) as tf.Tensor4D;
      const y = randomTensor([2, 16, 16, 3], 22, 0.1, 0.9) as tf.Tensor4D;
      const opt = new AdamW({ learningRate: 1e-2, weightDecay: 0 });
      const first = den.trainStep(opt, x, y);
      const tensors = tf.memory().numTensors;
      const second = den.trainStep(opt, x, y);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(Number.isFinite(first.loss) && Number.isFinite(second.loss)).toBe(true);
      const end = all.map((w) => w.read().dataSync().slice() as Float32Array);
      const denoiser = new Set(den.network.denoiser!.weights.map((w) => w.originalName));
      const moved = all.map((w, i) => [denoiser.has(w.originalName), maxAbsDiff(start[i]!, end[i]!) > 0] as const);
      tf.dispose([x, y]);
      opt.dispose();
      den.dispose();
      return { start, end, moved };
    };
    const here = step();
    for (const [isDenoiser, moved] of here.moved) expect(moved).toBe(isDenoiser);
    await selectBackend('cpu');
    let ref: ReturnType<typeof step>;
    try {
      ref = step(here.start);
    } finally {
      await selectBackend(home);
    }
    expect(Math.max(...here.end.map((w, i) => maxAbsDiff(w, ref.end[i]!)))).toBeLessThan(1e-4);
  });
});
