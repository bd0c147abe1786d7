import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadBootstrap } from './bootstrap.js';

// The xDS codec's proto descriptors cost ~17 MB: loading a bootstrap file must leave them in the
// child process that canonicalised it, not in the proxy.
test('loadBootstrap keeps the protobuf codec out of this process', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bootstrap-process-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'b.yaml');
  writeFileSync(
    file,
    'node: { id: n1 }\nstatic_resources:\n  clusters:\n  - name: c\n    connectTimeout: 2s\n',
  );
  const b = await loadBootstrap(file);
  // Canonical JSON came back: camelCase became snake_case, the duration kept its text form.
  assert.deepEqual(b.clusters, [{ name: 'c', connect_timeout: '2s' }]);
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  assert.deepEqual(
    loaded.filter((p) => /node_modules[\\/]protobufjs[\\/]/.test(p)),
    [],
  );
});
