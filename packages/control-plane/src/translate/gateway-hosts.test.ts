/**
 * Gateway server hosts as Istio reads them: `ns/dnsName` lets only that namespace's
 * VirtualServices bind (`.` = the Gateway's own, `*` or no prefix = any), and a VirtualService's
 * short host names are read relative to its namespace.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointSource } from './model.js';
import { parseProxyNode } from './proxy-node.js';
import { storedResource } from './test-resources.js';
import { Translator } from './translator.js';

const res = (kind: string, name: string, namespace: string, spec: unknown) =>
  storedResource(kind, name, spec, namespace);

const registry: EndpointSource = { registeredServices: () => [], endpointsOf: () => [] };

const vs = (name: string, namespace: string, hosts: string[]) =>
  res('VirtualService', name, namespace, {
    hosts,
    gateways: ['infra/edge'],
    http: [{ route: [{ destination: { host: 'backend.infra.svc.cluster.local' } }] }],
  });

test('server host namespaces decide which VirtualServices bind; short hosts resolve in theirs', () => {
  const t = new Translator(registry);
  t.setResources([
    res('Gateway', 'edge', 'infra', {
      servers: [
        {
          port: { number: 8080, name: 'http', protocol: 'HTTP' },
          hosts: ['./*.example.com', 'team1/*', 'infra/rich.infra.svc.cluster.local'],
        },
      ],
    }),
    vs('web', 'infra', ['web.example.com']),
    vs('a', 'team1', ['a.team1.example.org']),
    vs('intruder', 'team3', ['shop.example.com']),
    vs('rich', 'infra', ['rich']),
  ]);
  const gateway = parseProxyNode({ id: 'gw', metadata: { mode: 'gateway', namespace: 'infra' } });
  const rc = t.snapshot(gateway).routes.get('http.8080') as {
    virtual_hosts: { name: string; domains: string[] }[];
  };
  const bound = Object.fromEntries(rc.virtual_hosts.map((v) => [v.name, v.domains[0]]));
  assert.deepEqual(bound, {
    'infra/web:8080': 'web.example.com',
    'team1/a:8080': 'a.team1.example.org',
    'infra/rich:8080': 'rich',
  });
});
