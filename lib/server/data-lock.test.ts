import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { acquireDataLock, DataDirLockedError, isPidAlive, readLockPid, releaseDataLock } from "./data-lock";

const dirs: string[] = [];
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "ami-lock-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) {
    releaseDataLock(d);
    fs.rmSync(d, { recursive: true, force: true });
  }
});

function deadPid(): number {
  // A PID that existed and has exited: a finished child.
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  const pid = Number(r.stdout.toString());
  expect(isPidAlive(pid)).toBe(false);
  return pid;
}

describe("data directory lock", () => {
  it("writes our PID and removes the file on release", () => {
    const d = tmpDir();
    const lock = acquireDataLock(d);
    expect(readLockPid(lock)).toBe(process.pid);
    releaseDataLock(d);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it("refuses while a live process holds the lock, naming its PID", () => {
    const d = tmpDir();
    const live = process.ppid; // our parent is alive for the whole test
    fs.writeFileSync(path.join(d, ".lock"), `${live} 2026-01-01T00:00:00Z\n`);
    expect(() => acquireDataLock(d)).toThrowError(DataDirLockedError);
    expect(() => acquireDataLock(d)).toThrowError(`data directory in use by PID ${live}`);
    expect(readLockPid(path.join(d, ".lock"))).toBe(live);
  });

  it("takes over a stale lock left by a dead PID", () => {
    const d = tmpDir();
    const dead = deadPid();
    fs.writeFileSync(path.join(d, ".lock"), `${dead}\n`);
    const lock = acquireDataLock(d);
    expect(readLockPid(lock)).toBe(process.pid);
  });

  it("takes over an unreadable (garbage) lock file", () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, ".lock"), "not a pid");
    expect(readLockPid(acquireDataLock(d))).toBe(process.pid);
  });
});
