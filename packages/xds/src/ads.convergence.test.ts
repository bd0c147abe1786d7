import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdsClient } from './client/ads-client.js';
import { reject } from './client/update.js';
import { AdsServer } from './server/ads-server.js';
import { edsCluster, loadAssignment, sleep } from './test-support.js';

// A seeded walk through snapshot changes and subscription changes; after every step the client
// must hold exactly what the server serves it. Catches state-machine slips (lost removals,
// stale subscriptions, skipped pushes) that example-based tests miss.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f'];

function pick(rand: () => number): string[] {
  return NAMES.filter(() => rand() < 0.5);
}

async function converge(client: AdsClient, check: () => boolean, what: string): Promise<void> {
  // Generous: it only bounds a failure; a healthy walk converges in milliseconds.
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`client did not converge: ${what}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 50);
      client.once('update', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function portOf(cla: any): number | undefined {
  return cla?.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value;
}

function sameKeys(map: ReadonlyMap<string, unknown>, names: string[]): boolean {
  return map.size === names.length && names.every((n) => map.has(n));
}

// The consumer rejects any cluster set where "f" has a connect timeout other than 1s.
function acceptable(clusters: string[], timeout: string): boolean {
  return !(clusters.includes('f') && timeout !== '1s');
}

for (const [delta, nacks, restarts, follow] of [
  [false, false, false, false],
  [true, false, false, false],
  [false, true, false, false],
  [true, true, false, false],
  [false, true, true, false],
  [true, true, true, false],
  [false, false, false, true],
  [true, false, false, true],
]) {
  const mode = delta ? 'delta' : 'state of the world';
  const extras = `${nacks ? ', with NACKs' : ''}${restarts ? ' and server restarts' : ''}${follow ? ', EDS following CDS' : ''}`;
  describe(`${mode}: random walk of snapshots and subscriptions${extras}`, () => {
    test('the client always ends up holding exactly what it is served (or its last good set)', async (t) => {
      const rand = random(
        (delta ? 7 : 42) + (nacks ? 1000 : 0) + (restarts ? 5000 : 0) + (follow ? 9000 : 0),
      );
      let nackCount = 0;
      let server = new AdsServer();
      server.on('nack', () => nackCount++);
      const port = await server.listen('127.0.0.1:0');
      t.after(() => server.close());
      const client = new AdsClient({
        address: `127.0.0.1:${port}`,
        node: { id: 'walker' },
        delta,
        followReferences: follow,
        backoff: { initialMs: 20, maxMs: 100 },
        onUpdate: (u) =>
          nacks &&
          u.typeUrl.endsWith('Cluster') &&
          ![...u.resources.values()].every((c: any) => acceptable([c.name], c.connect_timeout))
            ? reject('f needs a 1s timeout')
            : undefined,
      });
      t.after(() => client.close());
      let watched: string[] = [];
      let good = { clusters: [] as string[], timeout: '' };
      let restartCount = 0;
      client.start();
      for (let step = 1; step <= 30; step++) {
        const clusters = pick(rand);
        const endpoints = pick(rand);
        const port0 = Math.floor(rand() * 3); // small range: contents often repeat across steps
        if (restarts && rand() < 0.15) {
          // The control plane restarts on the same port: a new server with no memory of the client.
          await server.close();
          server = new AdsServer();
          server.on('nack', () => nackCount++);
          await server.listen(`127.0.0.1:${port}`);
          restartCount++;
        }
        server.setSnapshot('walker', {
          cds: {
            version: String(step),
            resources: clusters.map((n) => edsCluster(n, { connect_timeout: `${port0 + 1}s` })),
          },
          eds: { version: String(step), resources: endpoints.map((n) => loadAssignment(n, 1000 + port0)) },
        });
        if (follow)
          watched = clusters; // the client derives its EDS names from the clusters
        else if (rand() < 0.4) {
          watched = pick(rand);
          client.watch('eds', watched);
        }
        const timeout = `${port0 + 1}s`;
        const servedIsGood = !nacks || acceptable(clusters, timeout);
        if (servedIsGood) good = { clusters, timeout };
        // A rejected delta leaves the client on its last good set plus whatever later deltas it
        // accepted (deltas in flight were computed on top of the rejected one), a set no snapshot
        // had; all that is certain is that it holds nothing it would reject. SotW responses are
        // whole sets, so there it is exactly the last good one.
        const cdsMatches = (cds: ReadonlyMap<string, unknown>) =>
          delta && !servedIsGood
            ? [...cds.values()].every((c: any) => acceptable([c.name], c.connect_timeout))
            : sameKeys(cds, good.clusters) &&
              good.clusters.every((n) => (cds.get(n) as any).connect_timeout === good.timeout);
        const edsPort = 1000 + port0;
        const served = watched.filter((n) => endpoints.includes(n));
        await converge(
          client,
          () => {
            const eds = client.resources('eds');
            const cds = client.resources('cds');
            return (
              cdsMatches(cds) &&
              served.every((n) => portOf(eds.get(n)) === edsPort) &&
              [...eds.keys()].every((n) => watched.includes(n)) &&
              // SotW cannot say "gone" for EDS (xDS spec): a watched assignment the server dropped
              // may stay held until unwatched. Delta removes it explicitly.
              (!delta || eds.size === served.length)
            );
          },
          `step ${step}: clusters [${good.clusters}] at ${good.timeout}, assignments [${served}] at ${edsPort}`,
        );
      }
      if (nacks) assert.ok(nackCount > 0, 'the walk never produced a NACK');
      if (restarts) {
        assert.ok(restartCount > 0, 'the walk never restarted the server');
        // The client is really back on the latest server, not just holding a matching state.
        const deadline = Date.now() + 3_000;
        while (!server.connectedNodes().includes('walker') && Date.now() < deadline) await sleep(20);
        assert.deepEqual(server.connectedNodes(), ['walker']);
      }
    });
  });
}
