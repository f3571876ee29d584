// swagger-ui-dist ships its browser bundle without types; the page uses one call.
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const SwaggerUIBundle: (options: Record<string, unknown> & { domNode: HTMLElement; url: string }) => unknown;
  export default SwaggerUIBundle;
}
