/**
 * Faults around training runs: a run or a checkpoint must never be lost, and bad options must be refused up front
 * with a message naming them (issue 13, "Runs and checkpoints must never be lost" and two of its messages).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run';
import { entryToFloat32, float32Entry, readSafetensors, writeSafetensors } from '../../src/io/safetensors';
import { tempDir } from '../data/helpers';
import type { Reporter } from '../../src/reporter';
import { collectingReporter, writePhotos, writeTinyConfig } from '../cli/helpers';

const tmp = tempDir('masr-faults-runs-');
let config = '';
let photos = '';
beforeAll(async () => {
  config = writeTinyConfig(tmp.dir);
  photos = join(tmp.dir, 'photos');
  await writePhotos(photos, 5, 32, 24);
});
afterAll(tmp.cleanup);

const common = ['--crop', '16', '--batch', '1', '--val-crop', '0', '--val-count', '1', '--workers', '0'];

async function train(args: string[], reporter: Reporter & { lines: string[] } = collectingReporter()) {
  const code = await runCli(['train', '--config', config, ...common, ...args, '--backend', 'wasm'], { reporter });
  return { code, text: reporter.lines.join('\n'), last: reporter.lines.at(-1) ?? '' };
}
const trainerState = (dir: string) => JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
const tempsIn = (dir: string) => readdirSync(dir).filter((n) => /\.(tmp|old)$/.test(n));
/** The pid of a process that has exited (for locks and temporary folders left by a killed run). */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

/** Start the CLI in its own process group and send SIGINT to the whole group, as a terminal's Ctrl-C does. */
async function ctrlC(command: string, args: string[], out: string) {
  const full = [
    ...args,
    'train',
    '--photos',
    photos,
    '--config',
    config,
    ...common,
    '--steps',
    '100000',
    '--val-every',
    '100000',
    '--log-every',
    '1',
    '--backend',
    'wasm',
    '--out',
    out,
  ];
  const child = spawn(command, full, { cwd: process.cwd(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let sent = false;
  child.stderr.on('data', (d) => (text += String(d)));
  try {
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        text += String(d);
        if (!sent && /^step 2\/100000 /m.test(text)) {
          sent = true;
          process.kill(-child.pid!, 'SIGINT');
        }
      });
      child.on('exit', () => resolve());
    });
  } finally {
    if (!sent) process.kill(-child.pid!, 'SIGKILL');
  }
  // The launcher exiting is not the end: under load the tsx CLI may give up on its child after ~60 ms while the
  // trainer, in the same group, is still finishing its step and its save. Wait for the whole group to be gone
  // (whatever the machine's speed), so last/ is read after the save and no process is left behind.
  const groupAlive = () => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let waited = 0; groupAlive() && waited < 600_000; waited += 200) await new Promise((r) => setTimeout(r, 200));
  expect(groupAlive(), 'a process of the interrupted run was left running').toBe(false);
  return text;
}

