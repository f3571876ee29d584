// Each socket joins a private room per user (not subscribable: no ROOM_PATTERNS
// entry), so ending a user's sessions can drop their live connections at once.
import type { Server } from "socket.io";

export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/** Disconnects every socket of the user on this server process (no-op without socket.io). */
export function disconnectUserSockets(userId: string): void {
  const io = (globalThis as unknown as { __amiIo?: Server }).__amiIo;
  io?.in(userRoom(userId)).disconnectSockets(true);
}
