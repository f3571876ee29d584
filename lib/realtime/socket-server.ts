// socket.io on the console's HTTP server. Authentication: the next-auth
// session cookie (a JWT) is decoded on connect and the user re-read from the
// database; every room join checks the role against ROOM_PATTERNS.
import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import { decode } from "next-auth/jwt";
import { getSecret } from "@/lib/auth/options";
import { can } from "@/lib/auth/permissions";
import { findActiveUser, type SessionUser } from "@/lib/auth/users-lookup";
import { getHub } from "./hub";
import { permissionForRoom } from "./rooms";
import { userRoom } from "./user-sockets";

const SESSION_COOKIES = ["__Secure-next-auth.session-token", "next-auth.session-token"];

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

type SocketUser = SessionUser & { sessionVersion: number };

export async function userFromCookieHeader(cookieHeader: string | undefined): Promise<SocketUser | null> {
  for (const name of SESSION_COOKIES) {
    const raw = readCookie(cookieHeader, name);
    if (!raw) continue;
    const token = await decode({ token: raw, secret: getSecret() }).catch(() => null);
    const uid = token?.uid;
    if (typeof uid === "string") {
      const user = await findActiveUser(uid, token?.sv);
      return user ? { ...user, sessionVersion: token!.sv as number } : null;
    }
  }
  return null;
}

type RoomHandler = (socket: Socket, user: SessionUser, room: string) => void | Promise<void>;
const joinHooks: RoomHandler[] = [];
/** Lets features react to a join (e.g. register a live-tail filter) after the role check passed. */
export function onRoomJoin(handler: RoomHandler) {
  joinHooks.push(handler);
}

const g = globalThis as unknown as { __amiIo?: Server };
export function getIo(): Server | null {
  return g.__amiIo ?? null;
}
export function connectedSocketCount(): number {
  return g.__amiIo?.engine.clientsCount ?? 0;
}

export function attachSocketServer(httpServer: HttpServer): Server {
  const io = new Server(httpServer, { path: "/socket.io", serveClient: false, maxHttpBufferSize: 1e6 });
  io.use(async (socket, next) => {
    try {
      const user = await userFromCookieHeader(socket.handshake.headers.cookie);
      if (!user) return next(new Error("unauthenticated"));
      socket.data.user = user;
      next();
    } catch (err) {
      next(err as Error);
    }
  });
  io.on("connection", (socket) => {
    // Ending the user's sessions (role change, disable, logout, reset) disconnects this socket.
    void socket.join(userRoom((socket.data.user as SocketUser).id));
    socket.on("subscribe", async (room: unknown, ack?: (r: { ok: boolean; error?: string }) => void) => {
      const reply = typeof ack === "function" ? ack : () => {};
      const permission = typeof room === "string" ? permissionForRoom(room) : null;
      // Re-read the user: a role change, a disable or a newer session version applies to new joins at once.
      const known = socket.data.user as SocketUser;
      const user = await findActiveUser(known.id, known.sessionVersion);
      if (!user) {
        reply({ ok: false, error: "unauthenticated" });
        socket.disconnect(true);
        return;
      }
      if (!permission) return reply({ ok: false, error: "unknown room" });
      if (!can(user.role, permission)) return reply({ ok: false, error: `forbidden: ${user.role} may not ${permission}` });
      await socket.join(room as string);
      for (const hook of joinHooks) await hook(socket, user, room as string);
      reply({ ok: true });
    });
    socket.on("unsubscribe", async (room: unknown) => {
      if (typeof room === "string") await socket.leave(room);
    });
  });
  g.__amiIo = io;
  getHub().attach(io);
  return io;
}

export async function closeSocketServer(): Promise<void> {
  const io = g.__amiIo;
  if (!io) return;
  getHub().detach();
  io.disconnectSockets(true);
  await new Promise<void>((resolve) => io.close(() => resolve()));
  g.__amiIo = undefined;
}
