/**
 * Atomic file writes: the content goes to a temporary file in the destination's directory, which
 * is then renamed over the destination (rename is atomic within a file system on POSIX). A reader
 * sees the old file or the new one, never a partial one, and a failed or killed write leaves no
 * file at the destination.
 */
import * as fs from 'fs';
import * as path from 'path';

let counter = 0;

/** A temporary path next to `target`, unique within this process and across processes. */
function temporaryPath(target: string): string {
  counter += 1;
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.${process.pid}.${counter}.tmp`);
}

/**
 * Writes `data` to `target` atomically. Throws the underlying system error (with its `code`)
 * when the directory does not exist or cannot be written; the temporary file is removed then.
 */
export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  const tmp = temporaryPath(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temporary file was never created, or was already renamed
    }
    // write(2) errors (ENOSPC, EIO, EDQUOT) carry no path: name the file being written
    const system = err as NodeJS.ErrnoException;
    if (system.code !== undefined && system.path === undefined) system.path = target;
    throw err;
  }
}

/**
 * Creates `dir` and any missing parents, like `mkdir -p`; a directory that exists is left alone.
 * Node's own recursive mkdirSync loops for ever where mkdir(2) answers ENOENT for a parent that
 * exists (/proc, some FUSE and network file systems): here the missing levels are found with
 * stat first and each is made with one plain mkdir, so every failure is the system's own error
 * (ENOENT, EACCES, EROFS, ENOTDIR when a level is a file, EEXIST for a dangling symlink) with
 * its path, at once.
 */
export function makeDirectorySync(dir: string): void {
  const missing: string[] = [];
  for (let level = path.resolve(dir); ; level = path.dirname(level)) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(level);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(level) === level) throw err;
      if (isSymbolicLink(level)) {
        throw Object.assign(new Error(`ENOENT: a symbolic link whose target does not exist, mkdir '${level}'`), {
          code: 'ENOENT',
          syscall: 'mkdir',
          path: level,
          reason: 'a symbolic link whose target does not exist',
        });
      }
      missing.push(level);
      continue;
    }
    if (!stat.isDirectory()) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${level}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: level });
    }
    break;
  }
  for (const level of missing.reverse()) fs.mkdirSync(level);
}

function isSymbolicLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The temporary files writeFileAtomicSync names after `base` (".base.PID.N.tmp"), with their writer's pid. */
export const ATOMIC_TEMPORARY = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

/**
 * Removes temporary files of atomic writes in `dir` left by processes that no longer run (killed
 * between creating the temporary file and renaming it). `alive(pid)` says whether a writer may
 * still be writing; a caller holding the directory's lock can pass () => false. With `bases`, only
 * the temporaries of those file names. Returns the names removed.
 */
export function removeStaleTemporaries(dir: string, alive: (pid: number) => boolean, bases?: readonly string[]): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const match = ATOMIC_TEMPORARY.exec(name);
    if (match === null || (bases !== undefined && !bases.includes(match[1])) || alive(Number(match[2]))) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      // gone already (another cleaner) or not ours to remove: leave it
    }
  }
  return removed;
}

/** Whether a process with this pid runs on this machine (EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
