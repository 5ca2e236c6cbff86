import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

const FILES = ['model.json', 'weights.bin', 'optimizer.safetensors', 'trainer.json'];

/** The step a complete checkpoint folder records, or null when the folder is missing, incomplete or unreadable. */
function completeStep(dir: string): number | null {
  if (!FILES.every((f) => existsSync(join(dir, f)))) return null;
  try {
    const step = (JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8')) as { step?: unknown }).step;
    return typeof step === 'number' ? step : null;
  } catch {
    return null;
  }
}

function running(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Undo what a crash inside `saveCheckpoint` left in the run folder `runDir`, for `best/` and `last/`: if a complete
 * temporary folder (`.last.PID.TAG.tmp` or `.old`) holds a newer checkpoint than the folder itself (or the folder is
 * missing), it becomes the folder; then the temporary folders of processes that no longer run are removed.
 * Returns one line per change, for the user.
 */
export async function recoverCheckpoints(runDir: string): Promise<string[]> {
  if (!existsSync(runDir) || existsSync(join(runDir, 'model.json'))) return [];
  const notes: string[] = [];
  const names = readdirSync(runDir);
  for (const kind of ['best', 'last']) {
    const temps = names
      .map((n) => ({ n, m: new RegExp(`^\\.${kind}\\.(\\d+)\\.[0-9a-f]+\\.(tmp|old)$`).exec(n) }))
      .filter((t) => t.m && !running(Number(t.m[1])))
      .map((t) => ({ name: t.n, path: join(runDir, t.n), kind: t.m![2]!, step: completeStep(join(runDir, t.n)) }));
    if (!temps.length) continue;
    const dir = join(runDir, kind);
    const current = existsSync(dir) ? completeStep(dir) : null;
    // The newest complete one; for the same step a .tmp (the save in progress) is newer than its .old.
    const best = temps
      .filter((t) => t.step !== null)
      .sort((a, b) => b.step! - a.step! || (a.kind === 'tmp' ? -1 : 1))[0];
    if (best && (current === null || best.step! > current)) {
      const aside = `${dir}.replaced-${process.pid}`;
      if (existsSync(dir)) await rename(dir, aside);
      await rename(best.path, dir);
      await rm(aside, { recursive: true, force: true });
      notes.push(
        `recovered ${dir} (step ${best.step}) from ${best.name}, left by an interrupted save` +
          (current === null ? ` (${kind}/ was missing or incomplete)` : ` (${kind}/ had step ${current})`),
      );
    }
    for (const t of temps) {
      if (!existsSync(t.path)) continue;
      await rm(t.path, { recursive: true, force: true });
      notes.push(`removed ${t.path}, a temporary folder left by an interrupted save`);
    }
  }
  return notes;
}
