import { describe, expect, it } from "vitest";
import { expandPattern, globMatch, isRotatedName, matchFiles, planChain, type ChainFile, type FileProgress } from "./chain";
import type { FileIdentity } from "./checkpoint";

const id = (ino: number, head: string): FileIdentity => ({ ino, fileKey: `${ino}-${head}`, headLen: 40, headHash: head });
const file = (name: string, ino: number, head: string, mtimeMs: number, extra: Partial<ChainFile> = {}): ChainFile => ({
  name: `/log/${name}`,
  ino,
  size: 1000,
  mtimeMs,
  compressed: name.endsWith(".gz"),
  identity: id(ino, head),
  ...extra,
});
const progress = (ino: number, head: string, partial: Partial<FileProgress> = {}): FileProgress => ({
  identity: id(ino, head),
  name: "/log/audit.log",
  offset: 0,
  done: false,
  size: 1000,
  mtimeMs: 0,
  seenAt: 1,
  ...partial,
});
const names = (plan: ReturnType<typeof planChain>) => plan.read.map((r) => r.file.name.replace("/log/", ""));

describe("rotated names", () => {
  it("knows logrotate's names and a configured glob, and nothing else", () => {
    for (const n of ["audit.log.1", "audit.log.12", "audit.log.1.gz", "audit.log-20260101", "audit.log-20260101.gz", "audit.log-20260101-1712", "audit.log.20260101"]) {
      expect(isRotatedName("audit.log", n), n).toBe(true);
    }
    for (const n of ["audit.log", "audit.log.swp", "audit.log.bak", "audit.log-old", "audit.log1", "other.log.1", "audit.log.1.tmp"]) {
      expect(isRotatedName("audit.log", n), n).toBe(false);
    }
    expect(isRotatedName("audit.log", "audit.log.old.3", ["{name}.old.*"])).toBe(true);
    expect(isRotatedName("audit.log", "archive-audit.log", ["archive-{name}"])).toBe(true);
  });

  it("globs match without backtracking blow-up", () => {
    expect(globMatch("*.log", "a.log")).toBe(true);
    expect(globMatch("*.log", "a.log.1")).toBe(false);
    expect(globMatch("m?ter-*.log", "meter-7.log")).toBe(true);
    const t = Date.now();
    expect(globMatch("*a*a*a*a*a*a*a*a*b", "a".repeat(5000))).toBe(false);
    expect(Date.now() - t).toBeLessThan(500);
  });

  it("a pattern in INGEST_FILES stands for the files it matches, not their rotated copies", () => {
    expect(expandPattern("/var/log/ami/*.log", ["a.log", "b.log", "a.log.1", "c.txt"])).toEqual(["/var/log/ami/a.log", "/var/log/ami/b.log"]);
    expect(expandPattern("/var/log/ami/a*", ["a.log", "a.log.1", "a.log.2.gz", "a.log-20260101"])).toEqual(["/var/log/ami/a.log"]);
    expect(expandPattern("/var/log/ami/x.log", [])).toEqual(["/var/log/ami/x.log"]);
  });
});

