import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxyConfigError } from '../errors.js';
import { compileHashPolicy, computeHash } from './hash-policy.js';
import type { RouteRequest } from './route-request.js';

const req = (p: Partial<RouteRequest>): RouteRequest => ({
  method: 'GET',
  path: '/',
  query: '',
  authority: 'a',
  scheme: 'http',
  headers: [],
  remoteAddress: '10.0.0.1',
  ...p,
});

describe('hash policy', () => {
  test('cookie: the same cookie value hashes the same, another value differently, no cookie → undefined', () => {
    const policies = [compileHashPolicy({ cookie: { name: 'session' } }, 'h')];
    const a1 = computeHash(policies, req({ headers: ['cookie', 'x=1; session=abc'] }));
    const a2 = computeHash(policies, req({ headers: ['cookie', 'session=abc'] }));
    const b = computeHash(policies, req({ headers: ['cookie', 'session=xyz'] }));
    assert.equal(a1, a2);
    assert.notEqual(a1, b);
    assert.equal(computeHash(policies, req({})), undefined);
  });

  test('connection_properties.source_ip hashes the downstream address', () => {
    const policies = [compileHashPolicy({ connection_properties: { source_ip: true } }, 'h')];
    assert.equal(
      computeHash(policies, req({ remoteAddress: '10.0.0.1' })),
      computeHash(policies, req({ remoteAddress: '10.0.0.1' })),
    );
    assert.notEqual(
      computeHash(policies, req({ remoteAddress: '10.0.0.1' })),
      computeHash(policies, req({ remoteAddress: '10.0.0.2' })),
    );
  });

  test('a terminal policy that produced a hash stops the rest', () => {
    const terminal = [
      compileHashPolicy({ header: { header_name: 'x-user' }, terminal: true }, 'h'),
      compileHashPolicy({ connection_properties: { source_ip: true } }, 'h'),
    ];
    const h1 = computeHash(terminal, req({ headers: ['x-user', 'u'], remoteAddress: '10.0.0.1' }));
    const h2 = computeHash(terminal, req({ headers: ['x-user', 'u'], remoteAddress: '10.0.0.9' }));
    assert.equal(h1, h2);
  });

  test('a policy without header, cookie, connection_properties or query_parameter is rejected at its path', () => {
    assert.throws(
      () => compileHashPolicy({ terminal: true }, 'route.hash_policy[0]'),
      (e: unknown) => e instanceof ProxyConfigError && e.path === 'route.hash_policy[0]',
    );
  });
});
