import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { command } from './check.js';

const SEEDS = fileURLToPath(new URL('../../../../examples/seeds', import.meta.url));

function capture(t: {
  mock: { method: (o: object, m: string, impl: (...a: unknown[]) => void) => unknown };
}) {
  const lines: string[] = [];
  t.mock.method(console, 'log', (...a: unknown[]) => lines.push(a.join(' ')));
  t.mock.method(console, 'error', (...a: unknown[]) => lines.push(a.join(' ')));
  return lines;
}

describe('meshwork check', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshwork-check-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the seed examples check clean as a directory (warnings only)', async (t) => {
    const lines = capture(t);
    assert.equal(await command.run(['-f', SEEDS]), 0);
    // The three user-service examples each route the same host: together only one takes effect.
    assert.equal(lines.filter((l) => /also routed by VirtualService/.test(l)).length, 3);
    assert.match(lines.at(-1) ?? '', /^\d+ document\(s\) checked: 0 error\(s\), 4 warning\(s\)$/);
  });

  test('errors print as file:doc N Kind/ns/name: path: reason and exit 1', async (t) => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      `apiVersion: v1
kind: Service
metadata: { name: reviews }
spec: { ports: [{ port: 9080 }] }
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews, subset: v1 }
      weight: 80
    - destination: { host: reviews }
      weight: 20
    timeout: 3 seconds
`,
    );
    const lines = capture(t);
    assert.equal(await command.run(['-f', file]), 1);
    assert.deepEqual(lines.slice(0, -1), [
      `${file}:doc 2 VirtualService/default/reviews: spec.http[0].timeout: "3 seconds" is not a duration (expected e.g. "30s", "1.5s", "100ms")`,
    ]);
    await writeFile(file, (await import('node:fs')).readFileSync(file, 'utf8').replace('3 seconds', '3s'));
    lines.length = 0;
    assert.equal(await command.run(['-f', file]), 1);
    assert.match(
      lines[0],
      /bad\.yaml:doc 2 VirtualService\/default\/reviews: spec\.http\[0\]\.route\[0\]\.destination\.subset: subset "v1" is not defined/,
    );
  });

  test('a YAML syntax error names the file, document and line', async (t) => {
    const file = join(dir, 'syntax.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Service\nmetadata: { name: a\n');
    const lines = capture(t);
    assert.equal(await command.run(['-f', file]), 1);
    assert.match(lines[0], /syntax\.yaml:doc 1: YAML syntax error at line \d+/);
  });

  test('--unknown-hosts warning downgrades routes to services defined elsewhere', async (t) => {
    const file = join(dir, 'route-only.yaml');
    await writeFile(
      file,
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: r }\nspec:\n  hosts: [ratings]\n  http:\n  - route: [{ destination: { host: ratings } }]\n',
    );
    capture(t);
    assert.equal(await command.run(['-f', file]), 1);
    assert.equal(await command.run(['-f', file, '--unknown-hosts', 'warning']), 0);
  });

  test('an unknown flag is a usage error (exit 2), not a stack trace', async (t) => {
    const lines = capture(t);
    assert.equal(await command.run(['-f', SEEDS, '--frobnicate']), 2);
    assert.match(lines[0], /^meshwork check: Unknown option '--frobnicate'/);
  });

  test('a missing file is reported, not thrown', async (t) => {
    const lines = capture(t);
    assert.equal(await command.run(['-f', join(dir, 'nope.yaml')]), 1);
    assert.match(lines[0], /nope\.yaml: cannot read: ENOENT/);
  });
});
