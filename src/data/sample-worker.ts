/**
 * Worker-thread entry: loads samples (decode, augment, synthesise) off the training thread.
 * Messages in: `{ id, job: SampleJob }`; out: `{ id, sample }` (pixel buffers transferred) or `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads';
import { InputError } from './errors';
import { loadSample, type SampleJob } from './samples';

const port = parentPort;
if (port) {
  port.on('message', (msg: { id: number; job: SampleJob }) => {
    loadSample(msg.job).then(
      (sample) => {
        const transfer = [sample.input.data.buffer, sample.target.data.buffer].filter(
          (b, i, all) => all.indexOf(b) === i,
        ) as ArrayBuffer[];
        port.postMessage({ id: msg.id, sample }, transfer);
      },
      (e: unknown) => {
        const error =
          e instanceof InputError
            ? { file: e.file, problem: e.problem }
            : { message: e instanceof Error ? e.message : String(e) };
        port.postMessage({ id: msg.id, error });
      },
    );
  });
  port.postMessage({ ready: true });
}
