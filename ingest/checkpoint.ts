// Durable per-file checkpoints: write a temp file, fsync, rename over the old
// one, fsync the directory. A crash leaves either the old or the new version.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { FileProgress } from "./chain";

/** One file generation: inode plus a hash of its first line (inode numbers get reused). */
export interface FileIdentity {
  ino: number;
  /** `${ino}-${headHash}`: the part of positions and dedup tokens that names the file. */
  fileKey: string;
  /** Bytes of the head the hash covers (first line, at most HEAD_MAX bytes). */
  headLen: number;
  headHash: string;
}

export interface PendingRange {
  identity: FileIdentity;
  from: number;
  to: number;
}

export interface Checkpoint {
  path: string;
  identity: FileIdentity | null;
  /** Everything before this byte offset of `identity` is committed. */
  offset: number;
  /** Batches handed to the writer but not known to be committed, in order (write-ahead). */
  pending: PendingRange[];
  updatedAt: number;
  /** Per-generation progress of the chain (absent in checkpoints written before it). */
  files?: FileProgress[];
  /** Files that vanished before they were read to the end, newest last (capped). */
  gaps?: GapRecord[];
  /** Every gap so far (the list above is capped). */
  gapCount?: number;
}

export interface GapRecord {
  name: string;
  fileKey: string;
  /** Bytes known unread when it vanished (at least). */
  bytes: number;
  at: number;
}

export const HEAD_MAX = 256;

export function hashHead(buf: Buffer): string {
  return createHash("sha1").update(buf).digest("hex").slice(0, 12);
}

export function checkpointFile(dir: string, watchedPath: string): string {
  const id = createHash("sha1").update(path.resolve(watchedPath)).digest("hex").slice(0, 16);
  return path.join(dir, `tail-${id}.json`);
}

export function readCheckpoint(dir: string, watchedPath: string): Checkpoint | null {
  try {
    const cp = JSON.parse(fs.readFileSync(checkpointFile(dir, watchedPath), "utf8")) as Checkpoint;
    return cp && typeof cp.offset === "number" ? { ...cp, pending: cp.pending ?? [] } : null;
  } catch {
    return null;
  }
}

export function writeCheckpoint(dir: string, cp: Checkpoint): void {
  fs.mkdirSync(dir, { recursive: true });
  const target = checkpointFile(dir, cp.path);
  const tmp = `${target}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, JSON.stringify({ ...cp, updatedAt: Date.now() }));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
  try {
    const dfd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    /* directory fsync is not supported everywhere */
  }
}
