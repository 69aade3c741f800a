// Build config: one entry (src/main.ts), output in frontend/dist with a manifest that the
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
      input: "src/main.ts",
    },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
