// Credentials inside a URL (mqtt://user:secret@broker) never reach a log, a
// page or a socket room: the URL is shown with its user-info replaced.

export function redactUrlCredentials(raw: string): string {
  try {
    const url = new URL(raw);
    if (!url.username && !url.password) return raw;
    url.username = "***";
    url.password = "";
    return url.toString();
  } catch {
    // Not parseable: drop anything up to an "@" after the scheme rather than show it.
    return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1***@");
  }
}
