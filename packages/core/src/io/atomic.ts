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
    throw err;
  }
}
