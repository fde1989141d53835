/**
 * The HTTP endpoint (node:http): GET /metrics (Prometheus text format from the exporter's own
 * registry), GET /healthz (JSON: what works and what is broken; 200 while capturing, 503 while the
 * capture is down), GET / (a short index). Anything else: 404; methods other than GET/HEAD: 405.
 */
import { createServer, type Server } from 'node:http';
import { formatEndpoint } from '../endpoint.js';

export interface Endpoints {
  metrics(): Promise<{ contentType: string; body: string }>;
  health(): { ok: boolean; body: Record<string, unknown> };
  onError(err: Error): void;
}

export interface ListenAddress {
  host: string | undefined;
  port: number;
}

/** `ADDR:PORT`, `[v6]:PORT`, `:PORT` (every address) or `PORT`; null when it is none of them. */
export function parseListen(text: string): ListenAddress | null {
  const m =
    /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]*):(\d+)$/.exec(text) ?? /^()(\d+)$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host: m[1] ? m[1] : undefined, port };
}

export function formatListen(a: ListenAddress): string {
  return formatEndpoint(a.host ?? '*', a.port);
}

const INDEX = `<html><head><title>toa-doctor exporter</title></head><body>
<h1>toa-doctor exporter</h1><p><a href="/metrics">/metrics</a> &middot; <a href="/healthz">/healthz</a></p>
</body></html>
`;

/** Start listening; rejects with the listen error (EADDRINUSE, EACCES, EADDRNOTAVAIL). */
export function startServer(addr: ListenAddress, ep: Endpoints): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/metrics') {
      ep.metrics().then(
        (m) => send(200, m.contentType, m.body),
        (err: Error) => {
          ep.onError(err);
          send(500, 'text/plain; charset=utf-8', `metrics failed: ${err.message}\n`);
        },
      );
      return;
    }
    if (path === '/healthz') {
      const h = ep.health();
      send(h.ok ? 200 : 503, 'application/json', `${JSON.stringify(h.body, null, 2)}\n`);
      return;
    }
    if (path === '/') {
      send(200, 'text/html; charset=utf-8', INDEX);
      return;
    }
    send(404, 'text/plain; charset=utf-8', 'not found: try /metrics or /healthz\n');
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.removeListener('error', reject);
      server.on('error', (e) => ep.onError(e));
      resolve(server);
    });
  });
}
