/**
 * The console's static files (web/dist, built by `npm run build:web`), served from the same origin
 * as the API. Only files inside the directory are served; the headers keep the page from loading
 * anything from elsewhere (it works offline, and an injected script could not phone home).
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MiddlewareHandler } from 'hono';
import { getMimeType } from 'hono/utils/mime';

export const DEFAULT_WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>qdrant2milvus</title>
<body><h1>The console is not built</h1>
<p>Build it once with <code>npm run build:web</code>, then reload this page. The HTTP API works meanwhile: see <a href="/api/openapi.json">/api/openapi.json</a>.</p></body>`;

export function isConsoleBuilt(dir = DEFAULT_WEB_DIR): boolean {
  return existsSync(join(dir, 'index.html'));
}

/** GET/HEAD of any non-API path: the file under `dir`, `/` → index.html; else falls through (404). */
export function serveConsole(dir = DEFAULT_WEB_DIR): MiddlewareHandler {
  const root = resolve(dir);
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    const path = c.req.path === '/' ? '/index.html' : c.req.path;
    if (path === '/index.html' && !isConsoleBuilt(root)) return c.html(NOT_BUILT, 503);
    const file = resolve(root, `.${path}`);
    if (!file.startsWith(root + sep)) return next();
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return next();
    c.header('Content-Type', getMimeType(file) ?? 'application/octet-stream');
    // Vite names built assets by content hash: they never change under one name.
    c.header('Cache-Control', path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (c.req.method === 'HEAD') return c.body(null);
    return c.body(new Uint8Array(await readFile(file)));
  };
}
