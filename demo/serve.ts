// A small static file server for the demo and the browser tests: GET and HEAD only, files under
// one root, the right Content-Type for each (application/wasm lets browsers compile while the
// module downloads), no caching, and cross-origin isolation: every response says
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (and
// Cross-Origin-Resource-Policy: same-origin), which browsers require before they give a page
// SharedArrayBuffer, and with it the kernels' threads. Run directly it serves a folder:
// `tsx demo/serve.ts demo/dist`.
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.gz': 'application/gzip',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** 0 (default): any free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** Content-Type by extension ('.wasm'), over the defaults (tests use it to mimic a poor server) */
  types?: Record<string, string>;
  /** send the cross-origin isolation headers (default true); false mimics a server without them,
   *  where pages get no SharedArrayBuffer and the kernels run on one thread */
  crossOriginIsolation?: boolean;
}

/** what makes a page cross-origin isolated (self.crossOriginIsolated), sent with every response */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  // not needed for same-origin requests, but says so to any page that embeds these files
  'cross-origin-resource-policy': 'same-origin',
});

/** Serves the files under `root`. */
export function serveStatic(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const base = resolve(root);
  const types = { ...TYPES, ...options.types };
  const host = options.host ?? '127.0.0.1';
  const isolation = (options.crossOriginIsolation ?? true) ? ISOLATION_HEADERS : {};
  const server = createServer(async (req, res) => {
    const fail = (status: number, text: string) => {
      res.writeHead(status, { ...isolation, 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : `${status} ${text}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'method not allowed');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return fail(400, 'bad request');
    }
    let file = resolve(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return fail(403, 'forbidden');
    try {
      let s = await stat(file);
      if (s.isDirectory()) {
        file = join(file, 'index.html');
        s = await stat(file);
      }
      if (!s.isFile()) return fail(404, 'not found');
      res.writeHead(200, {
        ...isolation,
        'content-type': types[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': s.size,
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
    } catch {
      fail(404, 'not found');
    }
  });
  return new Promise((ok, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : options.port;
      ok({
        url: `http://${host}:${port}/`,
        server,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? fileURLToPath(new URL('./dist/', import.meta.url));
  const port = Number(process.env.PORT ?? 8080);
  try {
    await stat(join(root, 'index.html'));
  } catch {
    console.error(`momentum-wasm demo: no ${join(root, 'index.html')}; build it first with npm run build:demo`);
    process.exit(1);
  }
  const host = process.env.HOST ?? '127.0.0.1';
  const { url } = await serveStatic(root, { port, host }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE') throw e;
    console.error(`port ${port} is taken; trying a free one (set PORT to choose)`);
    return serveStatic(root, { port: 0, host });
  });
  console.log(`momentum-wasm demo: ${url}  (serving ${root}; Ctrl+C stops)`);
}