describe("planChain", () => {
  it("reads unfinished rotated files oldest first by mtime, then the current one (left out of the plan)", () => {
    const files = [file("audit.log", 9, "h9", 5000), file("audit.log.1", 8, "h8", 4000), file("audit.log.3.gz", 30, "h6", 2000), file("audit.log.2", 7, "h7", 3000)];
    const plan = planChain({ files, watchedIno: 9, progress: [] });
    expect(names(plan)).toEqual(["audit.log.3.gz", "audit.log.2", "audit.log.1"]);
    expect(plan.missing).toEqual([]);
  });

  it("leaves out finished files and resumes a partly read one, also once it is compressed", () => {
    const files = [file("audit.log", 9, "h9", 5000), file("audit.log.1", 8, "h8", 4000), file("audit.log.2.gz", 31, "h7", 3000), file("audit.log.3.gz", 30, "h6", 2000)];
    const p7 = progress(7, "h7", { offset: 420 });
    const plan = planChain({ files, watchedIno: 9, progress: [progress(6, "h6", { done: true }), p7] });
    expect(names(plan)).toEqual(["audit.log.2.gz", "audit.log.1"]);
    // The .gz (own inode 31) carries on the progress of the plain file it was made from (inode 7).
    expect(plan.read[0]!.progress).toBe(p7);
    expect(plan.read[1]!.progress).toBeNull();
  });

  it("equal mtimes: the file seen first, then the higher rotation number, goes first", () => {
    const files = [file("audit.log.1", 8, "h8", 4000), file("audit.log.2", 7, "h7", 4000), file("audit.log.3", 6, "h6", 4000)];
    expect(names(planChain({ files, watchedIno: 9, progress: [] }))).toEqual(["audit.log.3", "audit.log.2", "audit.log.1"]);
    const seenFirst = planChain({ files, watchedIno: 9, progress: [progress(8, "h8", { seenAt: 1 }), progress(6, "h6", { seenAt: 5 })] });
    expect(names(seenFirst)).toEqual(["audit.log.1", "audit.log.3", "audit.log.2"]);
  });

  it("a reused inode with a new head is a new file, read from the start; the old one is a gap", () => {
    // Inode 7 held h7 (read to 300 of 1000); it was deleted and the inode now holds audit.log.1 with h8.
    const old = progress(7, "h7", { offset: 300 });
    const files = [file("audit.log", 9, "h9", 5000), file("audit.log.1", 7, "h8", 4000)];
    const plan = planChain({ files, watchedIno: 9, progress: [old] });
    expect(names(plan)).toEqual(["audit.log.1"]);
    expect(plan.read[0]!.progress).toBeNull();
    expect(plan.missing).toEqual([old]);
  });

  it("the watched file's own inode refilled after copytruncate: the old content is read on from its copy", () => {
    const old = progress(9, "h-old", { offset: 800 });
    const files = [file("audit.log", 9, "h-new", 5000), file("audit.log.1", 12, "h-old", 4900)];
    const plan = planChain({ files, watchedIno: 9, progress: [old] });
    expect(names(plan)).toEqual(["audit.log.1"]);
    expect(plan.read[0]!.progress).toBe(old);
  });

  it("two generations with the same first line stay two", () => {
    const done = progress(7, "hdr", { done: true });
    const files = [
      file("audit.log.2", 7, "hdr", 3000, { prefix: Buffer.from("# header\nfirst\n") }),
      file("audit.log.1", 8, "hdr", 4000, { prefix: Buffer.from("# header\nsecond\n") }),
    ];
    const m = matchFiles(files, [done]);
    expect(m.get(files[0]!)).toBe(done);
    expect(m.get(files[1]!)).toBeNull();
    expect(names(planChain({ files, watchedIno: 9, progress: [done] }))).toEqual(["audit.log.1"]);
  });

  it("a plain file and its .gz while gzip runs are one file: the plain one is read", () => {
    const p = progress(7, "h7", { offset: 10 });
    const content = Buffer.from("line 1\nline 2\nline 3\n");
    const files = [file("audit.log.2.gz", 40, "h7", 3001, { prefix: content.subarray(0, 12) }), file("audit.log.2", 7, "h7", 3000, { prefix: content })];
    const plan = planChain({ files, watchedIno: 9, progress: [p] });
    expect(names(plan)).toEqual(["audit.log.2"]);
    // A copytruncate copy made a moment before the truncation is the watched file's content too.
    const copy = planChain({
      files: [file("audit.log", 7, "h7", 3000, { prefix: content }), file("audit.log.1", 41, "h7", 3000, { prefix: content })],
      watchedIno: 7,
      progress: [p],
    });
    expect(names(copy)).toEqual([]);
  });
});
