import assert from 'node:assert/strict';
import { test } from 'node:test';
import { proxylessGrpcSnapshot } from '../proxyless.js';
import { edsCluster, httpListener } from '../test-support.js';
import { edsNamesOf, routeNamesOf } from './references.js';

test('route names come from every HTTP connection manager using RDS', () => {
  const inline = proxylessGrpcSnapshot('1', [{ name: 'svc', endpoints: [] }]).lds.resources as any[];
  const withDefault = { ...(httpListener('b', 2, 'r2') as any) };
  withDefault.default_filter_chain = withDefault.filter_chains[0];
  withDefault.filter_chains = [];
  const api = {
    name: 'api',
    api_listener: {
      api_listener: (httpListener('x', 1, 'r3') as any).filter_chains[0].filters[0].typed_config,
    },
  };
  assert.deepEqual(routeNamesOf([httpListener('a', 1, 'r1'), withDefault, api, ...inline]), [
    'r1',
    'r2',
    'r3',
  ]);
});

test('EDS names are the service name of EDS clusters, else their name', () => {
  const named = edsCluster('b');
  (named as any).eds_cluster_config.service_name = 'b-service';
  const strict = { name: 'dns', type: 'STRICT_DNS' };
  assert.deepEqual(edsNamesOf([edsCluster('a'), named, strict]), ['a', 'b-service']);
});
