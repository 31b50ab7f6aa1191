import { defineConfig } from 'vite';

/**
 * The console's build. onnxruntime-web's `wasm` bundle names its WebAssembly runtime with
 * `new URL(…, import.meta.url)`, so Vite emits that file (~14 MB) into `dist/assets` with the
 * page: the gateway serves it, no CDN is asked.
 */
export default defineConfig({
  // Relative URLs: the page works at `/` of the gateway and behind a path prefix alike.
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  // `pnpm --filter @msp/console dev`: the page from Vite, the API from a running gateway.
  server: {
    proxy: Object.fromEntries(['/v1', '/v2', '/metrics'].map((path) => [path, process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:8080'])),
  },
});
