import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxyConfigError } from '../../errors.js';
import { compileCorsPolicy, mergeCorsPolicies } from './config.js';

const failsAt = (v: unknown, path: string) =>
  assert.throws(
    () => compileCorsPolicy(v, 'cors'),
    (e: unknown) => e instanceof ProxyConfigError && e.path === path,
  );

describe('CorsPolicy compilation', () => {
  test('unset fields stay unset so that a less specific level can supply them', () => {
    const p = compileCorsPolicy({}, 'cors');
    assert.deepEqual(p.allowOrigins, []);
    assert.equal(p.allowMethods, '');
    assert.equal(p.allowCredentials, null);
    assert.equal(p.forwardNotMatchingPreflights, null);
    assert.equal(p.enabledFraction, 1);
    assert.equal(p.shadowFraction, 0);
  });

  test('filter_enabled and shadow_enabled read default_value as a fraction of requests', () => {
    const p = compileCorsPolicy(
      {
        filter_enabled: { default_value: { numerator: 25 } },
        shadow_enabled: { default_value: { numerator: 5, denominator: 'TEN_THOUSAND' } },
      },
      'cors',
    );
    assert.equal(p.enabledFraction, 0.25);
    assert.equal(p.shadowFraction, 0.0005);
  });

  test('bad fields are errors naming their path', () => {
    failsAt({ allow_origin: ['*'] }, 'cors.allow_origin');
    failsAt({ allow_methods: 1 }, 'cors.allow_methods');
    failsAt({ expose_headers: ['a'] }, 'cors.expose_headers');
    failsAt({ allow_credentials: 'true' }, 'cors.allow_credentials');
    failsAt({ allow_origin_string_match: {} }, 'cors.allow_origin_string_match');
    failsAt(
      { allow_origin_string_match: [{ exact: 'a', prefix: 'b' }] },
      'cors.allow_origin_string_match[0]',
    );
    failsAt(
      { allow_origin_string_match: [{ safe_regex: { regex: '[' } }] },
      'cors.allow_origin_string_match[0].safe_regex.regex',
    );
    failsAt(
      { filter_enabled: { default_value: { numerator: -1 } } },
      'cors.filter_enabled.default_value.numerator',
    );
  });
});

describe('CORS policy merge', () => {
  const route = compileCorsPolicy(
    { allow_methods: 'PUT', allow_credentials: false, filter_enabled: { default_value: { numerator: 0 } } },
    'r',
  );
  const vhost = compileCorsPolicy(
    {
      allow_origin_string_match: [{ exact: 'https://a' }],
      allow_methods: 'GET',
      allow_credentials: true,
      forward_not_matching_preflights: false,
      max_age: '60',
    },
    'v',
  );

  test('each field comes from the most specific level that sets it', () => {
    const m = mergeCorsPolicies([route, vhost])!;
    assert.equal(m.allowMethods, 'PUT');
    assert.equal(m.allowOrigins.length, 1);
    assert.equal(m.maxAge, '60');
    assert.equal(m.allowCredentials, false, 'an explicit false on the route wins');
    assert.equal(m.forwardNotMatchingPreflights, false);
  });

  test('enablement comes from the most specific policy alone', () => {
    assert.equal(mergeCorsPolicies([route, vhost])!.enabledFraction, 0);
    assert.equal(mergeCorsPolicies([vhost, route])!.enabledFraction, 1);
  });

  test('defaults: no credentials, no private network access, forward non-matching preflights', () => {
    const m = mergeCorsPolicies([compileCorsPolicy({}, 'c')])!;
    assert.equal(m.allowCredentials, false);
    assert.equal(m.allowPrivateNetworkAccess, false);
    assert.equal(m.forwardNotMatchingPreflights, true);
    assert.equal(mergeCorsPolicies([]), null);
  });
});
