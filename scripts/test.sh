#!/usr/bin/env bash
# npm test: every test. Lint, unit, integration (on embedded PGlite and again on the
# PostgreSQL server at TEST_DATABASE_URL), the production build, and e2e in
# Debian's Chromium. Stops at the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n=== %s\n' "$*"; }

ensure_chromium() {
  local bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ -x "$bin" ]; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    stage "installing Debian's chromium for the e2e suite"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "e2e needs Chromium at $bin: run 'sudo apt-get install chromium' (Debian/Ubuntu) or set CHROMIUM_PATH." >&2
    exit 1
  fi
}

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
# Playwright must never download a browser here.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

stage "prisma client"
node scripts/prisma-generate.mjs

stage "lint (eslint, prettier --check)"
npm run lint

stage "typecheck"
npx tsc --noEmit -p tsconfig.json

stage "unit tests"
npx vitest run --project unit

stage "integration tests on embedded PGlite + chDB"
AMI_TEST_DB=pglite npx vitest run --project integration --no-file-parallelism

# The second pass re-runs the tests whose relational store follows AMI_TEST_DB
# (lib/testing/stores.ts, lib/testing/env.ts); chDB-only tests and
# lib/db/migrate.int.test.ts (which covers both engines itself) ran above.
pg_files=$(grep -rlE "AMI_TEST_DB|testing/(stores|env)\b" --include='*.int.test.ts' lib ingest | sort)
stage "integration tests on PostgreSQL ($TEST_DATABASE_URL) + chDB: $(echo $pg_files | wc -w) files"
AMI_TEST_DB=postgresql npx vitest run --project integration --no-file-parallelism $pg_files

stage "production build"
npm run build

ensure_chromium
stage "e2e (Playwright, production build, Chromium)"
npx playwright test
