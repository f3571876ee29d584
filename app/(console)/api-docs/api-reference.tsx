"use client";
// Swagger UI over /api/v1/openapi.json, bundled with the console (swagger-ui-dist from
// node_modules, loaded on this page only): no CDN, works offline.
import { useEffect, useRef, useState } from "react";
import "swagger-ui-dist/swagger-ui.css";

export function ApiReference() {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    import("swagger-ui-dist/swagger-ui-bundle.js")
      .then(({ default: SwaggerUIBundle }) => {
        if (cancelled || !ref.current) return;
        SwaggerUIBundle({ domNode: ref.current, url: "/api/v1/openapi.json", deepLinking: false, docExpansion: "list", defaultModelsExpandDepth: 0, tryItOutEnabled: false });
      })
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    return () => {
      cancelled = true;
    };
  }, []);
  return (
    // Swagger UI draws for a light page: its own light surface keeps it readable in the dark theme.
    <div className="card" data-testid="api-reference" style={{ background: "#fff", color: "#3b4151", padding: "0 8px" }}>
      {error && (
        <div className="notice error" role="alert">
          The reference did not load: {error}
        </div>
      )}
      <div ref={ref} />
    </div>
  );
}
