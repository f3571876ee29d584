// Single meters drawn with plain WebGL2 point sprites on their own canvas, not as a
// deck.gl ScatterplotLayer. Chromium's software renderer (SwiftShader, what a NOC
// workstation without a GPU and headless CI have) spends ~20 us per ScatterplotLayer
// instance per frame whatever its size: 3 100 meters cost 67-83 ms a frame, 30 000 cost
// 716 ms. The same points as one-vertex sprites with a two-line shader cost 17 ms and
// 50 ms (scripts/bench-map.ts, city view; the sprite figures from a throwaway page
// with the same sizes). A GPU draws either in well under a millisecond.
// Positions are uploaded once per selection (lib/map/browser/points.ts) as offsets from the
// selection's own origin in deck's common space, so float32 keeps sub-pixel precision
// at street zoom; the per-frame transform is computed in float64 on the CPU.
// Clicks are picked on the CPU (nearest sprite within its radius + PICK_SLOP).
import { PICK_SLOP } from "./canvas2d";
import type { PointsSelection } from "./points";

/** What the drawing needs of deck's viewport (WebMercatorViewport). */
export interface PointsViewport {
  width: number;
  height: number;
  zoom: number;
  viewProjectionMatrix: ArrayLike<number>;
  projectFlat(xyz: number[]): number[];
}

/** Sprite radius in CSS pixels per zoom (as the map drew single meters before). */
export function pointRadius(zoom: number): number {
  return zoom >= 12 ? 5 : zoom >= 9 ? 3.5 : 2.5;
}

/** Offsets of each selected meter from the selection's first meter, in deck's common space (float64 origin). */
export function commonOffsets(sel: Pick<PointsSelection, "positions">, vp: Pick<PointsViewport, "projectFlat">): { origin: [number, number]; offsets: Float32Array } {
  const n = sel.positions.length / 2;
  const offsets = new Float32Array(n * 2);
  if (n === 0) return { origin: [0, 0], offsets };
  const [ox, oy] = vp.projectFlat([sel.positions[0]!, sel.positions[1]!]) as [number, number];
  for (let i = 0; i < n; i++) {
    const [x, y] = vp.projectFlat([sel.positions[2 * i]!, sel.positions[2 * i + 1]!]) as [number, number];
    offsets[2 * i] = x - ox;
    offsets[2 * i + 1] = y - oy;
  }
  return { origin: [ox, oy], offsets };
}

/** The view-projection matrix with the origin's translation folded in (column-major, float64). */
export function originMatrix(vp: Pick<PointsViewport, "viewProjectionMatrix">, origin: [number, number]): Float64Array {
  const m = Float64Array.from(vp.viewProjectionMatrix as ArrayLike<number>);
  for (let r = 0; r < 4; r++) m[12 + r] = m[r]! * origin[0] + m[4 + r]! * origin[1] + m[12 + r]!;
  return m;
}

/** Screen pixel of an offset under a matrix from originMatrix. */
export function screenOf(m: Float64Array, width: number, height: number, dx: number, dy: number): [number, number] {
  const x = m[0]! * dx + m[4]! * dy + m[12]!;
  const y = m[1]! * dx + m[5]! * dy + m[13]!;
  const w = m[3]! * dx + m[7]! * dy + m[15]!;
  return [((x / w + 1) / 2) * width, ((1 - y / w) / 2) * height];
}