describe('runs and checkpoints are never lost', () => {
  it('1. a new run into a folder that holds a run is refused; --overwrite replaces it', async () => {
    const out = join(tmp.dir, 'taken');
    expect((await train(['--photos', photos, '--steps', '2', '--out', out])).code).toBe(0);
    const before = readFileSync(join(out, 'best/weights.bin'));
    const again = await train(['--photos', photos, '--steps', '2', '--seed', '7', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.last).toMatch(
      /--out .*taken is not empty \(.*\): continue its run with --resume .*, replace it with --overwrite/,
    );
    expect(Buffer.compare(readFileSync(join(out, 'best/weights.bin')), before)).toBe(0);
    const replaced = await train(['--photos', photos, '--steps', '2', '--seed', '7', '--overwrite', '--out', out]);
    expect(replaced.code, replaced.text).toBe(0);
    expect(replaced.text).toMatch(/--overwrite: removed the previous run/);
    const log = readFileSync(join(out, 'train_log.jsonl'), 'utf8').trim().split('\n');
    expect(log.filter((l) => JSON.parse(l).type === 'start')).toHaveLength(1);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });

  it('1. two runs started into one folder at once: one trains, the other is refused by the lock', async () => {
    const out = join(tmp.dir, 'race');
    const runs = await Promise.all([1, 2].map(() => train(['--photos', photos, '--steps', '2', '--out', out])));
    expect(runs.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(runs.find((r) => r.code === 1)!.last).toMatch(
      /race: another training run \(pid \d+\) is using this run folder/,
    );
    // A lock left by a process that no longer runs is taken over, with a warning.
    const stale = join(tmp.dir, 'stale');
    mkdirSync(stale);
    writeFileSync(join(stale, '.lock'), `${deadPid()}\n`);
    const r = await train(['--photos', photos, '--steps', '1', '--out', stale]);
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(/\.lock: taking over the lock of process \d+, which no longer runs/);
  });

  for (const [how, command, args] of [
    ['npm run cli -- train', 'npm', ['run', '--silent', 'cli', '--']],
    ['npx tsx src/cli/main.ts train', 'npx', ['tsx', 'src/cli/main.ts']],
  ] as const) {
    it(`2. Ctrl-C (SIGINT to the process group) under \`${how}\` saves last/`, async () => {
      const out = join(tmp.dir, `sigint-${command}`);
      const text = await ctrlC(command, [...args], out);
      expect(text).toMatch(/interrupted at step \d+\/100000: saved .*last; continue with: masr-net train --resume/);
      const state = trainerState(join(out, 'last'));
      expect(state.reason).toBe('interrupted');
      expect(state.step).toBeGreaterThanOrEqual(2);
    });
  }

  describe('3. a kill inside saveCheckpoint: --resume recovers the newest complete checkpoint, and says so', () => {
    let source = '';
    let step2 = '';
    beforeAll(async () => {
      // A run with last/ at step 4, and a copy of its last/ at step 2 (what the previous save left).
      source = join(tmp.dir, 'crash-source');
      step2 = join(tmp.dir, 'crash-step2');
      const reporter = collectingReporter();
      const copying = {
        ...reporter,
        progress: (l: string) => {
          reporter.progress(l);
          if (l.startsWith('step 3/4')) cpSync(join(source, 'last'), step2, { recursive: true });
        },
      };
      expect(
        (await train(['--photos', photos, '--steps', '4', '--save-every', '2', '--out', source], copying)).code,
      ).toBe(0);
      expect(trainerState(step2).step).toBe(2);
    });
    /** A run folder as a kill at one point of saving last/ (step 2 -> step 4) leaves it. */
    const crashed = (name: string, layout: Record<string, string | 'partial'>) => {
      const dir = join(tmp.dir, name);
      mkdirSync(dir);
      cpSync(join(source, 'best'), join(dir, 'best'), { recursive: true });
      cpSync(join(source, 'train_log.jsonl'), join(dir, 'train_log.jsonl'));
      for (const [sub, from] of Object.entries(layout)) {
        if (from === 'partial') {
          mkdirSync(join(dir, sub));
          cpSync(join(source, 'last/model.json'), join(dir, sub, 'model.json'));
        } else cpSync(from, join(dir, sub), { recursive: true });
      }
      return dir;
    };
    const resume = (dir: string) => train(['--resume', dir]);

    it('killed while writing the temporary folder: resumes from last/, removes the partial folder', async () => {
      const pid = deadPid();
      const dir = crashed('crash-writing', { last: step2, [`.last.${pid}.aa.tmp`]: 'partial' });
      const r = await resume(dir);
      expect(r.code, r.text).toBe(0);
      expect(r.text).toMatch(/removed .*\.last\.\d+\.aa\.tmp, a temporary folder left by an interrupted save/);
      expect(r.text).toMatch(/resuming from .*last at step 2/);
      expect(tempsIn(dir)).toEqual([]);
    });

    it('killed between the two renames (no last/): recovers last/ from the temporary folder', async () => {
      const pid = deadPid();
      const dir = crashed('crash-between', {
        [`.last.${pid}.bb.old`]: step2,
        [`.last.${pid}.bb.tmp`]: join(source, 'last'),
      });
      const r = await resume(dir);
      expect(r.code, r.text).toBe(0);
      expect(r.text).toMatch(/recovered .*last \(step 4\) from \.last\.\d+\.bb\.tmp, left by an interrupted save/);
      expect(r.text).toMatch(/resuming from .*last at step 4/);
      expect(tempsIn(dir)).toEqual([]);
      expect(trainerState(join(dir, 'last')).step).toBe(4);
    });

    it('killed before removing the old folder: resumes from last/, removes the old one', async () => {
      const pid = deadPid();
      const dir = crashed('crash-after', { last: join(source, 'last'), [`.last.${pid}.cc.old`]: step2 });
      const r = await resume(dir);
      expect(r.code, r.text).toBe(0);
      expect(r.text).toMatch(/removed .*\.last\.\d+\.cc\.old/);
      expect(r.text).toMatch(/resuming from .*last at step 4/);
      expect(tempsIn(dir)).toEqual([]);
    });

    it('no last/ and nothing to recover: falls back to best/ with a warning, never silently', async () => {
      const dir = crashed('crash-gone', {});
      const r = await resume(dir);
      expect(r.code, r.text).toBe(0);
      expect(r.text).toMatch(
        /has no last\/ checkpoint: resuming from best\/ \(step \d+\); steps after it are trained again/,
      );
    });
  });

  describe('4. NaN weights are never saved as a checkpoint', () => {
    let run = '';
    beforeAll(async () => {
      run = join(tmp.dir, 'nan-source');
      expect((await train(['--photos', photos, '--steps', '2', '--out', run])).code).toBe(0);
    });
    /** A copy of the run whose optimizer moments are changed by `edit`. */
    const withMoments = (name: string, edit: (m: Float32Array, v: Float32Array) => void) => {
      const dir = join(tmp.dir, name);
      cpSync(run, dir, { recursive: true });
      const file = join(dir, 'last/optimizer.safetensors');
      const st = readSafetensors(readFileSync(file));
      const [m, v] = ['m.0', 'v.0'].map((k) => entryToFloat32(st.tensors.get(k)!)) as [Float32Array, Float32Array];
      edit(m, v);
      st.tensors.set('m.0', float32Entry(m, st.tensors.get('m.0')!.shape));
      st.tensors.set('v.0', float32Entry(v, st.tensors.get('v.0')!.shape));
      writeFileSync(file, writeSafetensors(st.tensors, st.metadata));
      return dir;
    };

    it('resume with a negative second moment is refused', async () => {
      const dir = withMoments('nan-negative-v', (_, v) => (v[0] = -1));
      const r = await train(['--resume', dir, '--steps', '3']);
      expect(r.code).toBe(1);
      expect(r.last).toMatch(
        /last\/optimizer\.safetensors: optimizer state: v\.0 \(a second moment\) holds negative, NaN or Inf values$/,
      );
    });

    it('--lr 1e38 is refused up front', async () => {
      const r = await train(['--photos', photos, '--lr', '1e38', '--out', join(tmp.dir, 'nan-lr')]);
      expect(r.code).toBe(2);
      expect(r.last).toMatch(/--lr must be at most 1 \(AdamW moves each weight by about lr per step\), got 1e\+38/);
      expect(existsSync(join(tmp.dir, 'nan-lr/best'))).toBe(false);
    });

    it('an update that makes the weights Inf stops the run without saving them, pointing at the last good checkpoint', async () => {
      // Finite but huge first moments with zero second moments pass every check. The gradients are clipped to norm 1,
      // so m / (sqrt(v)/bc2 + eps) >= 0.9 * 3.4e38 / 0.58 overflows float32 (before any lr) and the weights go to Inf.
      const dir = withMoments('nan-update', (m, v) => {
        m.fill(3.4e38);
        v.fill(0);
      });
      const before = readFileSync(join(dir, 'last/weights.bin'));
      const r = await train(['--resume', dir, '--steps', '3']);
      expect(r.code).toBe(3);
      expect(r.text).toMatch(
        /the weights became NaN or Inf in the update of step 2 .*stopped without saving them\. Last good checkpoint kept: .*last \(step 2\)\. The first update after resuming failed: the optimizer state of .* may be corrupt; start a new run from its weights without it: masr-net train --init /,
      );
      expect(Buffer.compare(readFileSync(join(dir, 'last/weights.bin')), before)).toBe(0);
      expect(trainerState(join(dir, 'last')).step).toBe(2);
    });
  });

  for (const name of ['t%41', 'train 100%']) {
    it(`5. a run folder named '${name}' holds its checkpoints (paths are not URLs)`, async () => {
      const out = join(tmp.dir, name);
      const r = await train(['--photos', photos, '--steps', '1', '--out', out]);
      expect(r.code, r.text).toBe(0);
      for (const f of ['best/weights.bin', 'best/model.json', 'last/weights.bin', 'last/trainer.json'])
        expect(existsSync(join(out, f)), f).toBe(true);
      expect(existsSync(join(tmp.dir, 'tA'))).toBe(false);
      expect(readdirSync(tmp.dir).filter((n) => n.startsWith('.'))).toEqual([]);
      const resumed = await train(['--resume', out, '--steps', '2']);
      expect(resumed.code, resumed.text).toBe(0);
      expect(trainerState(join(out, 'last')).step).toBe(2);
    });
  }

  describe('6. bad training images', () => {
    it('are all listed before step 1', async () => {
      const dir = join(tmp.dir, 'bad-photos');
      cpSync(photos, dir, { recursive: true });
      writeFileSync(join(dir, 'p1.png'), '');
      writeFileSync(join(dir, 'p3.png'), 'not an image');
      const out = join(tmp.dir, 'bad-run');
      const r = await train(['--photos', dir, '--steps', '3', '--out', out]);
      expect(r.code).toBe(1);
      expect(r.last).toMatch(
        /2 training images: cannot be used: .*p1\.png: file is empty; .*p3\.png: cannot decode image \(.*\)$/,
      );
      expect(existsSync(join(out, 'best'))).toBe(false);
    });

    it('bad validation images held out from the same folder are listed too, and nothing is written', async () => {
      const dir = join(tmp.dir, 'bad-val-photos');
      cpSync(photos, dir, { recursive: true });
      writeFileSync(join(dir, 'p1.png'), '');
      writeFileSync(join(dir, 'p4.png'), 'not an image'); // the last photo: held out for validation (--val-count 1)
      const out = join(tmp.dir, 'bad-val-run');
      const r = await train(['--photos', dir, '--steps', '3', '--out', out]);
      expect(r.code).toBe(1);
      expect(r.last).toMatch(
        /2 training and validation images: cannot be used: .*p1\.png: file is empty; .*p4\.png: cannot decode image \(.*\)$/,
      );
      // Nothing written, so the same command runs once the files are fixed.
      expect(existsSync(out) ? readdirSync(out).filter((n) => n !== '.lock') : []).toEqual([]);
    });

    it('one that goes bad during the run stops it with last/ saved', async () => {
      const dir = join(tmp.dir, 'spoiled-photos');
      cpSync(photos, dir, { recursive: true });
      const out = join(tmp.dir, 'spoiled-run');
      const reporter = collectingReporter();
      const spoiling = {
        ...reporter,
        progress: (l: string) => {
          reporter.progress(l);
          if (l.startsWith('step 1/')) for (const f of readdirSync(dir)) writeFileSync(join(dir, f), '');
        },
      };
      const r = await train(['--photos', dir, '--steps', '50', '--val-every', '100', '--out', out], spoiling);
      expect(r.code).toBe(1);
      expect(r.last).toMatch(/spoiled-photos\/p\d\.png: file is empty$/);
      expect(r.text).toMatch(
        /stopped by an error at step \d+\/50: saved .*last; once fixed, continue with: masr-net train --resume/,
      );
      const state = trainerState(join(out, 'last'));
      expect(state.reason).toBe('error');
      expect(state.step).toBeGreaterThanOrEqual(1);
    });
  });
});

describe('train options are checked up front, naming the option', () => {
  it('--crop 7 is refused before training (SSIM needs 11x11)', async () => {
    const r = await train(['--photos', photos, '--crop', '7', '--out', join(tmp.dir, 'crop7')]);
    expect([r.code, r.last]).toEqual([
      2,
      "warning: error: --crop must be an integer >= 11 (SSIM's 11x11 window), got 7 (see 'masr-net train --help')",
    ]);
  });

  it('--batch 0 is refused before training', async () => {
    const r = await train(['--photos', photos, '--batch', '0', '--out', join(tmp.dir, 'batch0')]);
    expect([r.code, r.last]).toEqual([
      2,
      "warning: error: --batch must be an integer >= 1, got 0 (see 'masr-net train --help')",
    ]);
  });

  it('11. --val-count 0 is refused: no validation image means no score and no best/', async () => {
    const out = join(tmp.dir, 'val0');
    const r = await train(['--photos', photos, '--val-count', '0', '--out', out]);
    expect([r.code, r.last]).toEqual([
      2,
      "warning: error: --val-count must be an integer >= 1 (validation needs an image), got 0 (see 'masr-net train --help')",
    ]);
    expect(existsSync(join(out, 'best'))).toBe(false);
  });

  it('11. an empty validation folder is refused before training, naming it', async () => {
    const empty = join(tmp.dir, 'empty-val');
    mkdirSync(join(empty, 'sub'), { recursive: true });
    const low = join(empty, 'low');
    const high = join(empty, 'high');
    mkdirSync(low);
    mkdirSync(high);
    const out = join(tmp.dir, 'val-empty');
    const r = await train(['--photos', photos, '--val-data', empty, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.last).toMatch(/^warning: error: .*(no validation images|no images|contains no)/);
    expect(existsSync(join(out, 'best'))).toBe(false);
  });
});
