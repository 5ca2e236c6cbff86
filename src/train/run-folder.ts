import { existsSync, readdirSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../data/index';
import { UsageError } from '../data/errors';
import type { Reporter } from '../reporter';

const LOCK = '.lock';

/** What `train` writes into a run folder (and `--overwrite` removes): nothing else there is touched. */
const RUN_FILES = ['best', 'last', 'train_log.jsonl', 'curves.png'];
const isRunTemp = (name: string) => /^\.(best|last)\..*\.(tmp|old)$/.test(name);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Take the run folder `dir` for one training run: a `.lock` file holding this pid, created exclusively, so two runs
 * into one folder cannot both proceed. A lock left by a process that no longer runs is taken over with a warning.
 * Returns the release function.
 */
export async function lockRunFolder(dir: string, reporter: Reporter): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      const f = await open(path, 'wx');
      await f.writeFile(`${process.pid}\n`);
      await f.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const text = (await readFile(path, 'utf8').catch(() => '')).trim();
      const pid = Number(text);
      if (Number.isInteger(pid) && pid > 0 && alive(pid))
        throw new InputError(dir, `another training run (pid ${pid}) is using this run folder (lock ${path})`);
      reporter.warn(`${path}: taking over the lock of process ${text || '?'}, which no longer runs`);
      await rm(path, { force: true });
    }
  }
  return async () => {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.trim() === String(process.pid)) await rm(path, { force: true });
  };
}

/**
 * A new run must not replace an existing one: refuse a run folder that holds anything (besides our lock) unless
 * `overwrite`, which removes the previous run's files (checkpoints, log, curves) and nothing else.
 */
export async function claimNewRunFolder(dir: string, overwrite: boolean, reporter: Reporter): Promise<void> {
  const entries = existsSync(dir) ? readdirSync(dir).filter((n) => n !== LOCK) : [];
  if (!entries.length) return;
  if (!overwrite) {
    const listed = `${entries.slice(0, 4).join(', ')}${entries.length > 4 ? ', ...' : ''}`;
    // A run that stopped before its first checkpoint cannot be resumed: do not suggest it.
    const resumable = entries.includes('best') || entries.includes('last');
    throw new UsageError(
      resumable
        ? `--out ${dir} is not empty (${listed}): continue its run with --resume ${dir}, replace it with --overwrite, or choose another --out`
        : `--out ${dir} is not empty (${listed}) but holds no checkpoint to resume: replace it with --overwrite, or choose another --out`,
    );
  }
  const gone = entries.filter((n) => RUN_FILES.includes(n) || isRunTemp(n));
  for (const n of gone) await rm(join(dir, n), { recursive: true, force: true });
  if (gone.length) reporter.warn(`--overwrite: removed the previous run in ${dir} (${gone.join(', ')})`);
}
