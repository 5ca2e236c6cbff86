import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { firstLine } from './errors';

/** The user-facing problem for a file system error code, or undefined for codes with nothing better to say. */
function problemFor(code: string | undefined): string | undefined {
  switch (code) {
    case 'ENOENT':
      return 'not found';
    case 'ELOOP':
      return 'symlink loop (ELOOP: a symbolic link points back to itself)';
    case 'EROFS':
      return 'read-only file system (EROFS)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC)';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder (ENOTDIR)';
    case 'EISDIR':
      return 'is a folder, expected a file';
    default:
      return undefined;
  }
}

/** The nearest existing folder at or above `path` (the root at worst). */
function nearestExisting(path: string): string {
  let p = path;
  for (;;) {
    try {
      statSync(p);
      return p;
    } catch {
      const up = dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}

/**
 * One line saying why reading or writing `path` failed. Node's recursive mkdir reports a read-only or unwritable
 * parent as ENOENT; when the nearest existing folder cannot be written, that is what is said instead.
 */
export function describeFsError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' && (e as NodeJS.ErrnoException).syscall === 'mkdir') {
    const parent = nearestExisting(dirname(path));
    try {
      accessSync(parent, constants.W_OK);
    } catch (denied) {
      const why = problemFor((denied as NodeJS.ErrnoException).code) ?? firstLine(denied);
      return `cannot create a folder in ${parent}: ${why}`;
    }
  }
  return problemFor(code) ?? firstLine(e);
}
