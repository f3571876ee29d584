// Reads a request body with a byte cap, so an oversized upload is refused
// (413) after at most maxBytes, not buffered whole first.
import { AppError } from "@/lib/errors";

export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "");
  const limitText = `${Math.round(maxBytes / (1024 * 1024))} MiB`;
  if (Number.isFinite(declared) && declared > maxBytes) throw new AppError("too_large", `Request body is larger than ${limitText}.`);
  if (!req.body) throw new AppError("invalid", "Request body is empty.");
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new AppError("too_large", `Request body is larger than ${limitText}.`);
    }
    chunks.push(value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new AppError("invalid", "Request body is not JSON.");
  }
}
