import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

// Idle memory of a sidecar: the xDS codec (protobufjs) and grpc-js together cost ~30 MB, so a
// proxy with a static bootstrap and no gRPC health check must not load them.
test('importing the package loads neither grpc-js nor protobufjs', async () => {
  await import('./index.js');
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  const heavy = loaded.filter((p) => /node_modules[\\/](@grpc[\\/]grpc-js|protobufjs)[\\/]/.test(p));
  assert.deepEqual(heavy, []);
});
