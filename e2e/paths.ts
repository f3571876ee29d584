import path from "node:path";

export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_DATA_DIR = path.resolve(".e2e-data");
export const E2E_LOG = path.resolve("e2e-server.log");
export const E2E_PID_FILE = path.resolve(".e2e-server.pid");
