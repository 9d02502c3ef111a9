import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The web UI, served by stet's admin app at /ui/ from dist/ui (server/admin/web-ui-routes.ts).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/ui/",
  // Preact's automatic JSX runtime, without a framework plugin: the transform is all the UI needs.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/ui", import.meta.url)),
    emptyOutDir: true,
    // Browsers of this decade; no polyfills to ship.
    target: "es2022",
    reportCompressedSize: false,
  },
  // `npm run ui:dev`: the UI with hot reload, its API calls sent to a stet on the default admin port.
  server: {
    proxy: Object.fromEntries(
      ["/query", "/services", "/deployments", "/invocations", "/version", "/health", "/metrics"].map((p) => [p, "http://localhost:9070"]),
    ),
  },
});
