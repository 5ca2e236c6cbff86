import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers';
import { writePhotos, writeTinyConfig } from './helpers';

const tmp = tempDir('masr-cli-sigint-');
let config = '';
beforeAll(async () => {
  config = writeTinyConfig(tmp.dir);
  await writePhotos(join(tmp.dir, 'photos'), 4, 24, 24);
});
afterAll(tmp.cleanup);

describe('masr-net train as a process', () => {
  it('saves a checkpoint and exits with status 130 on Ctrl-C (SIGINT)', async () => {
    const out = join(tmp.dir, 'run');
    const args = [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'train',
      '--photos',
      join(tmp.dir, 'photos'),
      '--config',
      config,
    ];
    args.push(
      '--steps',
      '100000',
      '--crop',
      '16',
      '--batch',
      '1',
      '--val-every',
      '100000',
      '--val-count',
      '1',
      '--log-every',
      '1',
    );
    args.push('--backend', 'wasm', '--out', out);
    const child = spawn(process.execPath, args, { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => (stderr += String(d)));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += String(d);
        if (!sent && /^step 2\/100000 /m.test(stdout)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, stdout + stderr).toBe(130);
    expect(stderr).toMatch(/interrupted: finishing the current step and saving a checkpoint/);
    expect(stdout).toMatch(/interrupted at step \d+\/100000: saved .*last; continue with: masr-net train --resume/);
    const state = JSON.parse(readFileSync(join(out, 'last/trainer.json'), 'utf8'));
    expect(state.reason).toBe('interrupted');
    expect(state.step).toBeGreaterThanOrEqual(2);
    const log = readFileSync(join(out, 'train_log.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(log.at(-1)!).type).toBe('interrupted');
  });
});
