// Builds the console into web/dist (`npm run build:web`), which `qdrant2milvus serve` serves.
// `npm run dev:web` serves it with hot reload, proxying /api to a `serve` on port 7700.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': {
        target: 'http://127.0.0.1:7700',
        // The API refuses requests whose Origin is another site; the dev server is one.
        configure: (proxy) => proxy.on('proxyReq', (req) => req.removeHeader('origin')),
      },
    },
  },
});
