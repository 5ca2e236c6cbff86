/**
 * Pre-trains a `before`-placed denoiser on its own (issue 17): the denoiser of an auto-exposure model sees the dark
 * input already brought to the white point (times gain g), and should return what that input would be without its
 * noise. That is a pure denoising task, so it trains without the 5-million-parameter ISP network: about 10x faster
 * per image than training the denoiser inside the whole model, which is what kept the earlier denoisers small and
 * short-trained.
 *
 * Pairs, from the training photos (same split as the recipes): a lowlight-v2 darkening (exposure x gains, in linear
 * light), its gain g computed as the model does, on the whole noisy photo; then per crop and step fresh shot + read
 * noise, 8-bit quantisation, times g: the input; the clean darkening times g: the target. Loss: L1 in sRGB.
 *
 * Writes a model folder (`--out`/best, `--out`/last: model.json + weights.bin) of the whole model: the auto-exposure
 * base weights (`--base`) with the trained denoiser, ready for `scripts/denoise-card.ts --variant` or `train --init`.
 *
 *   npx tsx scripts/pretrain-denoiser.ts --out runs/denoiser-pretrain
 *
 * The shipped `lowlight-v1-denoise-autoexposure` is that command's last/ (defaults: 3500 steps of 8 crops, 72 min on
 * a 2-core Intel Xeon, 8 of them making the crops). Its run validated on lowlight-v2 crops, whose mean PSNR fell
 * (31.9 dB in, 30.3 out) while the whole model gained on lowlight-v1 photos, so its best/ was step 0; validation is on
 * lowlight-v1 crops since (training data and steps unchanged).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend';
import {
  exposureScale,
  hashSeed,
  listImagesDeep,
  LOWLIGHT_V1,
  LOWLIGHT_V2,
  readImage,
  Rng,
  applyLowLight,
  applyLowLightV2,
  drawLowLightParams,
  drawLowLightV2Params,
  type RgbImage,
  type SynthesisProtocol,
} from '../src/data/index';
import { linearToSrgb, noisyCode, srgbToLinear } from '../src/data/synthesis';
import { autoExposureGain, type AutoExposureConfig } from '../src/isp/auto-exposure';
import { MASRNet } from '../src/models/index';
import { AUTO_EXPOSURE_DENOISER } from '../src/models/config';
import { directoryHandler } from '../src/models/fs-handler';
import { ssimLoss } from '../src/losses/index';
import { AdamW } from '../src/train/adamw';
import { warmupCosineLr } from '../src/train/schedule';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/denoiser-pretrain' },
    base: { type: 'string', default: 'weights/lowlight-v1-autoexposure.safetensors' },
    photos: { type: 'string', default: '../shared/data/photos/CBSD68,../shared/data/photos/Sun_Hays80' },
    'val-photos': { type: 'string', default: '../shared/data/photos/McMaster,../shared/data/photos/Set14' },
    // The denoiser's size (the preset's by default); placement 'before', no conditioning.
    channels: { type: 'string', default: String(AUTO_EXPOSURE_DENOISER.channels) },
    blocks: { type: 'string', default: String(AUTO_EXPOSURE_DENOISER.blocks) },
    scale: { type: 'string', default: String(AUTO_EXPOSURE_DENOISER.scale) },
    steps: { type: 'string', default: '3500' },
    batch: { type: 'string', default: '8' },
    crop: { type: 'string', default: '128' },
    lr: { type: 'string', default: '1e-3' },
    darkenings: { type: 'string', default: '6' },
    crops: { type: 'string', default: '4' },
    'val-every': { type: 'string', default: '250' },
    // Darkenings of the training crops: v2 (the shipped run), v1 (3-6 stops, the validation protocol), or mix
    // (alternating v1, v2 per darkening: v1's heavy noise and v2's light or no darkening).
    protocol: { type: 'string', default: 'v2' },
    // Share of training crops that also get spatially correlated noise (see correlatedField): real low-light photos
    // (LOL, DICM) show chroma speckle and blotches a few pixels wide, which white noise never teaches. 0: white only.
    'correlated-share': { type: 'string', default: '0' },
    // Loss: L1 + this x (1 - SSIM) (the recipes' SSIM: Gaussian 11, sigma 1.5), both in sRGB. 0: L1 alone.
    'ssim-weight': { type: 'string', default: '0' },
    seed: { type: 'string', default: '17' },
    threads: { type: 'string', default: '2' },
  },
});
const num = (k: keyof typeof a) => Number(a[k]);
const [steps, batch, crop, lr0] = [num('steps'), num('batch'), num('crop'), num('lr')];
const seed = num('seed');
const ssimWeight = num('ssim-weight');
if (!['v1', 'v2', 'mix'].includes(a.protocol!))
  throw new Error(`--protocol: expected v1, v2 or mix, got '${a.protocol}'`);
const correlatedShare = num('correlated-share');
if (!(correlatedShare >= 0 && correlatedShare <= 1))
  throw new Error(`--correlated-share: expected a number in [0, 1], got '${a['correlated-share']}'`);
if (!(ssimWeight >= 0)) throw new Error(`--ssim-weight: expected a number >= 0, got '${a['ssim-weight']}'`);

await selectBackend('wasm', { threads: num('threads') });
const model = MASRNet.create('lolv1-denoise-autoexposure', {
  denoiser: { channels: num('channels'), blocks: num('blocks'), scale: num('scale') },
});
model.loadSafetensors(new Uint8Array(await readFile(a.base!)), { allowMissing: ['denoiser.'] });
const ae = model.config.autoExposure as AutoExposureConfig;
const denoiser = model.network.denoiser!;
model.freezeBase(); // model.trainableVariables: the denoiser's only

/** One darkened crop: its clean linear values (exposure x gains applied), noise parameters, white-point gain. */
interface Patch {
  linear: Float32Array;
  shotNoise: number;
  readNoise: number;
  gain: number;
}

