import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { durationMs, parseDurationMs } from './duration.js';
import { hostMatches, toFqdn } from './hosts.js';
import { acceptsApiVersion, lookupKind, preferredApiVersion } from './kinds.js';

describe('durations', () => {
  test('Istio duration strings convert to milliseconds', () => {
    assert.equal(parseDurationMs('30s'), 30_000);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('100ms'), 100);
    assert.equal(parseDurationMs('1h'), 3_600_000);
    assert.equal(parseDurationMs('1m30s'), 90_000);
    assert.equal(parseDurationMs('250us'), 0.25);
    assert.equal(parseDurationMs('0s'), 0);
  });

  test('anything else is not a duration', () => {
    for (const bad of ['', '30', 's', '-1s', '1.s', '1 s', '1d', '1s '])
      assert.equal(parseDurationMs(bad), undefined, bad);
    assert.throws(() => durationMs('soon'), /"soon" is not a duration/);
  });
});

describe('hosts', () => {
  test('short names are qualified with the namespace of the rule', () => {
    assert.equal(toFqdn('reviews', 'shop'), 'reviews.shop.svc.cluster.local');
    assert.equal(toFqdn('reviews.prod.svc', 'shop'), 'reviews.prod.svc.cluster.local');
    assert.equal(toFqdn('api.example.com', 'shop'), 'api.example.com');
  });

  test('wildcards match subdomains only', () => {
    assert.ok(hostMatches('*.example.com', 'api.example.com'));
    assert.ok(!hostMatches('*.example.com', 'example.com'));
    assert.ok(hostMatches('*', 'anything'));
  });
});

describe('kind registry', () => {
  test('kinds answer to their kind, lower-case, plural and short names', () => {
    for (const name of ['VirtualService', 'virtualservice', 'virtualservices', 'vs', 'VS']) {
      assert.equal(lookupKind(name)?.kind, 'VirtualService', name);
    }
    assert.equal(lookupKind('endpoints')?.kind, 'Endpoints');
    assert.equal(lookupKind('widgets'), undefined);
  });

  test('api versions are checked per group', () => {
    const vs = lookupKind('vs')!;
    assert.ok(acceptsApiVersion(vs, 'networking.istio.io/v1alpha3'));
    assert.ok(!acceptsApiVersion(vs, 'security.istio.io/v1'));
    assert.equal(preferredApiVersion(vs), 'networking.istio.io/v1');
    assert.ok(acceptsApiVersion(lookupKind('svc')!, 'v1'));
  });
});
