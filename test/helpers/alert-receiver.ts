import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver got: raw body, headers and the status it answered. */
export interface ReceivedPost {
  readonly body: string;
  readonly signature: string | undefined;
  readonly status: number;
}

/** A real HTTP receiver on loopback; the first `failFirst` requests of each alert key answer 503. */
export async function startAlertReceiver(opts: { failFirst?: number } = {}) {
  const posts: ReceivedPost[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = String(req.headers['x-consentflow-alert-key'] ?? '');
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      const status = n <= (opts.failFirst ?? 0) ? 503 : 200;
      posts.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: req.headers['x-consentflow-signature'] as string | undefined,
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/alerts`,
    posts,
    /** The POSTs of one alert key, in order. */
    of: (key: string) => posts.filter((p) => (JSON.parse(p.body) as { key: string }).key === key),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
