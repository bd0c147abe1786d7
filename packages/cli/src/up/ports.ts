/**
 * Port allocation for many processes on one machine: free ports come from the kernel (bind to
 * port 0) and are remembered so two components never get the same one; fixed ports are checked
 * up front so a clash is reported before anything starts.
 */
import { createServer, type Server } from 'node:net';
import { PortInUseError } from './errors.js';

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

/** True when nothing listens on `host:port`. */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    await close(await listen(port, host));
    return true;
  } catch {
    return false;
  }
}

/** Hands out distinct free ports for the lifetime of one `meshwork up`. */
export class PortAllocator {
  private readonly taken = new Set<number>();

  constructor(private readonly host = '127.0.0.1') {}

  /** Reserves a fixed port, or a free one when `port` is 0. Throws {@link PortInUseError} when taken. */
  async reserve(port: number, what: string): Promise<number> {
    if (port === 0) return (await this.allocate(1))[0];
    if (this.taken.has(port) || !(await isPortFree(port, this.host))) throw new PortInUseError(port, what);
    this.taken.add(port);
    return port;
  }

  /** Allocates `count` distinct free ports. */
  async allocate(count: number): Promise<number[]> {
    const held: Server[] = [];
    const ports: number[] = [];
    try {
      // Holding every socket until the batch is complete keeps the kernel from handing one port out twice.
      while (ports.length < count) {
        const server = await listen(0, this.host);
        held.push(server);
        const port = (server.address() as { port: number }).port;
        if (this.taken.has(port)) continue;
        this.taken.add(port);
        ports.push(port);
      }
    } finally {
      await Promise.all(held.map(close));
    }
    return ports;
  }

  /** Every port handed out so far. */
  all(): number[] {
    return [...this.taken];
  }
}
