// Build config: entries src/main.ts, src/review/main.ts, src/batches/page.ts and src/dashboard/main.ts, output in frontend/dist with a manifest that the
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
      // Four pages: the board canvas, the review grid (src/review/main.ts), the batches
      // page (src/batches/page.ts) and the dashboard (src/dashboard/main.ts, uPlot).
      input: ["src/main.ts", "src/review/main.ts", "src/batches/page.ts", "src/dashboard/main.ts"],
    },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
