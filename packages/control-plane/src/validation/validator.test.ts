import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isControlPlaneError, ValidationError } from '../errors.js';
import { parseDocuments } from './documents.js';
import { ResourceValidator, type ValidateOptions } from './validator.js';

const validator = new ResourceValidator();

const BASE = `apiVersion: v1
kind: Service
metadata: { name: reviews }
spec: { selector: { app: reviews }, ports: [{ port: 9080 }] }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
`;

function run(yaml: string, opts: ValidateOptions = {}) {
  const parsed = parseDocuments(yaml);
  assert.deepEqual(parsed.errors, []);
  return validator.validate(parsed.documents, opts);
}

function vs(http: string, extra = '') {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
${extra}  http:
${http}`;
}

const split = (a: number, b: number) => `  - route:
    - { destination: { host: reviews, subset: v1 }, weight: ${a} }
    - { destination: { host: reviews, subset: v2 }, weight: ${b} }
`;

describe('validator: envelope and schema', () => {
  test('an unknown kind, a wrong apiVersion and a non-mapping document are named', () => {
    const { errors } = run(
      'apiVersion: v1\nkind: Widget\nmetadata: { name: a }\nspec: {}\n---\n' +
        'apiVersion: networking.istio.io/v1\nkind: Service\nmetadata: { name: a }\nspec: {}\n---\n- just a list item\n',
    );
    assert.equal(errors.length, 3);
    assert.deepEqual([errors[0].document, errors[0].path], ['doc 1 Widget/default/a', 'kind']);
    assert.match(errors[0].reason, /unknown kind "Widget"/);
    assert.deepEqual([errors[1].document, errors[1].path], ['doc 2 Service/default/a', 'apiVersion']);
    assert.match(errors[1].reason, /Service is served as v1 \(got "networking.istio.io\/v1"\)/);
    assert.equal(errors[2].document, 'doc 3');
  });

  test('skipUnknownKinds turns unknown kinds into skipped documents with a warning', () => {
    const parsed = parseDocuments(
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec: {}\n---\n' +
        'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: {}\n',
    );
    const result = validator.validate(parsed.documents, { skipUnknownKinds: true });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(
      result.resources.map((r) => r.kind),
      ['Service'],
    );
    assert.deepEqual(result.warnings, [
      {
        document: 'doc 1 Deployment/default/web',
        path: 'kind',
        reason: 'kind "Deployment" is not served; skipped',
      },
    ]);
  });

  test('every networking version is accepted', () => {
    for (const v of ['v1alpha3', 'v1beta1', 'v1']) {
      const { errors } = run(
        `${BASE}---\n${vs(split(50, 50)).replace('networking.istio.io/v1\n', `networking.istio.io/${v}\n`)}`,
      );
      assert.deepEqual(errors, [], v);
    }
  });

  test('kubectl-generated manifests (creationTimestamp: null, status: {}) are accepted', () => {
    const { errors } = run(
      'apiVersion: v1\nkind: Service\nmetadata: { name: web, creationTimestamp: null }\nspec: { ports: [{ port: 80 }] }\nstatus: {}\n',
    );
    assert.deepEqual(errors, []);
  });

  test('an invalid name and a missing name are rejected', () => {
    const { errors } = run(
      'apiVersion: v1\nkind: Service\nmetadata: { name: Bad_Name }\nspec: {}\n---\n' +
        'apiVersion: v1\nkind: Service\nmetadata: {}\nspec: {}\n',
    );
    assert.deepEqual(
      errors.map((e) => e.path),
      ['metadata.name', 'metadata.name'],
    );
    assert.match(errors[0].reason, /not a valid name/);
    assert.equal(errors[1].reason, 'is required');
  });

  test('durations must be Istio durations', () => {
    const { errors } = run(
      `${BASE}---\n${vs(`  - route: [{ destination: { host: reviews } }]\n    timeout: 10 seconds\n`)}`,
    );
    assert.deepEqual(
      errors.map((e) => [e.path, e.reason]),
      [['spec.http[0].timeout', '"10 seconds" is not a duration (expected e.g. "30s", "1.5s", "100ms")']],
    );
  });

  test('Endpoints may be written the Kubernetes way, with subsets at the top level', () => {
    const { errors, resources } = run(
      'apiVersion: v1\nkind: Endpoints\nmetadata: { name: legacy }\n' +
        'subsets:\n- addresses: [{ ip: 10.0.0.7 }]\n  ports: [{ port: 8080 }]\n',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(resources[0].spec, {
      subsets: [{ addresses: [{ ip: '10.0.0.7' }], ports: [{ port: 8080 }] }],
    });
    assert.equal(resources[0].metadata.namespace, 'default');
  });

  test('a document repeated in one apply is an error on the second', () => {
    const { errors } = run(`${BASE}---\n${BASE}`);
    assert.equal(errors.length, 2);
    assert.deepEqual(errors[0], {
      document: 'doc 3 Service/default/reviews',
      path: 'metadata.name',
      reason: 'duplicates doc 1 Service/default/reviews',
    });
  });

  test('validateOrThrow throws a ValidationError carrying every error', () => {
    const parsed = parseDocuments(
      'apiVersion: v1\nkind: Service\nmetadata: { name: a }\nspec: { ports: [{ port: 0 }] }\n',
    );
    assert.throws(
      () => validator.validateOrThrow(parsed.documents),
      (err) => {
        assert.ok(isControlPlaneError(err, 'MESH_ERR_CP_VALIDATION'));
        assert.ok(err instanceof ValidationError);
        assert.equal(err.errors[0].path, 'spec.ports[0].port');
        assert.match(err.message, /^doc 1 Service\/default\/a: spec.ports\[0\].port: must be >= 1/);
        return true;
      },
    );
  });
});

describe('validator: cross-reference analysis', () => {
  test('a route to an unknown host or subset is an error naming the field', () => {
    const { errors } = run(
      `${BASE}---\n${vs(`  - route:
    - { destination: { host: ratings }, weight: 50 }
    - { destination: { host: reviews, subset: v9 }, weight: 50 }
`)}`,
    );
    assert.deepEqual(
      errors.map((e) => e.path),
      ['spec.http[0].route[0].destination.host', 'spec.http[0].route[1].destination.subset'],
    );
    assert.match(errors[0].reason, /ratings.default.svc.cluster.local/);
  });

  test('a destination port must be one the service declares, and is needed when it has several', () => {
    const multi = `apiVersion: v1
kind: Service
metadata: { name: multi }
spec: { ports: [{ name: http, port: 8080 }, { name: grpc, port: 9090 }] }
---
`;
    const route = (port: string) =>
      vs(`  - route: [{ destination: { host: multi${port} } }]\n`).replace(
        'hosts: [reviews]',
        'hosts: [multi]',
      );
    const ok = run(`${multi}${route(', port: { number: 9090 }')}`);
    assert.deepEqual([ok.errors, ok.warnings], [[], []]);
    const wrong = run(`${multi}${route(', port: { number: 7070 }')}`);
    assert.deepEqual(
      wrong.errors.map((e) => [e.path, e.reason]),
      [
        [
          'spec.http[0].route[0].destination.port.number',
          'multi.default.svc.cluster.local has no port 7070 (ports: 8080, 9090)',
        ],
      ],
    );
    const unnamed = run(`${multi}${route('')}`);
    assert.deepEqual(
      unnamed.warnings.map((w) => w.path),
      ['spec.http[0].route[0].destination.port'],
    );
  });

  test('routes after a catch-all, and repeated match conditions, are reported as never matching', () => {
    const { errors, warnings } = run(
      `${BASE}---\n${vs(`  - match: [{ headers: { x: { exact: a } } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
  - match: [{ name: again, headers: { x: { exact: a } } }]
    route: [{ destination: { host: reviews, subset: v2 } }]
  - route: [{ destination: { host: reviews } }]
  - match: [{ uri: { prefix: /never } }]
    route: [{ destination: { host: reviews } }]
`)}`,
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(
      warnings.map((w) => [w.path, w.reason]),
      [
        ['spec.http[1].match[0]', 'never matches: an earlier route has the same conditions'],
        ['spec.http[3]', 'never matches: spec.http[2] before it matches every request'],
      ],
    );
  });

  test('mirror destinations are checked like route destinations', () => {
    const { errors } = run(
      `${BASE}---\n${vs(`  - route: [{ destination: { host: reviews } }]
    mirror: { host: shadow }
    mirrors: [{ destination: { host: reviews, subset: v7 } }]
`)}`,
    );
    assert.deepEqual(
      errors.map((e) => e.path),
      ['spec.http[0].mirror.host', 'spec.http[0].mirrors[0].destination.subset'],
    );
  });

  test('unknownHostSeverity: warning lets routes precede their services', () => {
    const { errors, warnings } = run(vs('  - route: [{ destination: { host: ratings } }]\n'), {
      unknownHostSeverity: 'warning',
    });
    assert.deepEqual(errors, []);
    assert.equal(warnings[0].path, 'spec.http[0].route[0].destination.host');
  });

  test('hosts come from stored resources, ServiceEntries, ServiceInstances and the registry hook', () => {
    const route = vs(
      '  - route: [{ destination: { host: ratings }, weight: 50 }, { destination: { host: api.example.com }, weight: 50 }]\n',
    );
    const stored = parseDocuments(BASE).documents.map((d) => d.value as never);
    const withHook = run(route, {
      existing: stored,
      hooks: { serviceKnown: (h) => h === 'ratings.default.svc.cluster.local' || h === 'api.example.com' },
    });
    assert.deepEqual(withHook.errors, []);
    const withEntries = run(`${route}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ext }
