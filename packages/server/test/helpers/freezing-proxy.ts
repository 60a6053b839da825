import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that can freeze its open connections: bytes stop
 * flowing both ways while the sockets stay open, as in a network partition
 * or a half-open connection. Connections made after a freeze flow normally.
 */
export class FreezingProxy {
  private constructor(private readonly server: Server, private readonly pairs: Set<[Socket, Socket]>, readonly port: number) {}

  static async start(targetHost: string, targetPort: number): Promise<FreezingProxy> {
    const pairs = new Set<[Socket, Socket]>();
    const server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      const pair: [Socket, Socket] = [client, upstream];
      pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const drop = () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new FreezingProxy(server, pairs, (server.address() as { port: number }).port);
  }

  /** stop forwarding on every connection open now (nothing is closed) */
  freeze(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  async close(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
