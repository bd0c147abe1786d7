import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryFileStore } from '../store/memory-file-store.js';
import type { ResourceStore } from '../store/resource-store.js';
import { resourceRoutes } from './resource-routes.js';
import { type ApiServer, createApiServer } from './server.js';

const SERVICES = `apiVersion: v1
kind: Service
metadata:
  name: reviews
  labels: { app: reviews }
spec:
  selector: { app: reviews }
  ports: [{ port: 9080 }]
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels: { version: v1 }
  - name: v2
    labels: { version: v2 }
`;

const vs = (weights: [number, number], extra = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
${extra}spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews, subset: v1 }
      weight: ${weights[0]}
    - destination: { host: reviews, subset: v2 }
      weight: ${weights[1]}
`;

describe('resource REST API', () => {
  let store: ResourceStore;
  let api: ApiServer;
  const changes: number[] = [];

  before(async () => {
    store = await MemoryFileStore.open();
    api = await createApiServer({
      port: 0,
      routes: resourceRoutes(store, { heartbeatMs: 50, onChange: (c) => changes.push(c.revision) }),
      bodyLimitBytes: 64 * 1024,
    });
  });
  after(async () => {
    await api.close();
    await store.close();
  });

  const post = (body: string, type = 'application/yaml', query = '') =>
    fetch(`${api.url}/v1/resources${query}`, { method: 'POST', headers: { 'content-type': type }, body });

  test('applies multi-document YAML and answers with the change id and per-resource results', async () => {
    const res = await post(SERVICES);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { changeId: string; results: { kind: string; action: string }[] };
    assert.equal(body.changeId, String(store.revision()));
    assert.deepEqual(
      body.results.map((r) => `${r.kind}:${r.action}`),
      ['Service:created', 'DestinationRule:created'],
    );
    assert.deepEqual(changes, [Number(body.changeId)]);
  });

  test('get and list answer to lower-case, plural and short kind names', async () => {
    for (const kind of ['service', 'services', 'svc', 'Service']) {
      const res = await fetch(`${api.url}/v1/resources/${kind}`);
      const list = (await res.json()) as { kind: string; items: { metadata: { name: string } }[] };
      assert.equal(list.kind, 'List');
      assert.deepEqual(
        list.items.map((i) => i.metadata.name),
        ['reviews'],
        kind,
      );
    }
    const one = await fetch(`${api.url}/v1/resources/dr/default/reviews`);
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as { spec: { host: string } }).spec.host, 'reviews');
    const selected = await fetch(`${api.url}/v1/resources/services?labelSelector=app%3Dnope`);
    assert.deepEqual(((await selected.json()) as { items: unknown[] }).items, []);
  });

  test('an invalid document rejects the whole apply with 400 naming document, field and reason', async () => {
    const before = store.revision();
    const text = `${vs([90, 10])}---\n${vs([50, 50]).replace('name: reviews', 'name: broken').replace('weight: 50', 'weight: -1')}`;
    const res = await post(text);
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = (await res.json()) as { status: number; code: string; errors: unknown[] };
    assert.equal(problem.status, 400);
    assert.equal(problem.code, 'MESH_ERR_CP_VALIDATION');
    assert.deepEqual(problem.errors, [
      {
        document: 'doc 2 VirtualService/default/broken',
        path: 'spec.http[0].route[0].weight',
        reason: 'must be >= 0 (got -1)',
      },
    ]);
    assert.equal(store.revision(), before);
    assert.equal((await fetch(`${api.url}/v1/resources/vs/default/reviews`)).status, 404);
  });

  test('a route to an unknown subset is an analysis error', async () => {
    const res = await post(vs([90, 10]).replace('subset: v2', 'subset: v3'));
    const problem = (await res.json()) as { errors: { path: string; reason: string }[] };
    assert.equal(res.status, 400);
    assert.equal(problem.errors[0].path, 'spec.http[0].route[1].destination.subset');
    assert.match(problem.errors[0].reason, /subset "v3" is not defined/);
  });

  test('warnings are returned and the apply goes through', async () => {
    const res = await post(vs([60, 30]));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { warnings: { path: string; reason: string }[] };
    assert.deepEqual(
      body.warnings.map((w) => w.path),
      ['spec.http[0].route'],
    );
    assert.match(body.warnings[0].reason, /sum to 90/);
  });

  test('a stale resourceVersion is 409 and a current one applies', async () => {
    const current = (await (await fetch(`${api.url}/v1/resources/vs/default/reviews`)).json()) as {
      metadata: { resourceVersion: string };
    };
    const ok = await post(vs([95, 5], `  resourceVersion: "${current.metadata.resourceVersion}"\n`));
    assert.equal(ok.status, 200);
    const stale = await post(vs([80, 20], `  resourceVersion: "${current.metadata.resourceVersion}"\n`));
    assert.equal(stale.status, 409);
    assert.equal(((await stale.json()) as { code: string }).code, 'MESH_ERR_CP_CONFLICT');
  });

  test('a JSON array body applies; ?dryRun=true writes nothing', async () => {
    const doc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ratings' },
      spec: { ports: [{ port: 80 }] },
    };
    const before = store.revision();
    const dry = await post(JSON.stringify([doc]), 'application/json', '?dryRun=true');
    assert.equal(dry.status, 200);
    const dryBody = (await dry.json()) as { dryRun: boolean; results: { action: string }[] };
    assert.equal(dryBody.dryRun, true);
    assert.equal(dryBody.results[0].action, 'created');
    assert.equal(store.revision(), before);
    const real = await post(JSON.stringify([doc]), 'application/json');
    assert.equal(real.status, 200);
    assert.ok(await store.get('Service', 'default', 'ratings'));
  });

  test('?skipUnknownKinds=true applies the served kinds of a Kubernetes manifest', async () => {
    const manifest =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec: {}\n---\n' +
      'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 80 }] }\n';
    assert.equal((await post(manifest)).status, 400);
    const res = await post(manifest, 'application/yaml', '?skipUnknownKinds=true');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { results: { name: string }[]; warnings: { reason: string }[] };
    assert.deepEqual(
      body.results.map((r) => r.name),
      ['web'],
    );
    assert.match(body.warnings[0].reason, /"Deployment" is not served; skipped/);
  });

  test('unknown content types are 415, oversize bodies 413, bad YAML 400 with its line', async () => {
    const form = await post('a=b', 'application/x-www-form-urlencoded');
    assert.equal(form.status, 415);
    assert.equal(((await form.json()) as { code: string }).code, 'MESH_ERR_CP_UNSUPPORTED_MEDIA_TYPE');
    const big = await post(`# ${'x'.repeat(70 * 1024)}\n`);
    assert.equal(big.status, 413);
    const bad = await post('kind: [unclosed\n');
    assert.equal(bad.status, 400);
    const problem = (await bad.json()) as { errors: { document: string; reason: string }[] };
    assert.match(problem.errors[0].reason, /YAML syntax error at line \d+/);
  });

  test('malformed JSON, an empty body and a bad dryRun flag are 400s that say what is wrong', async () => {
    const bad = await post('{"apiVersion": ', 'application/json');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { detail: string }).detail, /request body is not valid JSON/);
    const empty = await post('', 'application/yaml');
    assert.equal(empty.status, 400);
    assert.match(((await empty.json()) as { detail: string }).detail, /the request body is empty/);
    const flag = await post(SERVICES, 'application/yaml', '?dryRun=maybe');
    assert.equal(flag.status, 400);
    assert.match(
      ((await flag.json()) as { detail: string }).detail,
      /dryRun must be true or false \(got "maybe"\)/,
    );
  });

  test('a chunked body over the limit is cut off with 413', async () => {
    const chunk = new TextEncoder().encode(`# ${'y'.repeat(16 * 1024)}\n`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${api.url}/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body,
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { code: string }).code, 'MESH_ERR_CP_PAYLOAD_TOO_LARGE');
  });

  test('unknown resources and kinds are 404; a wrong method is 405 with Allow', async () => {
    assert.equal((await fetch(`${api.url}/v1/resources/svc/default/nope`)).status, 404);
    const kind = await fetch(`${api.url}/v1/resources/widgets`);
    assert.equal(kind.status, 404);
    assert.match(((await kind.json()) as { detail: string }).detail, /unknown kind "widgets"/);
    const wrong = await fetch(`${api.url}/v1/resources`, { method: 'PUT' });
    assert.equal(wrong.status, 405);
    assert.match(wrong.headers.get('allow') ?? '', /POST/);
  });

  test('deleting what a VirtualService routes to answers with warnings naming it', async () => {
    await post(vs([90, 10]));
    const res = await fetch(`${api.url}/v1/resources/dr/default/reviews`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { warnings: { document: string; reason: string }[] };
    assert.deepEqual(
      body.warnings.map((w) => w.document),
      ['DestinationRule/default/reviews', 'DestinationRule/default/reviews'],
    );
    assert.match(
      body.warnings[0].reason,
      /^VirtualService\/default\/reviews: spec\.http\[0\]\.route\[0\]\.destination\.subset: subset "v1"/,
    );
    await post(SERVICES);
  });

  test('delete answers with the change id; the resource is then 404', async () => {
    const res = await fetch(`${api.url}/v1/resources/services/default/ratings`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { changeId: string };
    assert.equal(body.changeId, String(store.revision()));
    assert.equal((await fetch(`${api.url}/v1/resources/services/default/ratings`)).status, 404);
    assert.equal(
      (await fetch(`${api.url}/v1/resources/services/default/ratings`, { method: 'DELETE' })).status,
      404,
    );
  });

  test('watch streams events as SSE from a revision, filtered by kind', async () => {
    const from = store.revision();
    const ac = new AbortController();
    const res = await fetch(`${api.url}/v1/watch?fromRevision=${from}&kind=svc`, { signal: ac.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    await post(vs([50, 50]));
    await post(
      'apiVersion: v1\nkind: Service\nmetadata: { name: details }\nspec: { ports: [{ port: 80 }] }\n',
    );
    let text = '';
    while (!text.includes('event: ADDED')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    const frame = text.split('\n\n').find((f) => f.includes('event: ADDED')) ?? '';
    assert.match(frame, new RegExp(`^id: ${store.revision()}$`, 'm'));
    const data = JSON.parse(
      frame
        .split('\n')
        .find((l) => l.startsWith('data: '))!
        .slice(6),
    );
    assert.equal(data.resource.metadata.name, 'details');
    assert.ok(!text.includes('VirtualService'), 'kind filter let a VirtualService through');
  });

  test('a watch reconnecting with Last-Event-ID resumes after that revision', async () => {
    const before = store.revision();
    await post(
      'apiVersion: v1\nkind: Service\nmetadata: { name: resumed }\nspec: { ports: [{ port: 81 }] }\n',
    );
    const ac = new AbortController();
    const res = await fetch(`${api.url}/v1/watch?fromRevision=0`, {
      headers: { 'last-event-id': String(before) },
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: ')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    const frames = text.split('\n\n').filter((f) => f.includes('event: '));
    assert.equal(frames.length, 1);
    assert.match(frames[0], new RegExp(`^id: ${before + 1}$`, 'm'));
    assert.match(frames[0], /"name":"resumed"/);
    const bad = await fetch(`${api.url}/v1/watch?fromRevision=-1`);
    assert.equal(bad.status, 400);
  });
});
