/**
 * The `masr-net` command line (built to dist/cli.js, the package's bin). Ctrl-C once: training saves a checkpoint
 * and stops cleanly; twice: quit at once.
 */
import { consoleReporter } from './reporter';
import { runCli } from './run';

const reporter = consoleReporter();
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130);
  reporter.warn('interrupted: finishing the current step and saving a checkpoint (Ctrl-C again to quit now)');
  controller.abort();
});

const code = await runCli(process.argv.slice(2), { reporter, signal: controller.signal });
process.exitCode = code;
// Backends and worker threads should already be idle; do not let a stray handle keep the process alive.
setTimeout(() => process.exit(code), 2000).unref();
