// A small map of one route (SVG, equirectangular around the stops): the depot as a square, stops
// numbered in driving order, the legs as a line. Enough to see the loop; the fleet map has the streets.
export function RouteMap({ depot, stops, size = 220 }: { depot: { lat: number; lon: number }; stops: { id: string; meterId: string; lat: number; lon: number }[]; size?: number }) {
  const pts = [depot, ...stops];
  const lats = pts.map((p) => p.lat);
  const lons = pts.map((p) => p.lon);
  const k = Math.cos((((Math.min(...lats) + Math.max(...lats)) / 2) * Math.PI) / 180);
  const spanLat = Math.max(1e-4, Math.max(...lats) - Math.min(...lats));
  const spanLon = Math.max(1e-4, (Math.max(...lons) - Math.min(...lons)) * k);
  const span = Math.max(spanLat, spanLon);
  const pad = 14;
  const x = (lon: number) => pad + (((lon - Math.min(...lons)) * k) / span) * (size - 2 * pad);
  const y = (lat: number) => size - pad - ((lat - Math.min(...lats)) / span) * (size - 2 * pad);
  const line = [depot, ...stops, depot].map((p) => `${x(p.lon).toFixed(1)},${y(p.lat).toFixed(1)}`).join(" ");
  return (
    <svg
      width={size}
      height={size}
      role="img"
      aria-label={`Route of ${stops.length} stops from the depot`}
      data-testid="route-map"
      style={{ background: "var(--bg-sunken)", borderRadius: 6 }}
    >
      <polyline points={line} fill="none" stroke="var(--accent)" strokeWidth={1.5} />
      <rect x={x(depot.lon) - 5} y={y(depot.lat) - 5} width={10} height={10} fill="var(--warn)">
        <title>depot</title>
      </rect>
      {stops.map((s, i) => (
        <g key={s.id}>
          <circle cx={x(s.lon)} cy={y(s.lat)} r={7} fill="var(--bg-raised)" stroke="var(--accent)" />
          <text x={x(s.lon)} y={y(s.lat) + 3.5} fontSize={9} textAnchor="middle" fill="currentColor">
            {i + 1}
          </text>
          <title>{`${i + 1}. ${s.meterId}`}</title>
        </g>
      ))}
    </svg>
  );
}
