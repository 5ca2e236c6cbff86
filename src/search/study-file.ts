import { existsSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import type { ParamValues, SearchSpace } from './space';

/** How a trial ended. 'failed': it threw, or the loss went NaN; 'pruned': stopped early by the pruner. */
export type TrialStatus = 'complete' | 'pruned' | 'failed';

/** The study file's lines (JSONL, append-only): one header, then trial events in the order they happened. */
export type StudyRecord =
  | { type: 'study'; version: 1; seed: number; space: SearchSpace; settings: Record<string, unknown>; time: string }
  | { type: 'start'; trial: number; seed: number; values: ParamValues; time: string }
  | { type: 'report'; trial: number; step: number; score: number; time: string }
  | {
      type: 'end';
      trial: number;
      status: TrialStatus;
      score: number | null;
      step: number;
      seconds: number;
      message?: string;
      time: string;
    };

/** A trial as the file tells it. `status` 'running' = started, never ended (the study was killed during it). */
export interface TrialState {
  trial: number;
  seed: number;
  values: ParamValues;
  status: TrialStatus | 'running';
  score: number | null;
  step: number;
  seconds: number;
  reports: { step: number; score: number }[];
  message?: string;
}

export interface StudyState {
  header: Extract<StudyRecord, { type: 'study' }> | null;
  trials: TrialState[];
  /** Lines that could not be read (a kill during a write leaves half a line at the end). */
  skipped: number;
}

/** Read a study file (missing = empty study). A later 'start' of the same trial replaces the earlier attempt. */
export async function readStudy(path: string): Promise<StudyState> {
  const state: StudyState = { header: null, trials: [], skipped: 0 };
  if (!existsSync(path)) return state;
  const byNumber = new Map<number, TrialState>();
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    let r: StudyRecord;
    try {
      r = JSON.parse(line) as StudyRecord;
    } catch {
      state.skipped++;
      continue;
    }
    if (r.type === 'study') state.header = r;
    else if (r.type === 'start')
      byNumber.set(r.trial, {
        trial: r.trial,
        seed: r.seed,
        values: r.values,
        status: 'running',
        score: null,
        step: 0,
        seconds: 0,
        reports: [],
      });
    else {
      const t = byNumber.get(r.trial);
      if (!t) {
        state.skipped++;
        continue;
      }
      if (r.type === 'report') {
        t.reports.push({ step: r.step, score: r.score });
        t.step = r.step;
      } else if (r.type === 'end')
        Object.assign(t, { status: r.status, score: r.score, step: r.step, seconds: r.seconds, message: r.message });
    }
  }
  state.trials = [...byNumber.values()].sort((a, b) => a.trial - b.trial);
  return state;
}

/** Append one record (one line: a kill can only lose or cut the last one, which readStudy skips). */
export async function appendRecord(path: string, record: StudyRecord): Promise<void> {
  await appendFile(path, JSON.stringify(record) + '\n');
}
