/**
 * One process at a time on a study directory.
 *
 * Two `rbmlab run --resume` on one directory would both run the trials not yet done and append
 * the same rows twice. The writer of a directory (run, resume, merge into it) holds DIR/.rbmlab.lock,
 * a small JSON file {pid, host, started, procStart}:
 * - taken atomically: the content is written to a temporary file that is then hard-linked to the
 *   lock's name (link(2) fails with EEXIST when the lock exists, and the lock is never seen
 *   half-written);
 * - released when the process finishes, fails or is interrupted;
 * - never stuck: a lock whose process no longer runs on this host (kill -9, a crash, a node that
 *   rebooted) is stale and is taken over. Liveness is kill(pid, 0); where /proc exists the
 *   process's start time is compared as well, so a recycled pid does not keep a stale lock alive.
 *   A lock from another host (a shared file system) cannot be checked: the refusal names the
 *   host and pid and says to delete the file if that process is gone.
 * A takeover renames the stale lock away before linking a new one, so two processes breaking
 * the same stale lock cannot both win.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processAlive } from '@rbmlab/core';
import { StudyError } from './study';

export const LOCK_FILE = '.rbmlab.lock';

interface LockRecord {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
  /** Field 22 of /proc/PID/stat (start time in clock ticks since boot), where /proc exists. */
  readonly procStart?: string;
}

/** A held lock: release() is idempotent. */
export interface DirectoryLock {
  release(): void;
}

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count fields after it
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readLock(file: string): LockRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as LockRecord;
    return typeof record.pid === 'number' && typeof record.host === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `record` may still hold the lock. */
function holderAlive(record: LockRecord): boolean {
  if (record.host !== os.hostname()) return true;
  if (!processAlive(record.pid)) return false;
  if (record.procStart === undefined) return true;
  const now = procStart(record.pid);
  return now === undefined || now === record.procStart;
}

/**
 * Takes the lock of `dir` (which exists), or throws StudyError naming the process that holds it
 * (`flag` names where the directory came from, e.g. "--out"). Stale locks are taken over.
 */
export function lockDirectory(dir: string, flag: string): DirectoryLock {
  const file = path.join(dir, LOCK_FILE);
  const record: LockRecord = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), ...(procStart(process.pid) !== undefined ? { procStart: procStart(process.pid) } : {}) };
  // named as core's atomic writes name theirs, so that a kill here leaves nothing the cleanup misses
  const tmp = path.join(dir, `${LOCK_FILE}.${process.pid}.0.tmp`);
  writeFileSync(tmp, JSON.stringify(record) + '\n');
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      }
      const holder = readLock(file);
      if (holder !== undefined && holderAlive(holder)) {
        const where = holder.host === os.hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
        const gone = holder.host === os.hostname() ? '' : ` (if that process is gone, delete ${file})`;
        throw new StudyError(`${flag} ${dir}: in use by another rbmlab process (${where}, since ${holder.started}); wait for it to finish or stop it${gone}`);
      }
      // stale (or unreadable: a lock is linked whole, so that is not a live writer's): move it
      // aside under a name of our own, then try the link again
      const aside = path.join(dir, `${LOCK_FILE}.${process.pid}.1.tmp`);
      try {
        renameSync(file, aside);
      } catch {
        continue; // another process moved it first; the next attempt sees what it left
      }
      // between reading and renaming, another process may have broken the stale lock and taken
      // its own: that one is put back and this process refuses
      const moved = readLock(aside);
      if (moved !== undefined && holderAlive(moved) && !(holder !== undefined && moved.pid === holder.pid && moved.started === holder.started)) {
        try {
          linkSync(aside, file);
        } catch {
          // a third process took it meanwhile; it holds the lock now
        }
        unlinkSync(aside);
        throw new StudyError(`${flag} ${dir}: in use by another rbmlab process (pid ${moved.pid}); wait for it to finish or stop it`);
      }
      unlinkSync(aside);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to remove
    }
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      const current = readLock(file);
      if (current !== undefined && current.pid === record.pid && current.started === record.started) {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      }
    },
  };
}
