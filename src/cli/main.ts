/**
 * The `masr-net` command line (built to dist/cli.js, the package's bin). Ctrl-C once: training saves a checkpoint
 * and stops cleanly; twice: quit at once.
 */
import { spawn } from 'node:child_process';

/**
 * Under the tsx CLI (`npx tsx src/cli/main.ts`) this process is the child of a tsx process that answers Ctrl-C by
 * killing the child unless it acknowledges within ~30 ms, which a process busy in a wasm step cannot do: the run
 * would end without saving. There, run the CLI as one plain `node --import tsx` process instead and wait for it.
 */
const underTsxWrapper =
  process.env.MASR_NET_SINGLE_PROCESS !== '1' &&
  process.execArgv.some((a) => /[\\/]tsx[\\/]dist[\\/]preflight\.cjs$/.test(a));

if (underTsxWrapper) {
  // The terminal sends Ctrl-C to the whole process group, the child included; this listener only acknowledges it to
  // tsx (so tsx leaves this process alone) and lets the child finish its save.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, MASR_NET_SINGLE_PROCESS: '1' },
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
} else {
  const { consoleReporter } = await import('../reporter');
  const { runCli } = await import('./run');
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
}
