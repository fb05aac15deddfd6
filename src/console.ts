/**
 * The customer-service console's files, served at /console by the same HTTP server (console/
 * holds its sources; `npm run build` bundles them into dist/console). The page talks to the
 * public GraphQL API only, like any other client, so these are static files: read once, kept
 * in memory (a few hundred KB), sent with an ETag and a Content-Security-Policy that lets the
 * page load nothing but its own files and talk to nothing but this origin.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';

/** Where the built console is: dist/console beside the package.json above this file. */
export function consoleDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('console: no package.json above ' + __dirname);
    dir = up;
  }
  return path.join(dir, 'dist', 'console');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Same origin only: scripts, styles and images from /console, requests (fetch and the
 * WebSocket) to this origin, no framing, no plugins, no forms posted anywhere.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The built files by name (index.html, app.js, ...), or null when the console was not built. */
export function loadConsole(dir = consoleDir()): Map<string, Asset> | null {
  if (!fs.existsSync(path.join(dir, 'index.html'))) return null;
  const assets = new Map<string, Asset>();
  for (const name of fs.readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = fs.readFileSync(path.join(dir, name));
    assets.set(name, { body, type, etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return assets;
}

/**
 * Answers GET and HEAD under /console: `/console` redirects to `/console/` (the page's files
 * are relative to it), `/console/` is the page, `/console/<file>` one of its files, anything
 * else 404. The page routes itself after `#`, so no other path is needed.
 */
export function serveConsole(assets: Map<string, Asset> | null, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://console.invalid');
  if (url.pathname === '/console') {
    res.writeHead(308, { location: `/console/${url.search}` }).end();
    return;
  }
  if (!assets) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('The console is not built: run `npm run build`.\n');
    return;
  }
  const name = url.pathname === '/console/' ? 'index.html' : url.pathname.slice('/console/'.length);
  const asset = /^[A-Za-z0-9._-]+$/.test(name) ? assets.get(name) : undefined;
  if (!asset) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
    return;
  }
  const headers: http.OutgoingHttpHeaders = {
    'content-type': asset.type,
    etag: asset.etag,
    // revalidated on every load: a new build shows at once
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': CONSOLE_CSP,
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  headers['content-length'] = asset.body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}
