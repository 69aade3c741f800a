import { defineConfig } from "vite";

// Built to dist/ next to this file; bench/compare_bench.py serves it with the images.
export default defineConfig({ base: "./", build: { outDir: "dist", emptyOutDir: true } });
