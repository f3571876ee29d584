// Outlines from world-atlas / us-atlas cross the antimeridian (Russia, Fiji,
// Alaska's Aleutians): a segment from lon 179 to -179 drawn naively spans the
// whole map. Lines are cut where a step jumps more than 180 degrees, with the
// crossing interpolated onto +-180 so both pieces reach the edge.
export type Position = [number, number];

export function splitLineAtAntimeridian(line: readonly Position[]): Position[][] {
  const out: Position[][] = [];
  let current: Position[] = [];
  for (let i = 0; i < line.length; i++) {
    const p = line[i]!;
    if (i > 0) {
      const a = line[i - 1]!;
      const d = p[0] - a[0];
      if (Math.abs(d) > 180) {
        // Unwrap b next to a, find where it crosses +-180, close here and reopen on the other side.
        const edge = d < 0 ? 180 : -180;
        const bx = p[0] + (d < 0 ? 360 : -360);
        const t = (edge - a[0]) / (bx - a[0]);
        const lat = a[1] + t * (p[1] - a[1]);
        current.push([edge, lat]);
        if (current.length > 1) out.push(current);
        current = [[-edge, lat]];
      }
    }
    current.push([p[0], p[1]]);
  }
  if (current.length > 1) out.push(current);
  return out;
}

/** Every ring / line of a GeoJSON geometry as antimeridian-safe paths. */
export function geometryToPaths(geometry: { type: string; coordinates: unknown } | null): Position[][] {
  if (!geometry) return [];
  const c = geometry.coordinates as unknown;
  let lines: Position[][];
  switch (geometry.type) {
    case "LineString":
      lines = [c as Position[]];
      break;
    case "MultiLineString":
    case "Polygon":
      lines = c as Position[][];
      break;
    case "MultiPolygon":
      lines = (c as Position[][][]).flat();
      break;
    default:
      return [];
  }
  return lines.flatMap(splitLineAtAntimeridian);
}