/** Darken each photo `count` times (darkening d by `protocolOf(d)`), take `perDarkening` random crops of each. */
async function patches(
  dirs: string,
  protocolOf: (d: number) => SynthesisProtocol,
  count: number,
  perDarkening: number,
  tag: string,
): Promise<Patch[]> {
  const paths = (await Promise.all(dirs.split(',').map((d) => listImagesDeep(d)))).flat().sort();
  const out: Patch[] = [];
  for (const path of paths) {
    const photo = (await readImage(path)) as RgbImage;
    if (photo.width < crop || photo.height < crop) continue;
    for (let d = 0; d < count; d++) {
      const rng = new Rng(hashSeed(seed, tag, path, d));
      const params = protocolOf(d) === LOWLIGHT_V2 ? drawLowLightV2Params(rng) : drawLowLightParams(rng);
      const low =
        params.protocol === LOWLIGHT_V2 ? applyLowLightV2(photo, params, rng) : applyLowLight(photo, params, rng);
      const scale = exposureScale(photo, params);
      const gain = autoExposureGain(low.data, low.width, low.height, ae);
      for (let c = 0; c < perDarkening; c++) {
        const x0 = rng.int(photo.width - crop + 1);
        const y0 = rng.int(photo.height - crop + 1);
        const linear = new Float32Array(crop * crop * 3);
        for (let y = 0; y < crop; y++) {
          for (let x = 0; x < crop * 3; x++) {
            const i = ((y0 + y) * photo.width + x0) * 3 + x;
            linear[y * crop * 3 + x] = srgbToLinear(Math.min(1, Math.max(0, photo.data[i]!))) * scale[i]!;
          }
        }
        out.push({ linear, shotNoise: params.shotNoise, readNoise: params.readNoise, gain });
      }
    }
  }
  return out;
}

const SRGB_TO_LINEAR_8BIT = Float32Array.from({ length: 256 }, (_, i) => srgbToLinear(i / 255));

