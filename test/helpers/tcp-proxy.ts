import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '../../infra/embedded/process.js';

/** A TCP proxy to a real server that a test can take down (refusing and cutting connections) and bring back. */
export interface TcpProxy {
  readonly address: string;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** Proxies 127.0.0.1:<free port> to `target` (host:port); starts up. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const listenPort = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const up = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(port, host);
        track(client);
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
  // Closing the listener refuses new connections; destroying the open ones cuts the client off mid-stream.
  const down = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      for (const sock of sockets) sock.destroy();
      if (s) s.close(() => resolve());
      else resolve();
    });
  await up();
  return { address: `127.0.0.1:${listenPort}`, up, down, stop: down };
}
