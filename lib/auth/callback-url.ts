// Where to go after sign-in. Resolved with the URL parser the way a browser
// would ("/\evil.com", "/<TAB>/evil.com" and "//evil.com" are all off-site),
// and kept only when it stays on this origin; anything else goes to "/".
const ORIGIN = "http://console.invalid";

export function safeCallbackUrl(raw: string | null | undefined, origin: string = ORIGIN): string {
  if (!raw) return "/";
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return "/";
  }
  if (url.origin !== new URL(origin).origin) return "/";
  return url.pathname + url.search + url.hash;
}
