// Single owner of data/: PGlite has no cross-process lock and chDB binds one
// directory per process, so whoever opens the embedded engines first takes
// data/.lock (O_EXCL, holding its PID). A lock whose PID is dead is stale and
// is taken over; a live one makes every other process refuse.
import fs from "node:fs";
import path from "node:path";

export class DataDirLockedError extends Error {
  constructor(
    public readonly pid: number,
    public readonly lockPath: string,
  ) {
    super(`data directory in use by PID ${pid} (${lockPath}); stop that process first, or talk to it over HTTP`);
    this.name = "DataDirLockedError";
  }
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readLockPid(lockPath: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockPath, "utf8").trim().split(/\s+/)[0] ?? "", 10);
    return Number.isFinite(pid) ? pid : null;
  } catch {
    return null;
  }
}

const held = new Set<string>();

/**
 * Take the lock for `dataDir`, or throw DataDirLockedError if a live process holds it.
 * Re-entrant within one process. The lock is released on process exit.
 */
export function acquireDataLock(dataDir: string, pid: number = process.pid): string {
  const lockPath = path.join(path.resolve(dataDir), ".lock");
  if (held.has(lockPath)) return lockPath;
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockPath, "wx");
      fs.writeSync(fd, `${pid} ${new Date().toISOString()}\n`);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      held.add(lockPath);
      return lockPath;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = readLockPid(lockPath);
      if (owner === pid) {
        held.add(lockPath);
        return lockPath;
      }
      if (owner !== null && isPidAlive(owner)) throw new DataDirLockedError(owner, lockPath);
      // Stale (dead PID or unreadable): remove and retry. Another process racing
      // on the same stale lock loses at openSync(wx) above.
      try {
        fs.unlinkSync(lockPath);
      } catch {
        /* someone else removed it first */
      }
    }
  }
  const owner = readLockPid(lockPath) ?? -1;
  throw new DataDirLockedError(owner, lockPath);
}

export function releaseDataLock(dataDir: string): void {
  const lockPath = path.join(path.resolve(dataDir), ".lock");
  if (!held.has(lockPath)) return;
  held.delete(lockPath);
  if (readLockPid(lockPath) === process.pid) {
    try {
      fs.unlinkSync(lockPath);
    } catch {
      /* already gone */
    }
  }
}

process.once("exit", () => {
  for (const lockPath of held) {
    try {
      if (readLockPid(lockPath) === process.pid) fs.unlinkSync(lockPath);
    } catch {
      /* best effort */
    }
  }
});