/** Index in the selection of the sprite under (x, y), the nearest one when several are; -1 when none. */
export function pickPoint(m: Float64Array, width: number, height: number, offsets: Float32Array, radius: number, x: number, y: number): number {
  let best = -1;
  let bestD = (radius + PICK_SLOP) ** 2;
  for (let i = 0; i < offsets.length / 2; i++) {
    const [sx, sy] = screenOf(m, width, height, offsets[2 * i]!, offsets[2 * i + 1]!);
    const d = (sx - x) ** 2 + (sy - y) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

// GLSL ES 3.00: a uniform used by both stages must have the same precision in both
// (the vertex stage defaults to highp, the fragment stage here to mediump), so the
// fragment stage reads no uniform: the sprite's edge width comes as a varying.
export const POINTS_VS = `#version 300 es
in vec2 a_offset;
in vec4 a_color;
uniform mat4 u_matrix;
uniform float u_size;
out vec4 v_color;
out float v_edge;
void main() {
  gl_Position = u_matrix * vec4(a_offset, 0.0, 1.0);
  gl_PointSize = u_size;
  v_color = a_color;
  v_edge = 2.0 / u_size;
}`;
export const POINTS_FS = `#version 300 es
precision mediump float;
in vec4 v_color;
in float v_edge;
out vec4 o_color;
void main() {
  vec2 d = gl_PointCoord * 2.0 - 1.0;
  float r = length(d);
  // A disc with a one-pixel smoothed edge; premultiplied alpha.
  float a = v_color.a * (1.0 - smoothstep(1.0 - v_edge, 1.0, r));
  if (a <= 0.0) discard;
  o_color = vec4(v_color.rgb * a, a);
}`;

/**
 * Compiles and links a program, checking each shader's compile status and the link
 * status; returns the program or the info logs of what failed.
 */
export function buildProgram(gl: WebGL2RenderingContext, vs: string, fs: string, attribs: Record<string, number>): WebGLProgram | string {
  const errors: string[] = [];
  const shaders: WebGLShader[] = [];
  for (const [type, src, name] of [
    [gl.VERTEX_SHADER, vs, "vertex"],
    [gl.FRAGMENT_SHADER, fs, "fragment"],
  ] as const) {
    const s = gl.createShader(type);
    if (!s) return `cannot create the ${name} shader`;
    gl.shaderSource(s, src);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) errors.push(`${name} shader: ${gl.getShaderInfoLog(s) ?? "compile failed"}`);
    shaders.push(s);
  }
  const p = gl.createProgram();
  if (!p) return "cannot create a program";
  if (errors.length === 0) {
    for (const s of shaders) gl.attachShader(p, s);
    for (const [name, loc] of Object.entries(attribs)) gl.bindAttribLocation(p, loc, name);
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) errors.push(`link: ${gl.getProgramInfoLog(p) ?? "link failed"}`);
  }
  for (const s of shaders) gl.deleteShader(s); // flagged; freed with the program
  if (errors.length) {
    gl.deleteProgram(p);
    return errors.join("; ");
  }
  return p;
}

