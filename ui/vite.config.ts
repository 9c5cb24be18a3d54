import { defineConfig } from "vite";

// The window's CSP allows scripts from 'self' only: no inline script, no eval, no polyfill
// injected inline.
export default defineConfig({
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
