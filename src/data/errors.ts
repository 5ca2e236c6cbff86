/**
 * The error every data/CLI failure about a user's file becomes: it names the file and the problem in one line,
 * so the CLI can print `error: <file>: <problem>` and exit non-zero.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'InputError';
  }
}

/**
 * A bad option value (a run's or a command's): the CLI prints it with a pointer to --help and exits with status 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The first line of an unknown error's message (library errors can be multi-line). */
export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}
