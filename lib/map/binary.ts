// Binary map payloads: little-endian, columnar, 16-byte header, typed arrays aligned.
//
// Fleet (GET /api/map/fleet; cached by ETag = fleet version, changes only on a fleet sync):
//   0  "AMF1"            magic
//   4  u32 count         meters, sorted by id; a meter's index is its position here
//   8  u32 idsBytes      length of the id block
//   12 u32 reserved
//   16 f32 lon[count], f32 lat[count]
//   .. UTF-8 ids joined by "\n" (idsBytes)
// States (GET /api/map/states?filters; not cached):
//   0  "AMS1"  4 u32 count  8 u32 versionHash (fnv1a of the fleet version)  12 u32 reserved
//   16 u8 state[count]   index into MAP_STATES; 255 = excluded by the non-state filters
// Index list (GET /api/map/gateway-meters): "AMI1" u32 count, 8 reserved, u32 index[count].

export interface FleetPayload {
  lon: Float32Array;
  lat: Float32Array;
  ids: string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function header(magic: string, a: number, b: number): ArrayBuffer {
  const buf = new ArrayBuffer(16);
  const v = new DataView(buf);
  for (let i = 0; i < 4; i++) v.setUint8(i, magic.charCodeAt(i));
  v.setUint32(4, a, true);
  v.setUint32(8, b, true);
  return buf;
}

function checkMagic(buf: ArrayBuffer, magic: string): DataView {
  const v = new DataView(buf);
  if (buf.byteLength < 16) throw new Error("map payload too short");
  const m = String.fromCharCode(v.getUint8(0), v.getUint8(1), v.getUint8(2), v.getUint8(3));
  if (m !== magic) throw new Error(`map payload: expected ${magic}, got ${JSON.stringify(m)}`);
  return v;
}

export function encodeFleet(p: FleetPayload): Uint8Array {
  const n = p.ids.length;
  if (p.lon.length !== n || p.lat.length !== n) throw new Error("fleet columns differ in length");
  const ids = enc.encode(p.ids.join("\n"));
  const out = new Uint8Array(16 + 8 * n + ids.byteLength);
  out.set(new Uint8Array(header("AMF1", n, ids.byteLength)), 0);
  out.set(new Uint8Array(p.lon.buffer, p.lon.byteOffset, 4 * n), 16);
  out.set(new Uint8Array(p.lat.buffer, p.lat.byteOffset, 4 * n), 16 + 4 * n);
  out.set(ids, 16 + 8 * n);
  return out;
}

export function decodeFleet(buf: ArrayBuffer): FleetPayload {
  const v = checkMagic(buf, "AMF1");
  const n = v.getUint32(4, true);
  const idsBytes = v.getUint32(8, true);
  if (buf.byteLength !== 16 + 8 * n + idsBytes) throw new Error("fleet payload length mismatch");
  const lon = new Float32Array(buf, 16, n);
  const lat = new Float32Array(buf, 16 + 4 * n, n);
  const text = dec.decode(new Uint8Array(buf, 16 + 8 * n, idsBytes));
  const ids = n === 0 ? [] : text.split("\n");
  if (ids.length !== n) throw new Error("fleet payload id count mismatch");
  return { lon, lat, ids };
}

export function encodeStates(states: Uint8Array, versionHash: number): Uint8Array {
  const out = new Uint8Array(16 + states.length);
  out.set(new Uint8Array(header("AMS1", states.length, versionHash >>> 0)), 0);
  out.set(states, 16);
  return out;
}

export function decodeStates(buf: ArrayBuffer): { states: Uint8Array; versionHash: number } {
  const v = checkMagic(buf, "AMS1");
  const n = v.getUint32(4, true);
  if (buf.byteLength !== 16 + n) throw new Error("states payload length mismatch");
  return { states: new Uint8Array(buf.slice(16)), versionHash: v.getUint32(8, true) };
}

export function encodeIndexList(indices: Uint32Array): Uint8Array {
  const out = new Uint8Array(16 + 4 * indices.length);
  out.set(new Uint8Array(header("AMI1", indices.length, 0)), 0);
  out.set(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength), 16);
  return out;
}

export function decodeIndexList(buf: ArrayBuffer): Uint32Array {
  const v = checkMagic(buf, "AMI1");
  const n = v.getUint32(4, true);
  if (buf.byteLength !== 16 + 4 * n) throw new Error("index payload length mismatch");
  return new Uint32Array(buf.slice(16));
}

/** FNV-1a 32-bit: a short fingerprint of the fleet version carried by the states payload. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Request headers asking a map endpoint for a gzip body (see lib/map/server/payloads.ts binaryResponse). */
export const GZIP_BODY_HEADERS = { "X-Accept-Body-Encoding": "gzip" } as const;

/** The body as bytes, inflated when the server gzipped it (X-Body-Encoding: gzip). */
export async function readBinaryBody(res: Response): Promise<ArrayBuffer> {
  if (res.headers.get("x-body-encoding") === "gzip" && res.body) {
    return new Response(res.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
  }
  return res.arrayBuffer();
}
