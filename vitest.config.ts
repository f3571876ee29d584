import path from "node:path";
import { defineConfig } from "vitest/config";

// Two projects: pure unit tests (*.test.ts) and integration tests against the
// real engines (*.int.test.ts: PGlite/PostgreSQL, chDB, Mosquitto). chDB binds
// one data directory per process, so integration files run in forked
// processes, one file at a time per fork.
export default defineConfig({
  resolve: { alias: { "@": path.resolve(__dirname) } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          // Property tests run 20k-100k cases; give them room on a loaded 2-core machine.
          testTimeout: 30_000,
          include: ["**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**", "e2e/**", ".next/**", "data/**"],
          environment: "node",
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**", "e2e/**", ".next/**", "data/**"],
          environment: "node",
          pool: "forks",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each file in a fresh process (chDB binds one data dir per process); run with
          // --no-file-parallelism (npm run test:int does) so files do not compete for 2 cores.
          poolOptions: { forks: { isolate: true } },
        },
      },
    ],
  },
});
