// The chain of a tailed file: the watched path plus its rotated generations
// (NAME.1, NAME.1.gz, NAME-20260101, a configured glob). Pure: which files
// belong to the chain, which of them are still unread and in what order, and
// which known files vanished before they were read (gaps).
import path from "node:path";
import type { FileIdentity } from "./checkpoint";

/** A file found next to the watched one, identified by its (decompressed) head. */
export interface ChainFile {
  name: string;
  ino: number;
  size: number;
  mtimeMs: number;
  compressed: boolean;
  /** ino is this file's own inode (a .gz has its own); headHash/headLen are of the content. */
  identity: FileIdentity;
  /** First bytes of the content (PREFIX_BYTES at most): tells a copy from a new file with the same first line. */
  prefix?: Buffer;
}

export const PREFIX_BYTES = 4096;

/** The same content as far as both prefixes go (a copy, or a .gz being written, of the same file). */
function samePrefix(a: ChainFile, b: ChainFile): boolean {
  if (!a.prefix || !b.prefix) return false;
  const n = Math.min(a.prefix.length, b.prefix.length);
  return n > 0 && a.prefix.subarray(0, n).equals(b.prefix.subarray(0, n));
}

/** What the checkpoint keeps per file generation. */
export interface FileProgress {
  identity: FileIdentity;
  /** Where it was last seen. */
  name: string;
  /** Everything before this byte of its (decompressed) content is committed. */
  offset: number;
  /** Read to its end (its last batches may still be pending). */
  done: boolean;
  /** Size when last seen (for the gap's size and the lag). */
  size: number;
  mtimeMs: number;
  /** When the tail first saw it: orders files whose mtimes tie. */
  seenAt: number;
}

export interface ChainPlan {
  /** Unfinished rotated files, oldest first, each with its progress when known. */
  read: { file: ChainFile; progress: FileProgress | null }[];
  /** Known unfinished files found nowhere. */
  missing: FileProgress[];
  /** Progress entries whose file (or a copy) is there. */
  seen: Set<FileProgress>;
}

export function sameContent(a: FileIdentity, b: FileIdentity): boolean {
  return a.headHash === b.headHash && a.headLen === b.headLen;
}

/** `*` and `?` wildcards, matched without backtracking blow-up (greedy with one restart point). */
export function globMatch(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === s[i])) {
      p++;
      i++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

export const hasGlob = (s: string) => /[*?]/.test(s);

/** Only ASCII digits, so no RegExp is built from the file name. */
function isDigits(s: string, min = 1) {
  if (s.length < min) return false;
  for (const c of s) if (c < "0" || c > "9") return false;
  return true;
}

/**
 * Is `name` a rotated generation of `base`? NAME.N, NAME.N.gz, NAME-YYYYMMDD[-HH…][.gz],
 * NAME.YYYYMMDD[.gz], or one of the configured globs (`{name}` stands for base).
 */
export function isRotatedName(base: string, name: string, globs: readonly string[] = []): boolean {
  if (name === base) return false;
  for (const g of globs) if (globMatch(g.split("{name}").join(base), name)) return true;
  if (!name.startsWith(base) || name.length <= base.length + 1) return false;
  let rest = name.slice(base.length);
  if (rest.endsWith(".gz")) rest = rest.slice(0, -3);
  const sep = rest[0];
  const tail = rest.slice(1);
  if (sep === ".") return isDigits(tail) && (tail.length <= 4 || tail.length === 8);
  if (sep === "-") return tail.split("-").every((part, k) => isDigits(part, k === 0 ? 8 : 1));
  return false;
}

/** Files of a directory that a pattern (glob in the file name only) stands for; rotated names of a match are left out. */
export function expandPattern(pattern: string, names: readonly string[]): string[] {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!hasGlob(base)) return [path.resolve(pattern)];
  const hits = names.filter((n) => globMatch(base, n)).sort();
  const set = new Set(hits);
  return hits.filter((n) => ![...set].some((m) => m !== n && isRotatedName(m, n))).map((n) => path.resolve(dir, n));
}

