// Build config: entries src/main.ts and src/review/main.ts, output in frontend/dist with a manifest that the
// Django `vite` template tag reads. Base is /static/ because frontend/dist is a
// STATICFILES_DIRS entry; nothing here knows about any particular web server.
import { defineConfig } from "vitest/config";

export default defineConfig({
  base: "/static/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    rollupOptions: {
      // Two pages: the board canvas and the review grid (src/review/main.ts).
      input: ["src/main.ts", "src/review/main.ts"],
    },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
