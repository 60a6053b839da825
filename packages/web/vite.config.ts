import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The SDK and protocol are consumed from source (their "development" export
 * condition), so the web client always builds against the workspace's code.
 * JSX is compiled for Preact by Vite's own transformer: no Babel, no plugin.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  resolve: { conditions: ['development', 'browser', 'module', 'import', 'default'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 600 },
  server: {
    // `npm run dev -w @parley/web` next to `parley start` on :8080
    proxy: {
      '/v1': 'http://127.0.0.1:8080',
      '/files': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