/**
 * Match each found file to its progress: first the exact fingerprint (inode + head);
 * else by content (a .gz, or a copytruncate copy) to a progress whose own file is gone,
 * so two generations that start with the same header line stay two.
 */
export function matchFiles(files: readonly ChainFile[], progress: readonly FileProgress[]): Map<ChainFile, FileProgress | null> {
  const out = new Map<ChainFile, FileProgress | null>();
  const taken = new Map<FileProgress, ChainFile>();
  for (const f of files) {
    const p = f.compressed ? undefined : progress.find((q) => q.identity.fileKey === f.identity.fileKey);
    if (p) taken.set(p, f);
    out.set(f, p ?? null);
  }
  for (const f of files) {
    if (out.get(f)) continue;
    // Newest progress first: a reused header matches the most recent generation that holds it.
    const newest = [...progress].reverse();
    const p =
      newest.find((q) => !taken.has(q) && sameContent(q.identity, f.identity)) ??
      // Its file is still there (gzip or a copy in progress): the same only if the first KiBs agree too.
      newest.find((q) => taken.has(q) && sameContent(q.identity, f.identity) && samePrefix(taken.get(q)!, f));
    if (p) out.set(f, p);
  }
  return out;
}

/**
 * Which rotated files to read, oldest first (mtime, then when first seen, then the
 * higher rotation number), and which known unfinished files are gone. The file at
 * the watched path (`watchedIno`) is the current one and is read last, outside this plan.
 */
export function planChain(input: { files: readonly ChainFile[]; watchedIno: number | null; progress: readonly FileProgress[] }): ChainPlan {
  const { watchedIno, progress } = input;
  const matched = matchFiles(input.files, progress);
  const current = input.files.find((f) => !f.compressed && f.ino === watchedIno) ?? null;
  const byProgress = new Map<FileProgress | null, ChainFile[]>();
  const read: ChainPlan["read"] = [];
  const seen = new Set<FileProgress>();
  const currentProgress = current ? (matched.get(current) ?? null) : null;
  for (const f of input.files) {
    if (f === current) continue;
    const p = matched.get(f) ?? null;
    // A copy of the current file (copytruncate between copy and truncate): the current one is read.
    if (p && p === currentProgress) continue;
    if (p) seen.add(p);
    if (p?.done) continue;
    if (p) {
      // The same content twice (NAME.1 and its .gz while gzip runs): read the plain one.
      const list = byProgress.get(p) ?? [];
      list.push(f);
      byProgress.set(p, list);
      continue;
    }
    read.push({ file: f, progress: null });
  }
  for (const [p, list] of byProgress) {
    const best = list.find((f) => !f.compressed) ?? list[0]!;
    read.push({ file: best, progress: p });
  }
  if (current) {
    const p = matched.get(current);
    if (p) seen.add(p);
  }
  const currentKey = current?.identity.fileKey;
  const missing = progress.filter((p) => !p.done && !seen.has(p) && p.identity.fileKey !== currentKey);
  const seenAt = (r: ChainPlan["read"][number]) => r.progress?.seenAt ?? Number.MAX_SAFE_INTEGER;
  read.sort(
    (a, b) => a.file.mtimeMs - b.file.mtimeMs || seenAt(a) - seenAt(b) || rotationNumber(b.file.name) - rotationNumber(a.file.name) || a.file.name.localeCompare(b.file.name),
  );
  return { read, missing, seen };
}

/** NAME.3.gz → 3 (older files carry higher numbers); 0 when there is none. */
function rotationNumber(name: string): number {
  const parts = name.replace(/\.gz$/, "").split(".");
  const last = parts[parts.length - 1]!;
  return isDigits(last) && last.length <= 4 ? Number(last) : 0;
}
