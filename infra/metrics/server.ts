import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProcessMetrics } from './provider.js';

/** A running metrics endpoint. */
export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `GET /metrics` in the Prometheus text format on `host:port` (port 0 picks a free one). */
export async function serveMetrics(metrics: ProcessMetrics, address: string): Promise<MetricsServer> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (e: Error) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const bound = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound.port}/metrics`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
