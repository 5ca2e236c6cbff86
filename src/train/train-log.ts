import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** One line of train_log.jsonl. */
export type LogEvent = Record<string, unknown> & { type: string };

/** Read the log of an earlier (resumed) run: loss and validation history before `step`. */
export async function readHistory(logPath: string, step: number) {
  const loss: [number, number][] = [];
  const psnr: [number, number][] = [];
  const ssim: [number, number][] = [];
  if (!existsSync(logPath)) return { loss, psnr, ssim };
  for (const line of (await readFile(logPath, 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as LogEvent & { step: number; loss: number; psnr: number; ssim: number };
      if (e.type === 'step' && e.step <= step) loss.push([e.step, e.loss]);
      if (e.type === 'val' && e.step <= step) {
        psnr.push([e.step, e.psnr]);
        ssim.push([e.step, e.ssim]);
      }
    } catch {
      /* a torn last line of a killed run: ignore */
    }
  }
  return { loss, psnr, ssim };
}