/** The meters layer: one WebGL2 context on its own canvas. Call `sync` in the frame the map draws. */
export class MeterPoints {
  /** Frames drawn (the bench reads it). */
  draws = 0;
  /** Why the program could not be built (compile or link log), or null. */
  error: string | null = null;
  private failed = false;
  private gl: WebGL2RenderingContext | null;
  private program: WebGLProgram | null = null;
  private offsetBuf: WebGLBuffer | null = null;
  private colorBuf: WebGLBuffer | null = null;
  private uMatrix: WebGLUniformLocation | null = null;
  private uSize: WebGLUniformLocation | null = null;
  private sel: PointsSelection | null = null;
  private origin: [number, number] = [0, 0];
  private offsets: Float32Array = new Float32Array(0);
  private offsetsUploaded = false;
  private colors: Uint8Array | null = null;
  private colorsDirty = false;
  private drawnKey = "";
  private lastMatrix: Float64Array | null = null;
  private lastSize = { width: 0, height: 0, zoom: 0 };

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.gl = canvas.getContext("webgl2", { antialias: false, alpha: true, premultipliedAlpha: true, preserveDrawingBuffer: false, depth: false, stencil: false });
    canvas.addEventListener("webglcontextlost", (e) => {
      e.preventDefault();
      this.program = null;
    });
    // Restored: the next sync rebuilds the program and buffers (init) and uploads again.
    canvas.addEventListener("webglcontextrestored", () => {
      this.offsetsUploaded = false;
      this.failed = false;
    });
  }

  private get count(): number {
    return this.offsets.length / 2;
  }

  /** The meters to draw (a new selection uploads its offsets at the next sync); null draws none. */
  setSelection(sel: PointsSelection | null, vp: Pick<PointsViewport, "projectFlat">): void {
    if (sel === this.sel) return;
    this.sel = sel;
    const { origin, offsets } = sel ? commonOffsets(sel, vp) : { origin: [0, 0] as [number, number], offsets: new Float32Array(0) };
    this.origin = origin;
    this.offsets = offsets;
    this.offsetsUploaded = false;
    this.drawnKey = "";
  }

  /** RGBA per selected meter (4 bytes each, alpha 0 hides one). */
  setColors(colors: Uint8Array): void {
    if (colors === this.colors) return;
    this.colors = colors;
    this.colorsDirty = true;
  }

  /** The selection index under a canvas pixel, or -1. */
  pick(x: number, y: number): number {
    if (!this.lastMatrix || !this.count) return -1;
    const { width, height, zoom } = this.lastSize;
    return pickPoint(this.lastMatrix, width, height, this.offsets, pointRadius(zoom), x, y);
  }

  /** Draw when the view, the selection or the colours changed since the last frame; true when it drew. */
  sync(vp: PointsViewport): boolean {
    const m = originMatrix(vp, this.origin);
    const key = `${vp.width}x${vp.height}:${vp.zoom}:${Array.prototype.join.call(m, ",")}`;
    this.lastMatrix = m;
    this.lastSize = { width: vp.width, height: vp.height, zoom: vp.zoom };
    if (key === this.drawnKey && !this.colorsDirty && this.offsetsUploaded) return false;
    const gl = this.gl;
    if (!gl || gl.isContextLost()) return false;
    if (!this.program && !this.init(gl)) return false;
    const w = Math.max(1, Math.round(vp.width));
    const h = Math.max(1, Math.round(vp.height));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
    if (!this.offsetsUploaded) {
      gl.bindBuffer(gl.ARRAY_BUFFER, this.offsetBuf);
      gl.bufferData(gl.ARRAY_BUFFER, this.offsets, gl.STATIC_DRAW);
      this.offsetsUploaded = true;
      this.colorsDirty = true;
    }
    if (this.colorsDirty) {
      gl.bindBuffer(gl.ARRAY_BUFFER, this.colorBuf);
      const c = this.colors && this.colors.length >= this.count * 4 ? this.colors.subarray(0, this.count * 4) : new Uint8Array(this.count * 4);
      gl.bufferData(gl.ARRAY_BUFFER, c, gl.DYNAMIC_DRAW);
      this.colorsDirty = false;
    }
    gl.viewport(0, 0, w, h);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    if (this.count) {
      gl.useProgram(this.program);
      gl.uniformMatrix4fv(this.uMatrix, false, Float32Array.from(m));
      gl.uniform1f(this.uSize, pointRadius(vp.zoom) * 2 + 1);
      gl.drawArrays(gl.POINTS, 0, this.count);
    }
    this.drawnKey = key;
    this.draws++;
    return true;
  }

  private init(gl: WebGL2RenderingContext): boolean {
    // Checked once per context: a program that fails does not retry (and log) every frame.
    if (this.failed) return false;
    const p = buildProgram(gl, POINTS_VS, POINTS_FS, { a_offset: 0, a_color: 1 });
    if (typeof p === "string") {
      this.failed = true;
      this.error = p;
      console.error("[map] meters program:", p);
      return false;
    }
    this.program = p;
    this.uMatrix = gl.getUniformLocation(p, "u_matrix");
    this.uSize = gl.getUniformLocation(p, "u_size");
    const vao = gl.createVertexArray();
    gl.bindVertexArray(vao);
    this.offsetBuf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.offsetBuf);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
    this.colorBuf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.colorBuf);
    gl.enableVertexAttribArray(1);
    gl.vertexAttribPointer(1, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    this.offsetsUploaded = false;
    return true;
  }

  destroy(): void {
    this.gl?.getExtension("WEBGL_lose_context")?.loseContext();
    this.gl = null;
  }
}
