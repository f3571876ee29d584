// Next.js config. The embedded engines (chDB's native addon, PGlite's wasm) and
// native/wasm helpers must be loaded by Node at run time, not bundled.
/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ["chdb", "@electric-sql/pglite", "pglite-prisma-adapter", "@prisma/schema-engine-wasm", "argon2", "pg", "@prisma/adapter-pg", "mqtt"],
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  experimental: { authInterrupts: true },
  // Types are checked by `npm run typecheck` (part of npm test), not again in every build.
  typescript: { ignoreBuildErrors: true },
};
module.exports = nextConfig;
