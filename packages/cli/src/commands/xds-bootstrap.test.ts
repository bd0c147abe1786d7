import assert from 'node:assert/strict';
import { test } from 'node:test';
import { command, xdsBootstrap } from './xds-bootstrap.js';

test('the bootstrap names one insecure xDS v3 server and the node', () => {
  assert.deepEqual(xdsBootstrap({ server: '127.0.0.1:15010', nodeId: 'x', namespace: 'shop' }), {
    xds_servers: [
      { server_uri: '127.0.0.1:15010', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
    ],
    node: { id: 'x', locality: {}, metadata: { NAMESPACE: 'shop' } },
  });
});

test('a server that is not host:port is refused', async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    assert.equal(await command.run(['--server', 'nohost']), 2);
  } finally {
    console.error = original;
  }
  assert.match(errors[0], /--server: "nohost" is not host:port/);
});