spec: { hosts: ["*.example.com"] }
---
apiVersion: meshwork.dev/v1alpha1
kind: ServiceInstance
metadata: { name: ratings-1 }
spec: { service: ratings, address: 127.0.0.1, port: 9000 }
`);
    assert.deepEqual(withEntries.errors, []);
  });

  test('weights: a total of 0 is an error; a sum other than 100 a warning; 100 is clean', () => {
    assert.deepEqual(
      run(`${BASE}---\n${vs(split(0, 0))}`).errors.map((e) => e.path),
      ['spec.http[0].route'],
    );
    const off = run(`${BASE}---\n${vs(split(60, 30))}`);
    assert.deepEqual(off.errors, []);
    assert.match(off.warnings[0].reason, /weights sum to 90, not 100/);
    const exact = run(`${BASE}---\n${vs(split(95, 5))}`);
    assert.deepEqual([exact.errors, exact.warnings], [[], []]);
  });

  test('a single destination needs no weight', () => {
    const { errors, warnings } = run(
      `${BASE}---\n${vs('  - route: [{ destination: { host: reviews, subset: v1 } }]\n')}`,
    );
    assert.deepEqual([errors, warnings], [[], []]);
  });

  test('an HTTP route needs an action; route excludes redirect; a fault needs delay or abort', () => {
    const { errors } = run(
      `${BASE}---\n${vs(`  - match: [{ uri: { prefix: /a } }]
  - route: [{ destination: { host: reviews } }]
    redirect: { uri: /b }
  - route: [{ destination: { host: reviews } }]
    fault: {}
  - route: [{ destination: { host: reviews } }]
    rewrite: { uri: /c, uriRegexRewrite: { match: a, rewrite: b } }
`)}`,
    );
    assert.deepEqual(
      errors.map((e) => e.path),
      ['spec.http[0]', 'spec.http[1]', 'spec.http[2].fault', 'spec.http[3].rewrite'],
    );
  });

  test('a regex that does not compile is an error', () => {
    const { errors } = run(
      `${BASE}---\n${vs('  - match: [{ uri: { regex: "(unclosed" } }]\n    route: [{ destination: { host: reviews } }]\n')}`,
    );
    assert.deepEqual(
      errors.map((e) => e.path),
      ['spec.http[0].match[0].uri.regex'],
    );
  });

  test('regexes must be RE2: lookaround and backreferences are errors', () => {
    const route = (re: string) =>
      vs(
        `  - match: [{ headers: { x: { regex: '${re}' } } }]\n    route: [{ destination: { host: reviews } }]\n`,
      );
    assert.deepEqual(run(`${BASE}---\n${route('^v[0-9]+(-beta)?$')}`).errors, []);
    for (const re of ['^(?!admin)', '(?<=a)b', '(a)\\1']) {
      const { errors } = run(`${BASE}---\n${route(re)}`);
      assert.deepEqual(
        errors.map((e) => e.path),
        ['spec.http[0].match[0].headers.x.regex'],
        re,
      );
      assert.match(errors[0].reason, /not RE2/);
    }
  });

  test('Gateway: one protocol per port, TLS only and always on HTTPS/TLS servers', () => {
    const { errors } = run(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  servers:
  - { port: { number: 8080, protocol: HTTP }, hosts: ["*"] }
  - { port: { number: 8080, protocol: TCP }, hosts: ["*"] }
  - { port: { number: 8443, protocol: HTTPS }, hosts: ["*"] }
  - { port: { number: 9090, protocol: HTTP }, hosts: ["*"], tls: { mode: SIMPLE } }
  - { port: { number: 9091, protocol: HTTP }, hosts: ["*"], tls: { httpsRedirect: true } }
`);
    assert.deepEqual(
      errors.map((e) => e.path),
      ['spec.servers[1].port.protocol', 'spec.servers[2].tls', 'spec.servers[3].tls'],
    );
  });

  test('ServiceEntry: STATIC needs addressed endpoints, DNS no bare wildcards, ports unique and named', () => {
    const { errors } = run(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: a }
spec: { hosts: [a.example.com], resolution: STATIC }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: b }
spec: { hosts: ["*.example.org"], resolution: DNS }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: c }
spec:
  hosts: [c.example.com]
  resolution: STATIC
  ports: [{ number: 443, name: https }, { number: 443, name: tls }]
  endpoints: [{ address: 10.0.0.1, ports: { http: 80 } }]
