import type { Rgb255 } from './image';

/** ITU-R BT.601 luma weights (OpenCV's RGB2GRAY), used for the mean grey level. */
const GRAY = [0.299, 0.587, 0.114] as const;

/** Mean grey level of an image (any scale). */
export function meanGray(img: Rgb255): number {
  const d = img.data;
  let s = 0;
  for (let i = 0; i < d.length; i += 3) s += GRAY[0] * d[i]! + GRAY[1] * d[i + 1]! + GRAY[2] * d[i + 2]!;
  return s / (d.length / 3);
}

/**
 * GT-mean brightness alignment, as low-light papers report "GT-mean" scores: output × mean_gray(GT) / mean_gray(output),
 * clipped to the valid range ([0, 255] here, i.e. [0, 1] before scaling). A black output is returned unchanged.
 */
export function gtMeanAlign(output: Rgb255, target: Rgb255): Rgb255 {
  const mo = meanGray(output);
  if (mo === 0) return output;
  const k = meanGray(target) / mo;
  const data = new Float64Array(output.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, output.data[i]! * k));
  return { data, height: output.height, width: output.width };
}
