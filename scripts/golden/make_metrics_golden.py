#!/usr/bin/env python3
"""Golden PSNR/SSIM values for tests/metrics, computed once with an independent implementation (scikit-image).

Run (Debian: `apt-get install python3-skimage`, which brings numpy, scipy and Pillow):
    /usr/bin/python3 scripts/golden/make_metrics_golden.py > tests/fixtures/metrics-golden.json

Each case pairs a real photo from ../shared/data (the reference, "target") with a degraded copy of it ("pred") made by
integer arithmetic on the 8-bit pixels, so tests/metrics can rebuild it bit-exactly in JS:
  darken       d = floor(x * x / 255)                         (a gamma-2 darkening)
  blur         3x3 box mean with edge replication, floor((sum + 4) / 9)
  darken_blur  blur(darken(x))
Metrics, on RGB [0, 255] in float64:
  psnr  skimage.metrics.peak_signal_noise_ratio(target, pred, data_range=255)
  ssim  skimage.metrics.structural_similarity(target, pred, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False, data_range=255, channel_axis=-1)
  ssim_uniform7  skimage.metrics.structural_similarity(target / 255, pred / 255, data_range=1, channel_axis=-1)
        with skimage's defaults (7x7 uniform window, sample covariance): what the reference's test.py reports
  *_gt_mean  the same on pred * mean_gray(target) / mean_gray(pred), clipped to [0, 255],
        mean_gray = mean of 0.299 R + 0.587 G + 0.114 B.
"""
import hashlib
import json
import os
import sys

import numpy as np
import skimage
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

DATA = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'data')
IMAGES = ['photos/CBSD68/101085.png', 'photos/Set14/pepper.png', 'photos/McMaster/1.tif']


def darken(x):
    x = x.astype(np.int64)
    return (x * x // 255).astype(np.uint8)


def blur(x):
    p = np.pad(x.astype(np.int64), ((1, 1), (1, 1), (0, 0)), mode='edge')
    h, w = x.shape[:2]
    s = sum(p[i:i + h, j:j + w] for i in range(3) for j in range(3))
    return ((s + 4) // 9).astype(np.uint8)


TRANSFORMS = {'darken': darken, 'blur': blur, 'darken_blur': lambda x: blur(darken(x))}


def mean_gray(img):
    return float((0.299 * img[..., 0] + 0.587 * img[..., 1] + 0.114 * img[..., 2]).mean())


def scores(target, pred):
    ssim = structural_similarity(target, pred, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 data_range=255, channel_axis=-1)
    return float(peak_signal_noise_ratio(target, pred, data_range=255)), float(ssim)


def main():
    cases = []
    for rel in IMAGES:
        path = os.path.join(DATA, rel)
        with open(path, 'rb') as f:
            file_sha = hashlib.sha256(f.read()).hexdigest()
        target8 = np.asarray(Image.open(path).convert('RGB'))
        for name, fn in TRANSFORMS.items():
            pred8 = fn(target8)
            target = target8.astype(np.float64)
            pred = pred8.astype(np.float64)
            aligned = np.clip(pred * (mean_gray(target) / mean_gray(pred)), 0, 255)
            psnr, ssim = scores(target, pred)
            psnr_gt, ssim_gt = scores(target, aligned)
            ssim_u7 = float(structural_similarity(target / 255, pred / 255, data_range=1, channel_axis=-1))
            cases.append({
                'image': rel, 'file_sha256': file_sha, 'height': int(target8.shape[0]), 'width': int(target8.shape[1]),
                'transform': name, 'pred_pixels_sha256': hashlib.sha256(pred8.tobytes()).hexdigest(),
                'psnr': psnr, 'ssim': ssim, 'psnr_gt_mean': psnr_gt, 'ssim_gt_mean': ssim_gt, 'ssim_uniform7': ssim_u7,
            })
    doc = {
        'description': 'Golden evaluation metrics computed with scikit-image; see scripts/golden/make_metrics_golden.py '
                       'for the transforms that make each pred from its target photo.',
        'generator': f'scikit-image {skimage.__version__}, numpy {np.__version__} (Debian python3-skimage)',
        'transforms': {
            'darken': 'd = floor(x * x / 255) on 8-bit values',
            'blur': '3x3 box mean, edge replicated: floor((sum of 9 + 4) / 9)',
            'darken_blur': 'blur(darken(x))',
        },
        'cases': cases,
    }
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