`);
    assert.deepEqual(
      errors.map((e) => `${e.document} ${e.path}`),
      [
        'doc 1 ServiceEntry/default/a spec.endpoints',
        'doc 2 ServiceEntry/default/b spec.hosts[0]',
        'doc 3 ServiceEntry/default/c spec.ports[1].number',
        'doc 3 ServiceEntry/default/c spec.endpoints[0].ports.http',
      ],
    );
  });

  test('the wildcard host * is only allowed on gateways, not for the mesh', () => {
    const wild = (gws: string) =>
      vs('  - route: [{ destination: { host: reviews } }]\n', gws).replace(
        'hosts: [reviews]',
        'hosts: ["*"]',
      );
    const gw = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec: { servers: [{ port: { number: 8080, protocol: HTTP }, hosts: ["*"] }] }
---
`;
    assert.deepEqual(run(`${BASE}---\n${gw}${wild('  gateways: [edge]\n')}`).errors, []);
    const { errors } = run(`${BASE}---\n${wild('')}`);
    assert.deepEqual(
      errors.map((e) => e.path),
      ['spec.hosts[0]'],
    );
  });

  test('binding to an unknown Gateway is an error; mesh and existing gateways are fine', () => {
    const gw = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec: { servers: [{ port: { number: 8080, protocol: HTTP }, hosts: ["*"] }] }
`;
    const bound = (gws: string) =>
      vs('  - route: [{ destination: { host: reviews } }]\n', `  gateways: [${gws}]\n`);
    assert.deepEqual(run(`${BASE}---\n${gw}---\n${bound('mesh, edge, default/edge')}`).errors, []);
    const { errors } = run(`${BASE}---\n${bound('other')}`);
    assert.deepEqual(
      errors.map((e) => [e.path, e.reason]),
      [['spec.gateways[0]', 'gateway "default/other" does not exist']],
    );
  });

  test('a subset whose labels no known instance carries is a warning', () => {
    const known = run(BASE, {
      hooks: { labelsKnown: (_h, l) => l.version === 'v1' },
    });
    assert.deepEqual(known.errors, []);
    assert.deepEqual(
      known.warnings.map((w) => w.path),
      ['spec.subsets[1].labels'],
    );
    assert.match(
      known.warnings[0].reason,
      /no known instance of reviews.default.svc.cluster.local carries \{"version":"v2"\}/,
    );
    // With nothing known about instances (an offline check), there is nothing to warn about.
    assert.deepEqual(run(BASE).warnings, []);
  });

  test('dropping a subset that a stored VirtualService routes to is a warning on the DestinationRule', () => {
    const stored = parseDocuments(`${BASE}---\n${vs(split(50, 50))}`).documents.map((d) => d.value as never);
    const { errors, warnings } = run(
      BASE.slice(BASE.indexOf('apiVersion: networking')).replace(/ {2}- \{ name: v2.*\n/, ''),
      {
        existing: stored,
      },
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(
      warnings.map((w) => [w.document, w.reason]),
      [
        [
          'doc 1 DestinationRule/default/reviews',
          'subset "v2" is no longer defined but VirtualService default/reviews routes to it',
        ],
      ],
    );
  });

  test('a host the registry knows, whose instances lack the labels, gets the warning', () => {
    const { warnings } = run(BASE, {
      hooks: {
        serviceKnown: (h) => (h === 'reviews.default.svc.cluster.local' ? true : undefined),
        labelsKnown: (_h, l) => (l.version === 'v1' ? true : undefined),
      },
    });
    assert.deepEqual(
      warnings.map((w) => w.path),
      ['spec.subsets[1].labels'],
    );
  });

  test('static instances answer the label question when the registry cannot', () => {
    const { warnings } = run(`${BASE}---
apiVersion: meshwork.dev/v1alpha1
kind: ServiceInstance
metadata: { name: reviews-1 }
spec: { service: reviews, address: 127.0.0.1, port: 9080, version: v1 }
`);
    assert.deepEqual(
      warnings.map((w) => w.path),
      ['spec.subsets[1].labels'],
    );
  });

  test('Service names must be DNS labels', () => {
    const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: { name: ${name} }\nspec: {}\n`;
    assert.deepEqual(run(svc('orders-v2')).errors, []);
    for (const bad of ['2orders', 'orders.v2', 'a'.repeat(64)]) {
      assert.deepEqual(
        run(svc(bad)).errors.map((e) => e.path),
        ['metadata.name'],
        bad,
      );
    }
  });

  test('duplicate subset names and ambiguous Service ports are errors', () => {
    const { errors } = run(`apiVersion: v1
kind: Service
metadata: { name: multi }
spec: { ports: [{ port: 80 }, { port: 80, name: b }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: multi }
spec: { host: multi, subsets: [{ name: a }, { name: a }] }
`);
    assert.deepEqual(
      errors.map((e) => e.path),
      ['spec.ports[0].name', 'spec.ports[1].port', 'spec.subsets[1].name'],
    );
  });

  test('two VirtualServices routing one host for the sidecars is a warning on each', () => {
    const other = vs('  - route: [{ destination: { host: reviews, subset: v1 } }]\n').replace(
      'name: reviews }',
      'name: reviews-b }',
    );
    const { errors, warnings } = run(`${BASE}---\n${vs(split(50, 50))}---\n${other}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      warnings.map((w) => [w.document, w.reason]),
      [
        [
          'doc 3 VirtualService/default/reviews',
          'host reviews.default.svc.cluster.local on mesh is also routed by VirtualService default/reviews-b: only one of them takes effect',
        ],
        [
          'doc 4 VirtualService/default/reviews-b',
          'host reviews.default.svc.cluster.local on mesh is also routed by VirtualService default/reviews: only one of them takes effect',
        ],
      ],
    );
  });

  test('security policies: provider only with CUSTOM, no empty source, paths and condition keys checked', () => {
    const { errors } = run(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: p }
spec:
  action: DENY
  provider: { name: ext }
  rules:
  - from: [{ source: {} }]
    to: [{ operation: { paths: [api/*] } }]
    when: [{ key: request.colour, values: [red] }, { key: "request.headers[x-user]" }]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: pa }
spec: { portLevelMtls: { "8080": { mode: DISABLE } } }
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: ra }
spec:
  jwtRules:
  - { issuer: a, jwksUri: "not a url" }
  - { issuer: a }
`);
    assert.deepEqual(
      errors.map((e) => `${e.document.split(' ')[2]} ${e.path}`),
      [
        'AuthorizationPolicy/default/p spec.provider',
        'AuthorizationPolicy/default/p spec.rules[0].from[0].source',
        'AuthorizationPolicy/default/p spec.rules[0].to[0].operation.paths[0]',
        'AuthorizationPolicy/default/p spec.rules[0].when[0].key',
        'AuthorizationPolicy/default/p spec.rules[0].when[1]',
        'PeerAuthentication/default/pa spec.portLevelMtls',
        'RequestAuthentication/default/ra spec.jwtRules[0].jwksUri',
        'RequestAuthentication/default/ra spec.jwtRules[1].issuer',
      ],
    );
  });

  test('tcp/tls routes: destinations are checked like HTTP ones; an empty route or match is an error', () => {
    const tcp = run(
      `${BASE}---\n${vs(
        '',
        `  tcp:
  - match: [{ port: 5432 }]
    route:
    - { destination: { host: reviews, subset: v1 }, weight: 50 }
    - { destination: { host: reviews, subset: v9 }, weight: 50 }
  - route: []
`,
      ).replace('  http:\n', '')}`,
    );
    assert.deepEqual(
      tcp.errors.map((e) => [e.path, e.reason]),
      [
        [
          'spec.tcp[0].route[1].destination.subset',
          'subset "v9" is not defined by any DestinationRule for reviews.default.svc.cluster.local',
        ],
        ['spec.tcp[1]', 'a tcp route needs at least one destination'],
      ],
    );
    const tls = run(
      vs('', '  tls:\n  - route: [{ destination: { host: reviews } }]\n').replace('  http:\n', ''),
    );
    assert.deepEqual(
      tls.errors.map((e) => e.path),
      ['spec.tls[0].match'],
    );
    assert.match(tls.errors[0].reason, /required/);
  });
});