/**
 * Unit-variance noise, correlated over a few pixels: per channel an independent white field blurred by a Gaussian of
 * sigma U[0.5, 2.5] px (demosaicking, in-camera noise reduction and JPEG leave noise that wide), [crop * crop * 3].
 */
function correlatedField(rng: Rng): Float32Array {
  const sigma = rng.uniform(0.5, 2.5);
  const radius = Math.ceil(3 * sigma);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const norm = Math.hypot(...kernel) ** 2; // 2-D unit variance after both passes: divide by sum(k^2) per pass
  const at = (v: number) => (v < 0 ? -v : v >= crop ? 2 * crop - 2 - v : v); // reflect
  const white = Float32Array.from({ length: crop * crop * 3 }, () => rng.normal());
  const rows = new Float32Array(white.length);
  const out = new Float32Array(white.length);
  for (const [src, dst, horizontal] of [
    [white, rows, true],
    [rows, out, false],
  ] as const) {
    for (let y = 0; y < crop; y++) {
      for (let x = 0; x < crop; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let t = -radius; t <= radius; t++) {
            const [sx, sy] = horizontal ? [at(x + t), y] : [x, at(y + t)];
            sum += kernel[t + radius]! * src[(sy * crop + sx) * 3 + c]!;
          }
          dst[(y * crop + x) * 3 + c] = sum / Math.sqrt(norm);
        }
      }
    }
  }
  return out;
}

/**
 * Write a patch's noisy input and clean target (both times its gain, sRGB) at `at`, flipped/transposed by `aug`.
 * With `correlated`, correlated noise of U[0.3, 1] x the pixel's shot + read standard deviation is added before
 * the white noise.
 */
function render(
  p: Patch,
  rng: Rng,
  aug: number,
  correlated: boolean,
  input: Float32Array,
  target: Float32Array,
  at: number,
): void {
  const field = correlated ? correlatedField(rng) : undefined;
  const amount = correlated ? rng.uniform(0.3, 1) : 0;
  for (let y = 0; y < crop; y++) {
    for (let x = 0; x < crop; x++) {
      // aug bits: 1 flip x, 2 flip y, 4 transpose.
      let [sx, sy] = aug & 4 ? [y, x] : [x, y];
      if (aug & 1) sx = crop - 1 - sx;
      if (aug & 2) sy = crop - 1 - sy;
      const src = (sy * crop + sx) * 3;
      const dst = at + (y * crop + x) * 3;
      for (let c = 0; c < 3; c++) {
        const e = p.linear[src + c]!;
        const std = Math.sqrt(p.shotNoise * e + p.readNoise * p.readNoise);
        const noisy = field ? e + amount * std * field[(y * crop + x) * 3 + c]! : e;
        const q = noisyCode(noisy, p.shotNoise, p.readNoise, rng);
        input[dst + c] = linearToSrgb(Math.min(1, SRGB_TO_LINEAR_8BIT[q]! * p.gain));
        target[dst + c] = linearToSrgb(Math.min(1, e * p.gain));
      }
    }
  }
}

function batchOf(bank: Patch[], picks: number[], rng: Rng, augment: boolean): [tf.Tensor4D, tf.Tensor4D] {
  const n = crop * crop * 3;
  const input = new Float32Array(picks.length * n);
  const target = new Float32Array(picks.length * n);
  picks.forEach((k, i) => {
    const aug = augment ? rng.int(8) : 0;
    const correlated = augment && correlatedShare > 0 && rng.next() < correlatedShare;
    render(bank[k]!, rng, aug, correlated, input, target, i * n);
  });
  const shape: [number, number, number, number] = [picks.length, crop, crop, 3];
  return [tf.tensor4d(input, shape), tf.tensor4d(target, shape)];
}

const psnr = (mse: number) => -10 * Math.log10(mse);

