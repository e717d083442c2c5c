import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Two pages, built into dist/ and served by the gateway (gateway/web_pages.py):
// index.html at /interview/{token} (the candidate's page), graphiql.html at /graphql (development).
// Scripts and styles go to dist/ui/ (served at /ui/, hashed names); nothing is loaded from a CDN.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    assetsDir: "ui",
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        candidate: resolve(__dirname, "index.html"),
        graphiql: resolve(__dirname, "graphiql.html"),
      },
    },
  },
  server: {
    proxy: {
      "/graphql": { target: "http://127.0.0.1:8000", ws: true },
      "^/interview/[^/]+/(answers|uploads)/": { target: "http://127.0.0.1:8000" },
    },
  },
});
