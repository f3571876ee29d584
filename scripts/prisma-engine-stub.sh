#!/bin/sh
# Stand-in for Prisma's native schema engine, which cannot be downloaded here.
# `prisma generate` only needs the path to exist; anything that really runs the
# engine must fail loudly. Migrations go through lib/db/ (wasm schema engine).
msg="prisma-engine-stub: the native Prisma schema engine is not installed in this project. Use 'npm run db:migrate' and 'npm run db:migration -- --name x' (wasm schema engine) instead of 'prisma migrate' or 'prisma db'. (called with: $*)"
echo "$msg" >&2
echo "$msg"
exit 70
