import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { evaluatePair, psnrMetric, ssimMetric } from '../../src/metrics';
import { SHARED } from '../helpers/fixtures';

// Golden values from scikit-image (scripts/golden/make_metrics_golden.py) on real photos from ../shared/data.
// Each pred is rebuilt here with the same integer arithmetic and checked bit-exact by its sha256.
interface GoldenCase {
  image: string;
  file_sha256: string;
  height: number;
  width: number;
  transform: 'darken' | 'blur' | 'darken_blur';
  pred_pixels_sha256: string;
  psnr: number;
  ssim: number;
  psnr_gt_mean: number;
  ssim_gt_mean: number;
  /** skimage's default SSIM (7x7 uniform window, sample covariance): the reference test.py's protocol. */
  ssim_uniform7: number;
}
const here = dirname(fileURLToPath(import.meta.url));
const golden = JSON.parse(readFileSync(join(here, '..', 'fixtures', 'metrics-golden.json'), 'utf8')) as {
  cases: GoldenCase[];
};
const DATA = join(SHARED, 'data');
const hasData = golden.cases.every((c) => existsSync(join(DATA, c.image)));

function darken(x: Uint8Array): Uint8Array {
  return x.map((v) => Math.floor((v * v) / 255));
}

function blur(x: Uint8Array, h: number, w: number): Uint8Array {
  const out = new Uint8Array(x.length);
  const at = (y: number, xx: number, c: number) =>
    x[(Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, xx))) * 3 + c]!;
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += at(y + dy, xx + dx, c);
        out[(y * w + xx) * 3 + c] = Math.floor((s + 4) / 9);
      }
  return out;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!hasData)('evaluation metrics match scikit-image on real photos', () => {
  for (const c of golden.cases) {
    it(`${c.image} vs ${c.transform}: PSNR, SSIM (plain and GT-mean) to 1e-4`, async () => {
      const file = readFileSync(join(DATA, c.image));
      expect(sha256(file)).toBe(c.file_sha256);
      const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect([info.height, info.width, info.channels]).toEqual([c.height, c.width, 3]);
      const target8 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const h = c.height;
      const w = c.width;
      const pred8 =
        c.transform === 'darken'
          ? darken(target8)
          : c.transform === 'blur'
            ? blur(target8, h, w)
            : blur(darken(target8), h, w);
      expect(sha256(pred8)).toBe(c.pred_pixels_sha256);

      const got = evaluatePair({ data: pred8, height: h, width: w }, { data: target8, height: h, width: w });
      const errs = {
        psnr: Math.abs(got.psnr - c.psnr),
        ssim: Math.abs(got.ssim - c.ssim),
        psnrGtMean: Math.abs(got.psnrGtMean - c.psnr_gt_mean),
        ssimGtMean: Math.abs(got.ssimGtMean - c.ssim_gt_mean),
        ssimUniform7: Math.abs(
          ssimMetric(
            { data: pred8, height: h, width: w },
            { data: target8, height: h, width: w },
            { window: 'uniform7' },
          ) - c.ssim_uniform7,
        ),
      };
      console.log(
        `${c.image} ${c.transform}: psnr ${got.psnr.toFixed(4)} ssim ${got.ssim.toFixed(4)} gt-mean ${got.psnrGtMean.toFixed(4)} / ${got.ssimGtMean.toFixed(4)}; ` +
          `|err| ${Object.values(errs)
            .map((e) => e.toExponential(1))
            .join(' ')}`,
      );
      for (const e of Object.values(errs)) expect(e).toBeLessThan(1e-4);

      // Same numbers from float [0, 1] data (the form model outputs take) through the single-metric entry points.
      if (c.transform === 'darken') {
        const toFloat = (u: Uint8Array) => Float32Array.from(u, (v) => v / 255);
        const p = { data: toFloat(pred8), height: h, width: w };
        const t = { data: toFloat(target8), height: h, width: w };
        expect(Math.abs(psnrMetric(p, t) - c.psnr)).toBeLessThan(1e-4);
        expect(Math.abs(ssimMetric(p, t, { gtMean: true }) - c.ssim_gt_mean)).toBeLessThan(1e-4);
      }
    });
  }
});
