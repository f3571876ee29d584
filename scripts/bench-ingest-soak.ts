// Kill/rotate soak of the file tail (lib/testing/ingest-soak.ts), longer than the CI test:
// a tailing child process SIGKILLed at random points while the log rotates
// (rename with compress/delaycompress, then copytruncate), kills followed by
// 0, 1, 2 or 5 rotations before the restart. Prints lines written / stored /
// lost / duplicated per mode; exits 1 if any line was lost or doubled.
// Usage: npm run bench:ingest-soak -- [kills=100] [modes=rename,copytruncate] [rotateEvery=300]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runKillRotateSoak, type SoakOptions } from "../lib/testing/ingest-soak";

const KILLS = Number(process.argv[2] ?? 100);
const MODES = (process.argv[3] ?? "rename,copytruncate").split(",") as SoakOptions["mode"][];
const ROTATE_EVERY = Number(process.argv[4] ?? 300);

const fmt = (n: number) => n.toLocaleString("en");

async function main() {
  let bad = false;
  for (const mode of MODES) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-soak-"));
    const logs = fs.mkdtempSync(path.join(os.tmpdir(), "ami-soak-logs-"));
    try {
      const r = await runKillRotateSoak({
        dir,
        file: path.join(logs, "audit.log"),
        mode,
        kills: KILLS,
        rotateEvery: ROTATE_EVERY,
        seed: KILLS * 31 + mode.length,
        log: (m) => console.log(m),
      });
      console.log(
        `[soak] ${mode}: ${fmt(r.kills)} kills (${r.killsWithRotations[1] ?? 0} with 1 rotation while down, ${r.killsWithRotations[2] ?? 0} with 2, ${r.killsWithRotations[5] ?? 0} with 5), ` +
          `${fmt(r.rotations)} rotations, ${fmt(r.gzipped)} files gzipped, ${r.seconds} s`,
      );
      console.log(`[soak] ${mode}: lines written ${fmt(r.written)}, stored ${fmt(r.stored)}, lost ${fmt(r.lost)}, duplicated ${fmt(r.duplicated)}, gaps reported ${r.gaps}`);
      if (r.lost !== 0 || r.duplicated !== 0) {
        bad = true;
        console.log(`[soak] ${mode}: missing sequence ranges ${JSON.stringify(r.missing)}`);
        for (const h of r.history) console.log(`[soak]   ${h}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(logs, { recursive: true, force: true });
    }
  }
  process.exit(bad ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
