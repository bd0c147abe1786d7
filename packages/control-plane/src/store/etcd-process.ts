/**
 * Starts a private etcd on free ports in a temporary directory, for tests and local runs that
 * must not touch a shared cluster. Fails loudly when the `etcd` binary is missing: the tests that
 * use it are part of the suite, not optional.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A running private etcd. */
export interface EtcdProcess {
  /** Client URL, e.g. `http://127.0.0.1:40123`. */
  clientUrl: string;
  /** `host:port` of the client URL, as `etcd://` store URLs take it. */
  hostPort: string;
  /** Stops etcd and removes its data directory. */
  stop(): Promise<void>;
}

/** Finds the `etcd` executable on `PATH`, or `undefined`. */
export function findEtcdBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'etcd');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts etcd and resolves once its `/health` endpoint answers healthy (within `timeoutMs`). */
export async function startEtcd(timeoutMs = 20_000): Promise<EtcdProcess> {
  const binary = findEtcdBinary();
  if (!binary) {
    throw new Error('etcd binary not found on PATH: install it (Debian: apt-get install -y etcd-server)');
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'meshwork-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    binary,
    [
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `default=${peerUrl}`,
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async () => {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(clientUrl, child, timeoutMs);
  } catch (err) {
    await stop();
    throw new Error(`etcd did not become healthy: ${(err as Error).message}\n${stderr}`);
  }
  return { clientUrl, hostPort: `127.0.0.1:${clientPort}`, stop };
}

async function waitHealthy(clientUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`etcd exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${clientUrl}/health`);
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no healthy answer from ${clientUrl} within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
