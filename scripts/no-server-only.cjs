// Preload for scripts that import route-side lib/ modules (npm run api:types): `server-only`
// is Next's build-time guard and has no package outside Next, so it resolves to an empty module.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload for node --require */
const Module = require("node:module");
const path = require("node:path");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "server-only") return path.join(__dirname, "empty-module.js");
  return resolve.call(this, request, ...rest);
};
