/** Where commands write what they have to say: lines for the log, and a progress line that a terminal redraws. */
export interface Reporter {
  /** A line for the user (kept in the scrollback). */
  info(line: string): void;
  /** A warning line (stderr on the console). */
  warn(line: string): void;
  /**
   * The current progress. On a terminal it redraws one line; elsewhere (pipes, CI, tests) every call is printed as a
   * line only when `important` (the command decides how often, e.g. every N steps).
   */
  progress(line: string, important?: boolean): void;
}

/** The console reporter: progress redraws in place on a TTY. */
export function consoleReporter(
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): Reporter {
  let pending = false;
  const clear = () => {
    if (pending) out.write('\r\x1b[K');
    pending = false;
  };
  return {
    info(line) {
      clear();
      out.write(line + '\n');
    },
    warn(line) {
      clear();
      err.write(line + '\n');
    },
    progress(line, important = false) {
      if (out.isTTY) {
        const cols = out.columns || 120;
        out.write('\r\x1b[K' + (line.length > cols - 1 ? line.slice(0, cols - 2) + '…' : line));
        pending = true;
        if (important) {
          out.write('\n');
          pending = false;
        }
      } else if (important) out.write(line + '\n');
    },
  };
}

/** A reporter that collects lines (tests, programmatic use). */
export function memoryReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (l) => lines.push(l),
    warn: (l) => lines.push(`warning: ${l}`),
    progress: (l, important) => {
      if (important) lines.push(l);
    },
  };
}

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
