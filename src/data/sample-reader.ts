import { Worker } from 'node:worker_threads';
import { InputError } from './errors';
import { firstMessage, workerSpec } from './worker-script';
import { loadSample, type Sample, type SampleJob } from './samples';

/** Something that loads samples: in worker threads (default) or on the calling thread. */
export interface SampleReader {
  /** `worker` when decoding runs in worker threads, `in-thread` otherwise. */
  readonly mode: 'worker' | 'in-thread';
  /** Why this mode (e.g. why workers could not start). */
  readonly reason: string;
  read(job: SampleJob): Promise<Sample>;
  close(): Promise<void>;
}

/** Loads samples on the calling thread (sharp still decodes on libuv's pool). */
export class InThreadReader implements SampleReader {
  readonly mode = 'in-thread' as const;
  constructor(readonly reason = 'requested (workers: 0)') {}
  read(job: SampleJob): Promise<Sample> {
    return loadSample(job);
  }
  async close(): Promise<void> {}
}

type Reply = { id: number; sample?: Sample; error?: { file?: string; problem?: string; message?: string } };

/** Loads samples in a pool of worker threads, round-robin, with replies matched by id. */
export class WorkerReader implements SampleReader {
  readonly mode = 'worker' as const;
  private nextId = 0;
  private turn = 0;
  private pending = new Map<number, { resolve: (s: Sample) => void; reject: (e: Error) => void }>();
  private closed = false;

  private constructor(
    private workers: Worker[],
    readonly reason: string,
  ) {
    for (const w of workers) {
      w.on('message', (msg: Reply) => this.onReply(msg));
      w.on('error', (e) => this.failAll(e));
      w.on('exit', (code) => {
        if (!this.closed) this.failAll(new Error(`sample worker exited unexpectedly (code ${code})`));
      });
      w.unref(); // idle workers must not keep the process alive (they are ref'd while a read is pending)
    }
  }

  /** Start `count` workers and wait until each has loaded its code. Rejects if they cannot start. */
  static async start(count: number, timeoutMs = 60_000): Promise<WorkerReader> {
    const spec = workerSpec('sample-worker', import.meta.url);
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) workers.push(new Worker(spec.script, { eval: spec.eval }));
      await Promise.all(workers.map((w) => firstMessage(w, timeoutMs)));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new WorkerReader(workers, `${count} decode worker thread${count > 1 ? 's' : ''}`);
  }

  read(job: SampleJob): Promise<Sample> {
    if (this.closed) return Promise.reject(new Error('SampleReader is closed'));
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    return new Promise<Sample>((resolve, reject) => {
      if (this.pending.size === 0) for (const w of this.workers) w.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, job });
    });
  }

  private onReply(msg: Reply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (this.pending.size === 0) for (const w of this.workers) w.unref();
    if (msg.sample) p.resolve(msg.sample);
    else if (msg.error?.file !== undefined)
      p.reject(new InputError(msg.error.file, msg.error.problem ?? 'unknown problem'));
    else p.reject(new Error(msg.error?.message ?? 'sample worker failed'));
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const w of this.workers) w.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new Error('SampleReader closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Open a sample reader: `workers` >= 1 starts worker threads (falling back to the calling thread, with the reason,
 * if they cannot start); 0 loads on the calling thread.
 */
export async function openSampleReader(workers = 1): Promise<SampleReader> {
  if (workers <= 0) return new InThreadReader();
  try {
    return await WorkerReader.start(workers);
  } catch (e) {
    return new InThreadReader(
      `worker threads unavailable (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
    );
  }
}