/** Mean PSNR of the noisy input and of the denoised output against the clean target, on the fixed validation set. */
async function validate(val: Patch[]): Promise<{ input: number; denoised: number }> {
  const rng = new Rng(hashSeed(seed, 'val-noise'));
  let [sumIn, sumOut] = [0, 0];
  for (let i = 0; i < val.length; i += 8) {
    const picks = Array.from({ length: Math.min(8, val.length - i) }, (_, j) => i + j);
    const [x, y] = batchOf(val, picks, rng, false);
    const [mIn, mOut] = tf.tidy(() => {
      const out = tf.clipByValue(denoiser.call(x) as tf.Tensor4D, 0, 1);
      const per = (t: tf.Tensor) => tf.mean(tf.squaredDifference(t, y), [1, 2, 3]);
      return [per(x), per(out)];
    });
    (await mIn.data()).forEach((m) => (sumIn += psnr(m)));
    (await mOut.data()).forEach((m) => (sumOut += psnr(m)));
    tf.dispose([x, y, mIn, mOut]);
  }
  return { input: sumIn / val.length, denoised: sumOut / val.length };
}

async function saveTo(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(directoryHandler(dir));
}

const t0 = Date.now();
const trainProtocol = (d: number): SynthesisProtocol =>
  a.protocol === 'v1' || (a.protocol === 'mix' && d % 2 === 0) ? LOWLIGHT_V1 : LOWLIGHT_V2;
const bank = await patches(a.photos!, trainProtocol, num('darkenings'), num('crops'), 'train');
// Validation on lowlight-v1 darkenings (3-6 stops), the protocol the models are validated on: on v2's clean crops
// any denoiser can only lose, and their high PSNRs would dominate the mean.
const val = await patches(a['val-photos']!, () => LOWLIGHT_V1, 1, 2, 'val');
console.log(
  `denoiser ${denoiser.countParams().toLocaleString('en')} parameters; ${bank.length} training crops, ${val.length} validation crops (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
);
await mkdir(a.out!, { recursive: true });
const log: object[] = [];
const optimizer = new AdamW({ learningRate: lr0, weightDecay: 1e-4 });
const rng = new Rng(hashSeed(seed, 'train'));
const warmup = Math.max(1, Math.min(100, Math.floor(steps / 10))); // whole steps, so step 0 never exceeds lr
let best = -Infinity;
const start = Date.now();
for (let step = 0; step <= steps; step++) {
  if (step % num('val-every') === 0 || step === steps) {
    const v = await validate(val);
    const row = { step, minutes: +((Date.now() - start) / 60000).toFixed(1), ...v };
    log.push(row);
    console.log(JSON.stringify(row));
    await writeFile(join(a.out!, 'log.json'), JSON.stringify(log, null, 1) + '\n');
    await saveTo(join(a.out!, 'last'));
    if (v.denoised > best) {
      best = v.denoised;
      await saveTo(join(a.out!, 'best'));
    }
    if (step === steps) break;
  }
  optimizer.learningRate = warmupCosineLr(step, {
    baseLr: lr0,
    warmupSteps: warmup,
    totalSteps: steps,
    minLrFactor: 0,
  });
  const [x, y] = batchOf(
    bank,
    Array.from({ length: batch }, () => rng.int(bank.length)),
    rng,
    true,
  );
  const loss = optimizer.minimize(
    () => {
      const out = denoiser.call(x) as tf.Tensor4D;
      const l1 = tf.mean(tf.abs(tf.sub(out, y))) as tf.Scalar;
      return ssimWeight > 0 ? tf.add(l1, tf.mul(ssimWeight, ssimLoss(out, y))) : l1;
    },
    true,
    model.trainableVariables,
  );
  const l = (await loss!.data())[0]!;
  tf.dispose([x, y, loss!]);
  if (!Number.isFinite(l)) throw new Error(`step ${step}: loss is ${l}`);
  if (step % 50 === 0) console.log(`step ${step} loss ${l.toFixed(5)} lr ${optimizer.learningRate.toExponential(2)}`);
}
